import { render, screen, within } from "@testing-library/react";
import userEvent, { type UserEvent } from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { invoke } from "@tauri-apps/api/core";
import type { Integration, NewIntegrationInput, RemoveOutcome } from "./bindings";
import { IntegrationsPage } from "./pages/IntegrationsPage";
import { callsOf, integration, keysChecked, mockCommands } from "./test/tauri";

vi.mock("@tauri-apps/api/core", async () => ({
  invoke: vi.fn(),
  Channel: (await import("./test/channel")).MockChannel,
}));

beforeEach(() => {
  vi.mocked(invoke).mockReset();
});

const KEY_ID = "AKIAIOSFODNN7EXAMPLE";
const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

const calls = () => vi.mocked(invoke).mock.calls;

async function openWizard(user: UserEvent) {
  await user.click(await screen.findByTestId("add-integration"));
  return screen.getByTestId("integration-wizard");
}

async function fillKeys(user: UserEvent, region = "us-east-1") {
  await user.type(screen.getByLabelText("Access Key ID"), KEY_ID);
  await user.type(screen.getByLabelText("Secret Access Key"), SECRET);
  const regionInput = screen.getByLabelText("Region");
  await user.clear(regionInput);
  await user.type(regionInput, region);
}

const linked = (overrides: Partial<Integration> = {}): Integration =>
  integration({ aws: keysChecked().account, ...overrides });

