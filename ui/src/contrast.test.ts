// WCAG 2.x contrast of the design tokens in styles/tokens.css, light and dark: every text and control
// pair the stylesheet uses must stay readable when a token changes.
import { describe, expect, it } from "vitest";
import css from "./styles/tokens.css?raw";

function block(re: RegExp): string {
  const m = css.match(re);
  if (!m?.[1]) throw new Error(`no block ${re}`);
  return m[1];
}

function tokens(src: string): Record<string, string> {
  const t: Record<string, string> = {};
  for (const m of src.matchAll(/--([a-z0-9-]+):\s*(#[0-9a-fA-F]{3,8}|var\(--[a-z0-9-]+\))\s*;/g)) {
    if (m[1] && m[2]) t[m[1]] = m[2];
  }
  return t;
}

/** Follows `var(--x)` to the colour it names. */
function resolve(t: Record<string, string>): Record<string, string> {
  for (const k of Object.keys(t)) {
    let v = t[k] ?? "";
    for (let n = 0; v.startsWith("var(") && n < 10; n++) v = t[v.slice(6, -1)] ?? "";
    t[k] = v;
  }
  return t;
}

function luminance(hex: string): number {
  let h = hex.slice(1);
  if (h.length === 3) h = [...h].map((c) => c + c).join("");
  const [r = 0, g = 0, b = 0] = [0, 2, 4].map((i) => {
    const c = parseInt(h.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

const ratio = (a: string, b: string): number => {
  const [x = 0, y = 0] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
};

// Normal text needs 4.5:1; UI boundaries (inputs, focus rings, dots) 3:1.
const T = 4.5;
const U = 3;
// [foreground token, background token, minimum, where the pair is used]
const PAIRS: [string, string, number, string][] = [
  ["text", "bg", T, "body text on the window"], ["text", "surface", T, "text on cards"], ["text", "surface-2", T, "text on table headers, hovered rows, neutral badges"],
  ["text", "primary-soft", T, "text in selected rows"],
  ["text-muted", "bg", T, "muted text on the window"], ["text-muted", "surface", T, "muted text on cards"], ["text-muted", "surface-2", T, "muted text: table headers, pills, levels"],
  ["text-muted", "primary-soft", T, "muted text in selected rows"],
  ["primary", "surface", T, "links, nav, summary"], ["primary", "surface-2", T, "link in hovered row"], ["primary", "bg", T, "link on the window"],
  ["primary", "primary-soft", T, "active nav item, step numbers, empty icon"], ["primary-hover", "surface", T, "hovered link"],
  ["on-primary", "primary", T, "primary button"], ["on-primary", "primary-hover", T, "hovered primary button"],
  ["primary-ink", "primary-soft", T, "notes, strong pills"],
  ["danger", "surface", T, "error text on cards"], ["danger", "surface-2", T, "error text in hovered rows"], ["danger", "bg", T, "error text on the window"],
  ["danger", "danger-bg", T, "error boxes, failing badges"], ["text", "danger-bg", T, "probe steps in a failed test"],
  ["on-danger", "danger", T, "danger button"], ["on-danger", "danger-hover", T, "hovered danger button"],
  ["success", "success-bg", T, "success boxes, connected badges"], ["success", "surface", T, "wizard check marks"],
  ["text", "success-bg", T, "check facts"], ["text-muted", "success-bg", T, "check fact names"],
  ["warn", "warn-bg", T, "warnings, waiting badges, warn level"],
  ["info", "info-bg", T, "info level"],
  ["border-strong", "surface", U, "input, checkbox, switch boundary on cards"], ["border-strong", "bg", U, "input boundary on the window"],
  ["border-strong", "surface-2", U, "boundary on surface-2"],
  ["danger", "surface", U, "invalid input border"], ["primary", "surface", U, "checked switch, chosen option border"],
  ["knob", "primary", U, "switch knob, on"], ["knob", "border-strong", U, "switch knob, off"],
  ["focus-ring", "surface", U, "focus ring on cards"], ["focus-ring", "bg", U, "focus ring on the window"], ["focus-ring", "surface-2", U, "focus ring on surface-2"],
  ["focus-ring", "primary-soft", U, "focus ring in selected rows"], ["focus-ring", "danger-bg", U, "focus ring in error boxes"], ["focus-ring", "success-bg", U, "focus ring in success boxes"],
  ["focus-ring", "warn-bg", U, "focus ring in warnings"],
  ...["code-keyword", "code-string", "code-number", "code-comment", "code-function", "text"].flatMap((fg) =>
    (["surface", "surface-2", "danger-bg", "code-selection", "code-match"] as const).map(
      (bg): [string, string, number, string] => [fg, bg, T, "code in the decoder editor"],
    ),
  ),
  ...[1, 2, 3, 4, 5, 6, 7, 8].map((n): [string, string, number, string] => [`chart-${n}`, "surface", U, "a chart's line on a card"]),
  ["dot-on", "surface", U, "connected dot"], ["dot-wait", "surface", U, "waiting dot"], ["dot-off", "surface", U, "idle dot"], ["danger", "surface", U, "error dot"],
];

const lightRaw = tokens(block(/:root\s*\{([\s\S]*?)\n\}/));
const themes: [string, Record<string, string>][] = [
  ["light", resolve({ ...lightRaw })],
  [
    "dark",
    resolve({
      ...lightRaw,
      ...tokens(block(/@media \(prefers-color-scheme: dark\)\s*\{\s*:root\s*\{([\s\S]*?)\n {2}\}/)),
    }),
  ],
];

describe.each(themes)("%s theme tokens", (_name, t) => {
  it.each(PAIRS)("--%s on --%s is at least %s:1 (%s)", (fg, bg, min) => {
    expect(t[fg], `--${fg}`).toMatch(/^#/);
    expect(t[bg], `--${bg}`).toMatch(/^#/);
    expect(ratio(t[fg] ?? "", t[bg] ?? "")).toBeGreaterThanOrEqual(min);
  });
});
