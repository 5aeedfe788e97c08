/**
 * Stand-in for `Channel` from `@tauri-apps/api/core`: tests find the instance passed to
 * `subscribe_events` and call its `onmessage` as the Rust side would.
 */
export class MockChannel<T = unknown> {
  static nextId = 1;
  readonly id: number = MockChannel.nextId++;
  onmessage: (message: T) => void;

  constructor(onmessage?: (message: T) => void) {
    this.onmessage = onmessage ?? (() => undefined);
  }
}
