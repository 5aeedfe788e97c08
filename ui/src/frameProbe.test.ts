import { describe, expect, it } from "vitest";
import { createFrameProbe, installFrameProbe } from "./frameProbe";

/** requestAnimationFrame by hand: `frame(t)` runs what was requested with the time `t`. */
function fakeFrames() {
  let waiting: ((time: number) => void) | null = null;
  let requests = 0;
  return {
    frames: {
      request: (callback: (time: number) => void) => {
        waiting = callback;
        return ++requests;
      },
      cancel: () => {
        waiting = null;
      },
    },
    frame: (time: number) => {
      const run = waiting;
      waiting = null;
      run?.(time);
    },
    get requests() {
      return requests;
    },
    get running() {
      return waiting !== null;
    },
  };
}

describe("frame probe", () => {
  it("does nothing until started, then counts frames, the longest gap and gaps over 50 ms", () => {
    const fake = fakeFrames();
    const probe = createFrameProbe(fake.frames);
    expect(fake.requests).toBe(0);
    expect(probe.read()).toEqual({ frames: 0, maxFrameMs: 0, over50ms: 0, stutters: [] });

    probe.start();
    for (const t of [1000, 1016, 1033, 1100, 1116, 1200]) fake.frame(t);
    expect(probe.read()).toEqual({
      frames: 5,
      maxFrameMs: 84,
      over50ms: 2,
      stutters: [
        { atMs: 100, gapMs: 67 },
        { atMs: 200, gapMs: 84 },
      ],
    });

    probe.stop();
    expect(fake.running).toBe(false);
    fake.frame(1300);
    expect(probe.read().frames).toBe(5);

    // Starting again starts afresh.
    probe.start();
    fake.frame(5000);
    fake.frame(5010);
    expect(probe.read()).toEqual({ frames: 1, maxFrameMs: 10, over50ms: 0, stutters: [] });
  });

  it("is installed on the window once", () => {
    const target = { requestAnimationFrame: () => 1, cancelAnimationFrame: () => undefined } as unknown as Window;
    installFrameProbe(target);
    const probe = target.__heliumFrameProbe;
    expect(probe?.read()).toEqual({ frames: 0, maxFrameMs: 0, over50ms: 0, stutters: [] });
    installFrameProbe(target);
    expect(target.__heliumFrameProbe).toBe(probe);
  });
});
