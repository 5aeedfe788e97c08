/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Tauri expects a fixed dev-server port and relative asset paths in the bundle.
export default defineConfig({
  plugins: [react()],
  base: "./",
  clearScreen: false,
  server: {
    port: 1420,
    strictPort: true,
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    // A test may wait several times (each up to 5 s, see setup.ts) and run axe twice: on a busy
    // 2-core machine the default 5 s for the whole test is too little.
    testTimeout: 20_000,
    // Only the tokens, which the contrast test reads as text; components' tests skip CSS.
    css: { include: [/tokens\.css/] },
  },
});