describe("Add an AWS IoT Core integration", () => {
  it("explains the IAM user to create and keeps the secret out of sight", async () => {
    const user = userEvent.setup();
    mockCommands({});
    render(<IntegrationsPage />);
    const wizard = await openWizard(user);
    expect(wizard).toHaveTextContent("HeliumIntegrationAccess");
    expect(wizard).toHaveTextContent("AWSIoTConfigAccess");
    expect(wizard).toHaveTextContent(/programmatic access/);
    const secret = screen.getByLabelText("Secret Access Key");
    expect(secret).toHaveAttribute("type", "password");
    // Add stays off until the keys, region, topic and name are there.
    expect(screen.getByTestId("wizard-submit")).toBeDisabled();
    expect(screen.getByTestId("wizard-check")).toBeDisabled();
  });

  it("shows the core's message verbatim when the check fails", async () => {
    const user = userEvent.setup();
    const message = "AWS refused the keys: the security token included in the request is invalid (InvalidClientTokenId)";
    mockCommands({ check_aws_keys: { reject: { message } } });
    render(<IntegrationsPage />);
    await openWizard(user);
    await fillKeys(user);
    await user.click(screen.getByTestId("wizard-check"));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toBe(message);
    expect(screen.queryByTestId("wizard-check-result")).not.toBeInTheDocument();
  });

  it("shows the account and the user ARN of keys that work", async () => {
    const user = userEvent.setup();
    mockCommands({ check_aws_keys: keysChecked() });
    render(<IntegrationsPage />);
    await openWizard(user);
    await fillKeys(user, "eu-central-1");
    await user.click(screen.getByRole("button", { name: "Check keys" }));
    const result = await screen.findByTestId("wizard-check-result");
    expect(result).toHaveTextContent("123456789012");
    expect(result).toHaveTextContent("arn:aws:iam::123456789012:user/HeliumIntegrationAccess");
    expect(result).toHaveTextContent("a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com");
    // The host name wraps only after a dot, never at the hyphen of "…-ats" or "us-east-1", and
    // never leaves "com" alone on a line.
    const pieces = Array.from(result.querySelectorAll(".nowrap"), (p) => p.textContent);
    expect(pieces).toEqual(["a1b2c3d4e5f6g7-ats.", "iot.", "us-east-1.", "amazonaws.com"]);
    expect(callsOf("check_aws_keys")).toEqual([
      [
        "check_aws_keys",
        {
          input: {
            keys: { access_key_id: KEY_ID, secret_access_key: SECRET },
            region: "eu-central-1",
            api_url: null,
          },
        },
      ],
    ]);
    expect(result).not.toHaveTextContent(SECRET);

    // A changed key makes the answer stale.
    await user.type(screen.getByLabelText("Access Key ID"), "X");
    expect(screen.queryByTestId("wizard-check-result")).not.toBeInTheDocument();
  });

  it("names the data endpoint override as where devices connect, not AWS's own", async () => {
    const user = userEvent.setup();
    mockCommands({ check_aws_keys: keysChecked() });
    render(<IntegrationsPage />);
    await openWizard(user);
    await fillKeys(user, "eu-central-1");
    await user.click(screen.getByTestId("wizard-advanced"));
    await user.type(screen.getByTestId("wizard-data-endpoint"), "iot.example.com:8883");
    await user.click(screen.getByRole("button", { name: "Check keys" }));
    const result = await screen.findByTestId("wizard-check-result");
    expect(result).toHaveTextContent(
      "Data endpointiot.example.com:8883 (your override; AWS's own is a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com)",
    );
  });

  it("adds with the right payload, sends the secret nowhere else, and wipes the secret field", async () => {
    const user = userEvent.setup();
    let list: Integration[] = [];
    mockCommands({
      list_integrations: () => list,
      check_aws_keys: keysChecked(),
      add_integration: (args) => {
        const input = args.input as NewIntegrationInput;
        const added = linked({ id: "int-9", name: input.name, region: input.region, topic: input.topic });
        list = [added];
        return added;
      },
    });
    render(<IntegrationsPage />);
    await openWizard(user);
    await fillKeys(user);
    await user.click(screen.getByTestId("wizard-advanced"));
    await user.type(screen.getByLabelText("AWS API URL"), "http://127.0.0.1:5000");
    await user.type(screen.getByLabelText("Data endpoint"), "localhost:8883");
    await user.type(screen.getByLabelText("CA file"), "/tmp/ca.pem");
    const topic = screen.getByLabelText("Topic");
    await user.clear(topic);
    await user.type(topic, "farm/uplinks");
    await user.type(screen.getByLabelText("Name"), "  Farm sensors ");
    await user.click(screen.getByTestId("wizard-check"));
    await screen.findByTestId("wizard-check-result");

    const secretInput = screen.getByLabelText("Secret Access Key") as HTMLInputElement;
    expect(secretInput.value).toBe(SECRET);
    await user.click(screen.getByRole("button", { name: "Add integration" }));

    expect(await screen.findByTestId("wizard-result")).toHaveTextContent(
      "Added Farm sensors for AWS account 123456789012",
    );
    expect(callsOf("add_integration")).toEqual([
      [
        "add_integration",
        {
          input: {
            name: "Farm sensors",
            region: "us-east-1",
            topic: "farm/uplinks",
            endpoint: {
              host: "localhost",
              port: 8883,
              ca_file: "/tmp/ca.pem",
              cert_dir: null,
              api_url: "http://127.0.0.1:5000",
            },
            forward_joins: false,
            keys: { access_key_id: KEY_ID, secret_access_key: SECRET },
          },
        },
      ],
    ]);
    // The secret went to the check and the add, nowhere else…
    const others = calls().filter(([c]) => c !== "check_aws_keys" && c !== "add_integration");
    expect(JSON.stringify(others)).not.toContain(SECRET);
    // …and the field was wiped before the wizard closed.
    expect(secretInput.value).toBe("");
    expect(screen.queryByTestId("integration-wizard")).not.toBeInTheDocument();

    const row = await screen.findByTestId("integration-row");
    expect(row).toHaveTextContent("Farm sensors");
    expect(within(row).getByTestId("integration-aws")).toHaveTextContent(`123456789012 · ${KEY_ID}`);
    expect(document.body).not.toHaveTextContent(SECRET);
  });

  it("keeps the form and shows the core's error when adding fails", async () => {
    const user = userEvent.setup();
    mockCommands({ add_integration: { reject: { message: 'an integration named "Farm" already exists' } } });
    render(<IntegrationsPage />);
    await openWizard(user);
    await fillKeys(user);
    await user.type(screen.getByLabelText("Name"), "Farm");
    await user.click(screen.getByTestId("wizard-submit"));
    expect(await screen.findByTestId("wizard-error")).toHaveTextContent(
      'an integration named "Farm" already exists',
    );
    expect(screen.getByTestId("integration-wizard")).toBeInTheDocument();
    expect(screen.getByTestId("wizard-submit")).toBeEnabled();
  });

  it("refuses a data endpoint that is not host[:port] before calling the core", async () => {
    const user = userEvent.setup();
    mockCommands({});
    render(<IntegrationsPage />);
    await openWizard(user);
    await fillKeys(user);
    await user.type(screen.getByLabelText("Name"), "Farm");
    await user.type(screen.getByLabelText("Data endpoint"), "localhost:99999");
    await user.click(screen.getByTestId("wizard-submit"));
    expect(await screen.findByTestId("wizard-error")).toHaveTextContent("port must be 1–65535");
    expect(callsOf("add_integration")).toEqual([]);
  });
});

