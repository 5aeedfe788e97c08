import { afterEach, beforeEach } from "vitest";

/**
 * jsdom does no layout: gives every element a viewport (clientHeight/clientWidth) so the
 * virtualiser computes a visible range and renders rows. Returns the function that undoes it.
 */
export function fakeViewport(height = 480, width = 1000): () => void {
  const h = Object.getOwnPropertyDescriptor(HTMLElement.prototype, "clientHeight");
  const w = Object.getOwnPropertyDescriptor(HTMLElement.prototype, "clientWidth");
  Object.defineProperty(HTMLElement.prototype, "clientHeight", { configurable: true, get: () => height });
  Object.defineProperty(HTMLElement.prototype, "clientWidth", { configurable: true, get: () => width });
  return () => {
    if (h) Object.defineProperty(HTMLElement.prototype, "clientHeight", h);
    if (w) Object.defineProperty(HTMLElement.prototype, "clientWidth", w);
  };
}

/** Every test of the file runs with [`fakeViewport`]`(height)`, undone after it. */
export function fakeViewportEachTest(height = 480): void {
  let restore: (() => void) | undefined;
  beforeEach(() => {
    restore = fakeViewport(height);
  });
  afterEach(() => restore?.());
}
