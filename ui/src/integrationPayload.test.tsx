// "Message contents" on an integration's details: decoded, the source's decoded object and shadow
// updates, each saved at once with all three options.
import { act, cleanup, render, screen, waitFor, within } from "@testing-library/react";
import userEvent, { type UserEvent } from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { invoke } from "@tauri-apps/api/core";
import type { Integration, IntegrationDetails, PayloadOptions } from "./bindings";
import { SHADOW_OWN_POLICY } from "./pages/IntegrationPayload";
import { IntegrationsPage } from "./pages/IntegrationsPage";
import { axeViolations } from "./test/axe";
import { callsOf, changesChannel, integration, mockCommands, resetCommandsEachTest } from "./test/tauri";

vi.mock("@tauri-apps/api/core", async () => ({
  invoke: vi.fn(),
  Channel: (await import("./test/channel")).MockChannel,
}));

resetCommandsEachTest();

const payloadCalls = () => callsOf("set_integration_payload").map(([, args]) => args);

const DEFAULTS: PayloadOptions = { decoded: true, source_object: true, shadow: false };

/** The core's integration: what `set_integration_payload` saved, as the details then load it. */
let stored: Integration;

function details(): IntegrationDetails {
  return {
    integration: stored,
    labels: [],
    devices: [],
    health: {
      id: stored.id,
      name: stored.name,
      state: "idle",
      sessions_connected: 0,
      sessions_failing: 0,
      last_error: null,
      backlog: 0,
      delivered: 0,
      sessions: [],
    },
  };
}

function save(args: Record<string, unknown>): Integration {
  stored = { ...stored, payload: args.options as PayloadOptions };
  return stored;
}

async function openDetails(
  user: UserEvent,
  payload: PayloadOptions = DEFAULTS,
  mocks: Parameters<typeof mockCommands>[0] = {},
  aws: Integration["aws"] = null,
) {
  stored = integration({ payload, aws });
  mockCommands({
    list_integrations: () => [stored],
    integration_details: () => details(),
    set_integration_payload: save,
    ...mocks,
  });
  const view = render(
    <main>
      <IntegrationsPage />
    </main>,
  );
  await user.click(await screen.findByRole("button", { name: "Details of Farm sensors" }));
  const panel = await screen.findByTestId("details-payload");
  return { ...view, panel };
}

const KEYS = { access_key_id: "AKIAEXAMPLE", account: "123456789012", user_arn: "arn:aws:iam::123456789012:user/h" };

const decodedSwitch = () => screen.getByRole("switch", { name: "Include decoded values" });
const sourceSwitch = () => screen.getByRole("switch", { name: "Use the source's decoded values" });
const shadowSwitch = () => screen.getByRole("switch", { name: "Update device shadows" });

