// The stylesheets as text, for tests of what only CSS does (no wrapping, no dot): Vitest loads no
// CSS but the tokens (vite.config.ts), so a `?raw` import of another sheet is empty. Read from disk.

/** `node:fs`, named through a variable: the UI's types have no Node, and Vite must not bundle it. */
const FS = "node:fs";

/** This folder, held apart: Vite rewrites `new URL("…", import.meta.url)` as an asset's URL. */
const HERE = import.meta.url;

/** The text of `ui/src/styles/<file>`. */
export async function stylesheet(file: string): Promise<string> {
  const fs = (await import(/* @vite-ignore */ FS)) as { readFileSync(path: URL, encoding: "utf8"): string };
  return fs.readFileSync(new URL(`../styles/${file}`, HERE), "utf8");
}

/**
 * The declarations of every rule of `file` whose selector list includes `selector` exactly, joined
 * (`white-space: nowrap; …`). Comments are dropped; nested blocks (media queries) are searched too.
 */
export async function declarations(file: string, selector: string): Promise<string> {
  const css = (await stylesheet(file)).replace(/\/\*[\s\S]*?\*\//g, "");
  const found: string[] = [];
  for (const match of css.matchAll(/([^{}]+)\{([^{}]*)\}/g)) {
    const selectors = (match[1] ?? "").split(",").map((s) => s.trim());
    if (selectors.includes(selector)) found.push((match[2] ?? "").trim());
  }
  return found.join(" ");
}