describe("Update connection details", () => {
  it("keeps the keys when left empty, warns about a new region, and sends only what changed", async () => {
    const user = userEvent.setup();
    const current = linked();
    mockCommands({
      list_integrations: [current],
      update_integration: {
        integration: { ...current, region: "eu-central-1" },
        checked: keysChecked(),
        keys_changed: false,
        region_changed: true,
      },
    });
    render(<IntegrationsPage />);
    await user.click(await screen.findByRole("button", { name: "Update connection details" }));
    expect(screen.getByRole("heading", { name: "Update connection details of Farm sensors" })).toBeInTheDocument();
    expect(screen.getByTestId("wizard-keep-keys")).toHaveTextContent(`keep the current key (${KEY_ID})`);
    expect(screen.getByLabelText("Name")).toHaveValue("Farm sensors");
    expect(screen.getByLabelText("Access Key ID")).toHaveValue("");
    expect(screen.queryByTestId("wizard-region-warning")).not.toBeInTheDocument();

    const region = screen.getByLabelText("Region");
    await user.clear(region);
    await user.type(region, "eu-central-1");
    expect(screen.getByTestId("wizard-region-warning")).toHaveTextContent(
      /from eu-west-1 to eu-central-1 .* provisioned again/,
    );
    await user.click(screen.getByRole("button", { name: "Save changes" }));

    expect(await screen.findByTestId("wizard-result")).toHaveTextContent(
      "provisioned again in eu-central-1",
    );
    expect(callsOf("update_integration")).toEqual([
      [
        "update_integration",
        {
          id: "int-1",
          input: { name: null, region: "eu-central-1", topic: null, endpoint: null, forward_joins: null, keys: null },
        },
      ],
    ]);
  });

  it("sends new keys only when both are given", async () => {
    const user = userEvent.setup();
    const current = linked();
    mockCommands({
      list_integrations: [current],
      update_integration: { integration: current, checked: keysChecked(), keys_changed: true, region_changed: false },
    });
    render(<IntegrationsPage />);
    await user.click(await screen.findByTestId("integration-update"));
    await user.type(screen.getByLabelText("Access Key ID"), "AKIANEWKEY0000000001");
    await user.click(screen.getByTestId("wizard-submit"));
    expect(await screen.findByTestId("wizard-error")).toHaveTextContent("Enter both");
    expect(callsOf("update_integration")).toEqual([]);

    const secret = screen.getByLabelText("Secret Access Key") as HTMLInputElement;
    await user.type(secret, "new-secret");
    await user.click(screen.getByTestId("wizard-submit"));
    expect(await screen.findByTestId("wizard-result")).toHaveTextContent("The new keys are in use.");
    const [, args] = callsOf("update_integration")[0] as [string, { input: { keys: unknown } }];
    expect(args.input.keys).toEqual({ access_key_id: "AKIANEWKEY0000000001", secret_access_key: "new-secret" });
    expect(secret.value).toBe("");
  });
});

