import "@testing-library/jest-dom/vitest";
import { configure } from "@testing-library/react";
import { afterEach } from "vitest";
import { forgetPayloadFormat } from "../PayloadFormatChoice";

// CI machines are shared and noisy: give findBy/waitFor room beyond the 1 s default.
configure({ asyncUtilTimeout: 5000 });

// The payload format a form chose carries to the next form, as in the app: not to the next test.
afterEach(forgetPayloadFormat);
