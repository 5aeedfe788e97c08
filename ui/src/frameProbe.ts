// A probe for performance tests (the GUI e2e drives it through `window.__heliumFrameProbe`): how
// many frames the window painted while it ran, the longest gaps between two, and how many gaps were
// over 50 ms (a stutter a user sees). Idle (no requestAnimationFrame loop) until started.

export type FrameStats = {
  /** Frame gaps measured since `start` (frames after the first). */
  frames: number;
  /** The longest gap between two frames, in ms. */
  maxFrameMs: number;
  /** Gaps over 50 ms. */
  over50ms: number;
  /**
   * The longest frames, longest first: when each ended (ms after the first frame, and as the
   * frame's own timestamp, ms after `performance.timeOrigin`, to line it up with what the machine
   * did meanwhile) and how long it was.
   */
  longest: Frame[];
};

export type Frame = { atMs: number; endMs: number; gapMs: number };

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
/** How many of the longest frames are kept. */
export const LONGEST_KEPT = 10;

const fresh = (): FrameStats => ({ frames: 0, maxFrameMs: 0, over50ms: 0, longest: [] });

/** `longest` with `frame` in its place if it is among the longest (a new array only then). */
function keepLongest(longest: Frame[], frame: Frame): Frame[] {
  const shortest = longest[longest.length - 1];
  if (longest.length >= LONGEST_KEPT && shortest && shortest.gapMs >= frame.gapMs) return longest;
  const kept = [...longest, frame].sort((a, b) => b.gapMs - a.gapMs);
  return kept.slice(0, LONGEST_KEPT);
}

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
      stats = {
        frames: stats.frames + 1,
        maxFrameMs: Math.max(stats.maxFrameMs, gap),
        over50ms: stats.over50ms + (gap > STUTTER_MS ? 1 : 0),
        longest: keepLongest(stats.longest, { atMs: time - (first ?? time), endMs: time, gapMs: gap }),
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
    read: () => ({ ...stats, longest: [...stats.longest] }),
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
