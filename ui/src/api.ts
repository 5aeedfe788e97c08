// The UI's way to the core: every command of the table (generated into ./commands), and the
// streams built on them. A local export (subscribeEvents) takes the place of the generated one.
import { Channel } from "@tauri-apps/api/core";
import type { Changed, Event } from "./bindings";
import * as commands from "./commands";

export * from "./commands";
export { CommandError, toError } from "./ipc";

type ChangeListener = (what: string[]) => void;
const changeListeners = new Set<ChangeListener>();
let changesSubscribed = false;

/**
 * Calls `listener` with what changed (labels, devices, sources, integrations), whoever changed
 * it: this window or the CLI. One stream for the whole app; returns the unsubscribe function.
 */
export function onChanged(listener: ChangeListener): () => void {
  changeListeners.add(listener);
  if (!changesSubscribed) {
    changesSubscribed = true;
    const channel = new Channel<Changed>();
    channel.onmessage = (c) => changeListeners.forEach((l) => l(c.what));
    commands.subscribeChanges(channel).catch(() => {
      changesSubscribed = false;
    });
  }
  return () => {
    changeListeners.delete(listener);
  };
}

/** Tests only: forget the app-wide change stream so the next listener subscribes again. */
export function resetChangeStreamForTests(): void {
  changeListeners.clear();
  changesSubscribed = false;
}

export type EventSubscription = {
  /** Resolves once live events flow; rejects when they cannot (e.g. the bridge did not start). */
  ready: Promise<void>;
  /** Stops the stream; `onBatch` is not called any more. */
  close: () => void;
};

/** Live events, in batches (oldest first within a batch). (Wraps the command of the same name.) */
export function subscribeEvents(onBatch: (events: Event[]) => void): EventSubscription {
  const channel = new Channel<Event[]>();
  let open = true;
  channel.onmessage = (events) => {
    if (open) onBatch(events);
  };
  const ready = commands.subscribeEvents(channel).then(() => undefined);
  const close = () => {
    if (!open) return;
    open = false;
    // After `ready`, so the stream is registered on the Rust side before it is ended.
    ready.then(
      () => commands.unsubscribeEvents(channel.id).catch(() => undefined),
      () => undefined,
    );
  };
  return { ready, close };
}
