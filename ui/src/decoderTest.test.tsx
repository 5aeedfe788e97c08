// The decoder's Test form on its own: a pasted payload is read in the format chosen (base64 unless
// said, as Helium's JSON carries it), never guessed, and goes to the core as hex said 0x. (The
// page around it, and trials' results: decoders.test.tsx.)
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { DecoderTrial } from "./bindings";
import { DecoderTest } from "./pages/DecoderTest";
import { axeViolations } from "./test/axe";
import { callsOf, mockCommands, resetCommandsEachTest } from "./test/tauri";

vi.mock("@tauri-apps/api/core", async () => ({
  invoke: vi.fn(),
  Channel: (await import("./test/channel")).MockChannel,
}));

resetCommandsEachTest();

const decoded: DecoderTrial = { ok: true, payload: { n: 1 }, error: null, logs: [], warnings: [], micros: 42 };

function renderTest() {
  mockCommands({ test_decoder: decoded });
  const user = userEvent.setup();
  const view = render(
    <DecoderTest
      kind="helium"
      script="function Decoder(bytes) { return {}; }"
      labelIds={[]}
      onErrorLine={() => undefined}
      onGoToLine={() => undefined}
    />,
  );
  const payload = screen.getByRole("textbox", { name: "Payload" });
  return { user, view, payload, test: screen.getByRole("button", { name: "Test" }) };
}

/** The payload of the last trial asked for. */
const sent = () => (callsOf("test_decoder").at(-1)?.[1] as { payload: string } | undefined)?.payload;

describe("Testing a decoder: the payload's format", () => {
  it("reads base64 unless Hex or Text is chosen: AAAA, which is hex too, is three zero bytes", async () => {
    const { user, payload, test } = renderTest();
    expect(screen.getByRole("group", { name: "Payload format" })).toBeInTheDocument();
    expect(screen.getByRole("radio", { name: "Base64" })).toBeChecked();
    expect(payload).toHaveAttribute("placeholder", "AQL/");
    await user.type(payload, "AAAA");
    expect(payload).toHaveAccessibleDescription("3 bytes: 00 00 00");
    await user.click(test);
    await screen.findByTestId("decoder-test-ok");
    // Hex said 0x: the core reads those bytes, whatever they look like (it reads hex first).
    expect(sent()).toBe("0x000000");

    await user.click(screen.getByRole("radio", { name: "Hex" }));
    expect(payload).toHaveAttribute("placeholder", "01 02 ff");
    expect(payload).toHaveAccessibleDescription("2 bytes: aa aa");
    await user.click(test);
    await vi.waitFor(() => expect(callsOf("test_decoder")).toHaveLength(2));
    expect(sent()).toBe("0xaaaa");

    await user.click(screen.getByRole("radio", { name: "Text" }));
    await user.clear(payload);
    await user.type(payload, "hi");
    expect(payload).toHaveAccessibleDescription("2 bytes: 68 69");
    await user.click(test);
    await vi.waitFor(() => expect(callsOf("test_decoder")).toHaveLength(3));
    expect(sent()).toBe("0x6869");
  });

  it("says at the field when the payload is not the format chosen, naming it, and asks nothing", async () => {
    const { user, payload, test } = renderTest();
    await user.type(payload, "01 67 00 f");
    await user.click(test);
    expect(payload).toHaveAccessibleDescription(expect.stringContaining("Not base64: "));
    expect(payload).toHaveAttribute("aria-invalid", "true");
    expect(payload).toHaveFocus();
    await user.click(screen.getByRole("radio", { name: "Hex" }));
    // Another format: the old error goes; the next Test says what is wrong in this one.
    expect(payload).not.toHaveAttribute("aria-invalid");
    await user.click(test);
    expect(payload).toHaveAccessibleDescription(expect.stringContaining("Hex needs two digits per byte; 7 digits is an odd number."));
    expect(callsOf("test_decoder")).toHaveLength(0);
  });

  it("points out spaced hex typed as base64", async () => {
    const { user, payload } = renderTest();
    await user.type(payload, "01 67 00 f0");
    expect(payload).toHaveAccessibleDescription("6 bytes: d3 5e bb d3 47 f4. This looks like hex: choose Hex to read it so.");
  });

  it("has no axe violations", async () => {
    const { user, view, payload } = renderTest();
    await user.type(payload, "AQID");
    expect(await axeViolations(view.container)).toEqual([]);
  });
});
