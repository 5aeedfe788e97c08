import { describe, expect, it } from "vitest";
import { createFrameProbe, installFrameProbe, LONGEST_KEPT } from "./frameProbe";

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
    expect(probe.read()).toEqual({ frames: 0, maxFrameMs: 0, over50ms: 0, longest: [] });

    probe.start();
    for (const t of [1000, 1016, 1033, 1100, 1116, 1200]) fake.frame(t);
    expect(probe.read()).toEqual({
      frames: 5,
      maxFrameMs: 84,
      over50ms: 2,
      longest: [
        { atMs: 200, endMs: 1200, gapMs: 84 },
        { atMs: 100, endMs: 1100, gapMs: 67 },
        { atMs: 33, endMs: 1033, gapMs: 17 },
        { atMs: 16, endMs: 1016, gapMs: 16 },
        { atMs: 116, endMs: 1116, gapMs: 16 },
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
    expect(probe.read()).toEqual({
      frames: 1,
      maxFrameMs: 10,
      over50ms: 0,
      longest: [{ atMs: 10, endMs: 5010, gapMs: 10 }],
    });
  });

  it("keeps only the longest frames, longest first", () => {
    const fake = fakeFrames();
    const probe = createFrameProbe(fake.frames);
    probe.start();
    // Frames of 1, 2, … 30 ms: the ten longest are kept, and a short one later changes nothing.
    let t = 0;
    fake.frame(t);
    for (let gap = 1; gap <= 30; gap++) fake.frame((t += gap));
    fake.frame((t += 5));
    const read = probe.read();
    expect(read.frames).toBe(31);
    expect(read.longest.map((f) => f.gapMs)).toEqual([30, 29, 28, 27, 26, 25, 24, 23, 22, 21]);
    expect(read.longest).toHaveLength(LONGEST_KEPT);
  });

  it("is installed on the window once", () => {
    const target = { requestAnimationFrame: () => 1, cancelAnimationFrame: () => undefined } as unknown as Window;
    installFrameProbe(target);
    const probe = target.__heliumFrameProbe;
    expect(probe?.read()).toEqual({ frames: 0, maxFrameMs: 0, over50ms: 0, longest: [] });
    installFrameProbe(target);
    expect(target.__heliumFrameProbe).toBe(probe);
  });
});
