import "@testing-library/jest-dom/vitest";
import { configure } from "@testing-library/react";

// CI machines are shared and noisy: give findBy/waitFor room beyond the 1 s default.
configure({ asyncUtilTimeout: 5000 });