describe("Delete an integration", () => {
  const withCleanup: RemoveOutcome = {
    name: "Farm sensors",
    dropped_uplinks: 3,
    cleanup: {
      removed: ["certificate abc123", "thing dev-1", "the AWS secret access key in the keychain"],
      kept: [["thing dev-2", "another integration uses it"]],
      failed: [],
    },
    removed: true,
    warnings: [],
    left_in_aws: [],
  };

  it("asks whether to clean up AWS, sends cleanup_aws true, and lists what was removed and what was kept", async () => {
    const user = userEvent.setup();
    let list = [linked()];
    mockCommands({
      list_integrations: () => list,
      remove_integration: () => {
        list = [];
        return withCleanup;
      },
    });
    render(<IntegrationsPage />);
    await user.click(await screen.findByRole("button", { name: "Delete" }));
    const dialog = screen.getByRole("dialog", { name: "Delete Farm sensors?" });
    expect(dialog).toHaveTextContent(/thing and certificate, and the integration's policy/);
    await user.click(within(dialog).getByRole("button", { name: "Delete and clean up AWS" }));

    const outcome = await screen.findByTestId("remove-outcome");
    expect(callsOf("remove_integration")).toEqual([["remove_integration", { id: "int-1", cleanup_aws: true }]]);
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(outcome).toHaveTextContent("Deleted Farm sensors");
    expect(outcome).toHaveTextContent("3 uplinks still waiting for it were dropped.");
    const removed = within(outcome).getAllByRole("listitem");
    expect(removed.map((li) => li.textContent)).toEqual([
      "certificate abc123",
      "thing dev-1",
      "the AWS secret access key in the keychain",
      "thing dev-2: another integration uses it",
    ]);
    expect(within(outcome).getByTestId("remove-kept")).toHaveTextContent("another integration uses it");
    expect(await screen.findByTestId("integrations-empty")).toBeInTheDocument();
  });

  it("says the integration was kept when the cleanup failed in part", async () => {
    const user = userEvent.setup();
    mockCommands({
      list_integrations: [linked()],
      remove_integration: {
        name: "Farm sensors",
        dropped_uplinks: 0,
        cleanup: {
          removed: ["certificate abc123"],
          kept: [],
          failed: [["policy helium-bridge-int-1", "AccessDenied: not authorized to perform iot:DeletePolicy"]],
        },
        removed: false,
        warnings: ["the integration is kept (disabled) so the cleanup can be run again once the problem is fixed"],
        left_in_aws: [],
      },
    });
    render(<IntegrationsPage />);
    await user.click(await screen.findByTestId("integration-delete"));
    await user.click(screen.getByRole("button", { name: "Delete and clean up AWS" }));
    const outcome = await screen.findByTestId("remove-outcome");
    expect(outcome).toHaveTextContent("Farm sensors was not deleted");
    expect(within(outcome).getByTestId("remove-failed")).toHaveTextContent("AccessDenied");
    expect(within(outcome).getByTestId("remove-warning")).toHaveTextContent("kept (disabled)");
    expect(screen.getByTestId("integration-row")).toHaveTextContent("Farm sensors");
  });

  it("sends cleanup_aws false and lists what was left in AWS", async () => {
    const user = userEvent.setup();
    mockCommands({
      list_integrations: [linked()],
      remove_integration: {
        name: "Farm sensors",
        dropped_uplinks: 0,
        cleanup: null,
        removed: true,
        warnings: ["its AWS secret access key could not be deleted from the keychain: locked"],
        left_in_aws: ["thing dev-1", "certificate abc123", "policy helium-bridge-int-1"],
      },
    });
    render(<IntegrationsPage />);
    await user.click(await screen.findByTestId("integration-delete"));
    await user.click(screen.getByRole("button", { name: "Delete, keep AWS" }));
    const outcome = await screen.findByTestId("remove-outcome");
    expect(callsOf("remove_integration")).toEqual([["remove_integration", { id: "int-1", cleanup_aws: false }]]);
    expect(within(outcome).getByTestId("remove-untouched")).toHaveTextContent("Nothing in AWS was touched");
    expect(
      within(within(outcome).getByTestId("remove-left"))
        .getAllByRole("listitem")
        .map((li) => li.textContent),
    ).toEqual(["thing dev-1", "certificate abc123", "policy helium-bridge-int-1"]);
    expect(outcome).not.toHaveTextContent("dropped");
    expect(within(outcome).getByTestId("remove-warning")).toHaveTextContent("could not be deleted from the keychain");
  });

  it("keeps the dialog open with the error when deletion fails, and cancels", async () => {
    const user = userEvent.setup();
    mockCommands({
      list_integrations: [linked()],
      remove_integration: { reject: { message: "cleaning up AWS failed: no route to iot.us-east-1" } },
    });
    render(<IntegrationsPage />);
    await user.click(await screen.findByTestId("integration-delete"));
    await user.click(screen.getByTestId("delete-cleanup-aws"));
    expect(await screen.findByTestId("delete-error")).toHaveTextContent("no route to iot.us-east-1");
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(screen.getByTestId("integration-row")).toBeInTheDocument();
  });
});

describe("Provision now", () => {
  it("asks the bridge to provision and says where progress shows; off for inactive integrations", async () => {
    const user = userEvent.setup();
    mockCommands({ list_integrations: [linked(), linked({ id: "int-2", name: "Off", active: false })] });
    render(<IntegrationsPage />);
    const [first, second] = (await screen.findAllByTestId("integration-row")) as [HTMLElement, HTMLElement];
    expect(within(second).getByTestId("integration-provision")).toBeDisabled();
    await user.click(within(first).getByRole("button", { name: "Provision now" }));
    expect(await within(first).findByTestId("integration-provision-result")).toHaveTextContent("Messages page");
    expect(callsOf("provision_now")).toEqual([["provision_now", { id: "int-1" }]]);
  });

  it("is off, saying why, for an integration on certificates made by hand", async () => {
    mockCommands({ list_integrations: [integration({ aws: null })] });
    render(<IntegrationsPage />);
    const button = await screen.findByTestId("integration-provision");
    expect(button).toBeDisabled();
    expect(button).toHaveAttribute("title", "Nothing to provision: it uses certificates made by hand");
  });

  it("shows why provisioning could not start", async () => {
    const user = userEvent.setup();
    mockCommands({ list_integrations: [linked()], provision_now: { reject: { message: "the bridge is not running" } } });
    render(<IntegrationsPage />);
    await user.click(await screen.findByTestId("integration-provision"));
    expect(await screen.findByRole("alert")).toHaveTextContent("the bridge is not running");
  });
});