describe("Message contents", () => {
  it("shows the saved options under their heading, with the Decoders page named", async () => {
    const user = userEvent.setup();
    const { panel } = await openDetails(user, { decoded: true, source_object: false, shadow: true });
    expect(within(panel).getByRole("heading", { level: 2, name: "Message contents" })).toBeInTheDocument();
    expect(decodedSwitch()).toHaveAttribute("aria-checked", "true");
    expect(sourceSwitch()).toHaveAttribute("aria-checked", "false");
    expect(shadowSwitch()).toHaveAttribute("aria-checked", "true");
    expect(screen.getByTestId("payload-decoded-switch")).toBe(decodedSwitch());
    expect(screen.getByTestId("payload-source_object-switch")).toBe(sourceSwitch());
    expect(screen.getByTestId("payload-shadow-switch")).toBe(shadowSwitch());
    expect(shadowSwitch()).toHaveAccessibleDescription(/classic shadow/);
    expect(within(panel).getByTestId("payload-decoders-note")).toHaveTextContent(
      "Decoders are attached to labels on the Decoders page.",
    );
  });

  it("saves each switch with all three options, announces it and reloads", async () => {
    const user = userEvent.setup();
    await openDetails(user);
    const status = screen.getByTestId("payload-status");
    expect(status).toHaveAttribute("role", "status");

    await user.click(shadowSwitch());
    await waitFor(() => expect(status).toHaveTextContent("Shadow updates on"));
    expect(shadowSwitch()).toHaveAttribute("aria-checked", "true");

    await user.click(sourceSwitch());
    await waitFor(() => expect(status).toHaveTextContent("Only devices with a decoder here now have decoded values."));
    expect(sourceSwitch()).toHaveAttribute("aria-checked", "false");

    await user.click(decodedSwitch());
    await waitFor(() => expect(status).toHaveTextContent("Messages no longer include decoded values."));
    expect(decodedSwitch()).toHaveAttribute("aria-checked", "false");

    await user.click(decodedSwitch());
    await waitFor(() => expect(status).toHaveTextContent("Messages now include decoded values."));

    await user.click(sourceSwitch());
    await waitFor(() => expect(status).toHaveTextContent("now pass on ChirpStack's decoded values"));

    await user.click(shadowSwitch());
    await waitFor(() => expect(status).toHaveTextContent("Shadow updates off."));

    expect(payloadCalls()).toEqual([
      { id: "int-1", options: { decoded: true, source_object: true, shadow: true } },
      { id: "int-1", options: { decoded: true, source_object: false, shadow: true } },
      { id: "int-1", options: { decoded: false, source_object: false, shadow: true } },
      { id: "int-1", options: { decoded: true, source_object: false, shadow: true } },
      { id: "int-1", options: { decoded: true, source_object: true, shadow: true } },
      { id: "int-1", options: { decoded: true, source_object: true, shadow: false } },
    ]);
    // Each save reloads the details (the first load, then one per save).
    await waitFor(() => expect(callsOf("integration_details")).toHaveLength(7));
    expect(decodedSwitch()).toHaveAttribute("aria-checked", "true");
    expect(sourceSwitch()).toHaveAttribute("aria-checked", "true");
    expect(shadowSwitch()).toHaveAttribute("aria-checked", "false");
  });

  it("says what shadows on means: the policy changed with keys, the user's own with certificates made by hand", async () => {
    const user = userEvent.setup();
    await openDetails(user);
    await user.click(shadowSwitch());
    await waitFor(() => expect(screen.getByTestId("payload-status")).toHaveTextContent(SHADOW_OWN_POLICY));
    cleanup();

    await openDetails(user, DEFAULTS, {}, KEYS);
    await user.click(shadowSwitch());
    await waitFor(() =>
      expect(screen.getByTestId("payload-status")).toHaveTextContent("Shadow updates on: each thing may now update its own shadow."),
    );
  });

  it("shows a refused shadow toggle in an alert and puts the switch back", async () => {
    const user = userEvent.setup();
    const message =
      "shadow updates stay off: the integration's AWS policy could not allow them (AccessDenied: iot:GetPolicy)";
    await openDetails(user, DEFAULTS, { set_integration_payload: { reject: { code: "aws", message } } });

    await user.click(shadowSwitch());
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent(message);
    expect(alert).toBe(screen.getByTestId("payload-shadow-error"));
    expect(shadowSwitch()).toHaveAttribute("aria-checked", "false");
    expect(shadowSwitch()).toHaveAccessibleDescription(new RegExp(`^Could not save: ${message.replace(/[()]/g, "\\$&")}`));
    expect(shadowSwitch()).not.toHaveAttribute("aria-disabled");
    expect(screen.getByTestId("payload-status")).toHaveTextContent("Not saved.");
    expect(payloadCalls()).toEqual([{ id: "int-1", options: { decoded: true, source_object: true, shadow: true } }]);
    expect(decodedSwitch()).toHaveAttribute("aria-checked", "true");
    expect(sourceSwitch()).toHaveAttribute("aria-checked", "true");
    // No reload after a refusal.
    expect(callsOf("integration_details")).toHaveLength(1);
  });

  it("is busy while saving: the switches ignore clicks and keep focus, then settle", async () => {
    const user = userEvent.setup();
    let answer: (value: Integration) => void = () => undefined;
    const pending = new Promise<Integration>((resolve) => (answer = resolve));
    // With keys: the bridge changes the integration's policy.
    await openDetails(user, DEFAULTS, {}, KEYS);
    const base = vi.mocked(invoke).getMockImplementation();
    vi.mocked(invoke).mockImplementation((cmd, args, options) =>
      cmd === "set_integration_payload" ? pending : base!(cmd, args, options),
    );

    await user.click(shadowSwitch());
    const status = screen.getByTestId("payload-status");
    expect(status).toHaveTextContent("Allowing shadow updates in the integration's AWS IoT policy…");
    expect(shadowSwitch()).toHaveFocus();
    for (const s of [decodedSwitch(), sourceSwitch(), shadowSwitch()]) expect(s).toHaveAttribute("aria-disabled", "true");
    await user.click(decodedSwitch());
    expect(callsOf("set_integration_payload")).toHaveLength(1);
    expect(decodedSwitch()).toHaveAttribute("aria-checked", "true");

    await act(async () => answer(save({ options: { ...DEFAULTS, shadow: true } })));
    await waitFor(() => expect(status).toHaveTextContent("Shadow updates on"));
    expect(shadowSwitch()).toHaveAttribute("aria-checked", "true");
    for (const s of [decodedSwitch(), sourceSwitch(), shadowSwitch()]) expect(s).not.toHaveAttribute("aria-disabled");
  });

  it("disables the source's decoded values, saying why, while decoded values are left out", async () => {
    const user = userEvent.setup();
    await openDetails(user, { decoded: false, source_object: true, shadow: false });
    expect(sourceSwitch()).toBeDisabled();
    expect(sourceSwitch()).toHaveAttribute("aria-checked", "true");
    expect(screen.getByTestId("payload-source_object-reason")).toHaveTextContent("turn those on first");
    expect(sourceSwitch()).toHaveAccessibleDescription(/^Only applies to messages that include decoded values/);
    await user.click(sourceSwitch());
    expect(callsOf("set_integration_payload")).toHaveLength(0);

    await user.click(decodedSwitch());
    await waitFor(() => expect(sourceSwitch()).toBeEnabled());
    expect(screen.queryByTestId("payload-source_object-reason")).toBeNull();
    expect(payloadCalls()).toEqual([{ id: "int-1", options: { decoded: true, source_object: true, shadow: false } }]);

    // Turning decoded off disables it again at once.
    await user.click(decodedSwitch());
    expect(sourceSwitch()).toBeDisabled();
  });

  it("reloads the options when the integration changes elsewhere (the CLI)", async () => {
    const user = userEvent.setup();
    await openDetails(user);
    stored = { ...stored, payload: { decoded: true, source_object: true, shadow: true } };
    act(() => changesChannel()?.onmessage({ what: ["integrations"] }));
    await waitFor(() => expect(shadowSwitch()).toHaveAttribute("aria-checked", "true"));
  });

  it("has no axe violations, before and with a refusal shown", async () => {
    const user = userEvent.setup();
    const { container } = await openDetails(user, DEFAULTS, {
      set_integration_payload: { reject: { code: "aws", message: "shadow updates stay off: no network" } },
    });
    expect(await axeViolations(container)).toEqual([]);
    await user.click(shadowSwitch());
    await screen.findByRole("alert");
    expect(await axeViolations(container)).toEqual([]);
  });

  it("has no axe violations with the source's switch disabled", async () => {
    const user = userEvent.setup();
    const { container } = await openDetails(user, { decoded: false, source_object: false, shadow: false });
    expect(sourceSwitch()).toBeDisabled();
    expect(await axeViolations(container)).toEqual([]);
  });
});

describe("Message contents in the integrations list", () => {
  it.each<[PayloadOptions, string]>([
    // What each message is and what it carries beyond it, in words (not a bare "Decoded").
    [DEFAULTS, "Helium JSON + decoded values"],
    [{ decoded: true, source_object: false, shadow: true }, "Helium JSON + values from this bridge's decoders + shadow updates"],
    [{ decoded: true, source_object: true, shadow: true }, "Helium JSON + decoded values + shadow updates"],
    [{ decoded: false, source_object: true, shadow: false }, "Helium JSON only"],
  ])("sums up %o as %s", async (payload, text) => {
    mockCommands({ list_integrations: [integration({ payload })] });
    render(<IntegrationsPage />);
    const row = await screen.findByTestId("integration-row");
    expect(within(row).getByTestId("integration-payload").textContent).toBe(text);
  });
});
