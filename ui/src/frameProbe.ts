// A probe for performance tests (the GUI e2e drives it through `window.__heliumFrameProbe`): how
// many frames the window painted while it ran, the longest gap between two, and how many gaps were
// over 50 ms (a stutter a user sees). Idle (no requestAnimationFrame loop) until started.

export type FrameStats = {
  /** Frame gaps measured since `start` (frames after the first). */
  frames: number;
  /** The longest gap between two frames, in ms. */
  maxFrameMs: number;
  /** Gaps over 50 ms. */
  over50ms: number;
  /** The first few of those: when each ended (ms after the first frame) and how long it was. */
  stutters: { atMs: number; gapMs: number }[];
};

export type FrameProbe = {
  /** Starts measuring afresh (restarts if running). */
  start: () => void;
  /** What was measured so far (also after `stop`). */
  read: () => FrameStats;
  /** Stops the frame loop. */
  stop: () => void;
};

declare global {
  interface Window {
    __heliumFrameProbe?: FrameProbe;
  }
}

/** A gap between frames longer than this is a stutter. */
export const STUTTER_MS = 50;
/** How many stutters are kept with their time (the count goes on). */
const STUTTERS_KEPT = 20;

const fresh = (): FrameStats => ({ frames: 0, maxFrameMs: 0, over50ms: 0, stutters: [] });

type Frames = {
  request: (callback: (time: number) => void) => number;
  cancel: (handle: number) => void;
};

export function createFrameProbe(frames: Frames): FrameProbe {
  let stats = fresh();
  let handle: number | null = null;
  let first: number | null = null;
  let last: number | null = null;

  const tick = (time: number) => {
    if (last !== null) {
      const gap = time - last;
      const stutter = gap > STUTTER_MS;
      stats = {
        frames: stats.frames + 1,
        maxFrameMs: Math.max(stats.maxFrameMs, gap),
        over50ms: stats.over50ms + (stutter ? 1 : 0),
        stutters:
          stutter && stats.stutters.length < STUTTERS_KEPT
            ? [...stats.stutters, { atMs: time - (first ?? time), gapMs: gap }]
            : stats.stutters,
      };
    }
    first ??= time;
    last = time;
    handle = frames.request(tick);
  };

  const stop = () => {
    if (handle !== null) frames.cancel(handle);
    handle = null;
    first = null;
    last = null;
  };

  return {
    start: () => {
      stop();
      stats = fresh();
      handle = frames.request(tick);
    },
    read: () => ({ ...stats, stutters: [...stats.stutters] }),
    stop,
  };
}

/** Puts the probe on `window.__heliumFrameProbe` (once). */
export function installFrameProbe(target: Window = window): void {
  if (target.__heliumFrameProbe) return;
  target.__heliumFrameProbe = createFrameProbe({
    request: (callback) => target.requestAnimationFrame(callback),
    cancel: (handle) => target.cancelAnimationFrame(handle),
  });
}
