import axe from "axe-core";

/**
 * axe-core's violations in `node` (the GUI e2e runs the same checks in the real window). jsdom
 * has no layout or computed colours: colour contrast is left to the e2e and to contrast.test.ts.
 */
export async function axeViolations(node: Element): Promise<string[]> {
  // jsdom has no canvas: axe's icon-ligature check (a step of label-content-name-mismatch) gets no
  // context either way, but jsdom would log "Not implemented" for each run.
  const getContext = Object.getOwnPropertyDescriptor(HTMLCanvasElement.prototype, "getContext");
  Object.defineProperty(HTMLCanvasElement.prototype, "getContext", { configurable: true, value: () => null });
  try {
    const results = await axe.run(node, {
      resultTypes: ["violations"],
      rules: { "color-contrast": { enabled: false } },
    });
    return results.violations.map(
      (v) => `${v.id} (${v.impact ?? "?"}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
    );
  } finally {
    if (getContext) Object.defineProperty(HTMLCanvasElement.prototype, "getContext", getContext);
  }
}
