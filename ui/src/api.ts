// The UI's way to the core: every command of the table (generated into ./commands), and the
// streams built on them. Local exports (subscribeEvents, subscribeMessages) take the place of the
// generated ones.
import { Channel } from "@tauri-apps/api/core";
import type { Changed, Event, LiveBatch, MessageFilter } from "./bindings";
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

/**
 * A stream of `T` into `onMessage`, started by `subscribe` with a new channel and ended by the
 * channel's id (`unsubscribe_events` ends any stream).
 */
function stream<T>(subscribe: (channel: Channel<T>) => Promise<unknown>, onMessage: (message: T) => void): EventSubscription {
  const channel = new Channel<T>();
  let open = true;
  channel.onmessage = (message) => {
    if (open) onMessage(message);
  };
  const ready = subscribe(channel).then(() => undefined);
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

/** Live events, in batches (oldest first within a batch). (Wraps the command of the same name.) */
export function subscribeEvents(onBatch: (events: Event[]) => void): EventSubscription {
  return stream<Event[]>((channel) => commands.subscribeEvents(channel), onBatch);
}

/**
 * Live messages that `filter` lets through (filtered by the core), in batches of at most a few
 * hundred, oldest first, with how many came too fast to send. (Wraps the command of the same name.)
 */
export function subscribeMessages(filter: MessageFilter, onBatch: (batch: LiveBatch) => void): EventSubscription {
  return stream<LiveBatch>(
    (channel) => commands.subscribeMessages(filter, channel),
    (batch) => {
      // Counted for the viewer bench (IPC batches per second); one integer, always on.
      window.__heliumLiveBatches = (window.__heliumLiveBatches ?? 0) + 1;
      onBatch(batch);
    },
  );
}

declare global {
  interface Window {
    /** Live message batches this window has received. */
    __heliumLiveBatches?: number;
  }
}
