import { useState, type ReactNode } from "react";
import { appInfo } from "./api";
import type { AppInfo } from "./bindings";
import { Dialog } from "./components";
import { ActivityIcon, AlertIcon, CloudIcon, CodeIcon, RadioIcon, SettingsIcon, SourceIcon, TagIcon } from "./icons";
import { DecodersPage } from "./pages/DecodersPage";
import { DevicesPage } from "./pages/DevicesPage";
import { IntegrationsPage } from "./pages/IntegrationsPage";
import { LabelsPage } from "./pages/LabelsPage";
import { MessagesPage } from "./pages/messages/MessagesPage";
import { SettingsPage } from "./pages/SettingsPage";
import { SourcesPage } from "./pages/SourcesPage";
import { BridgeIndicator } from "./status";
import { NavigateProvider, type PageId } from "./navigation";
import { hasUnsavedChanges } from "./unsaved";
import { useCommand } from "./useCommand";


const NAV: { id: PageId; label: string; icon: ReactNode }[] = [
  { id: "integrations", label: "Integrations", icon: <CloudIcon /> },
  { id: "sources", label: "Sources", icon: <SourceIcon /> },
  { id: "devices", label: "Devices", icon: <RadioIcon /> },
  { id: "labels", label: "Labels", icon: <TagIcon /> },
  { id: "decoders", label: "Decoders", icon: <CodeIcon /> },
  { id: "monitor", label: "Messages", icon: <ActivityIcon /> },
  { id: "settings", label: "Settings", icon: <SettingsIcon /> },
];

function CurrentPage({ page, info }: { page: PageId; info: AppInfo }) {
  switch (page) {
    case "integrations":
      return <IntegrationsPage />;
    case "sources":
      return <SourcesPage />;
    case "devices":
      return <DevicesPage />;
    case "labels":
      return <LabelsPage />;
    case "decoders":
      return <DecodersPage />;
    case "monitor":
      return <MessagesPage />;
    case "settings":
      return <SettingsPage info={info} />;
  }
}

function FullPageError({ testId, title, message }: { testId: string; title: string; message: string }) {
  return (
    <main className="fullpage" data-testid={testId}>
      <div className="fullpage-card" role="alert">
        <div className="fullpage-icon">
          <AlertIcon size={32} />
        </div>
        <h1>{title}</h1>
        <p className="fullpage-message">{message}</p>
        <p className="muted">Close this window, fix the problem above, and start Helium AWS Bridge again.</p>
      </div>
    </main>
  );
}

function Shell({ info }: { info: AppInfo }) {
  const [page, setPage] = useState<PageId>("integrations");
  // A page left with unsaved changes (a decoder's script) asks first.
  const [leavingFor, setLeavingFor] = useState<PageId | null>(null);
  const go = (next: PageId) => {
    if (next !== page && hasUnsavedChanges()) setLeavingFor(next);
    else setPage(next);
  };

  return (
    <div className="app">
      <aside className="sidebar">
        <div className="brand">
          <img className="brand-logo" src="./logo.svg" alt="" aria-hidden="true" width={28} height={28} />
          <span className="brand-name" title="Helium AWS Bridge">
            Helium AWS Bridge
          </span>
        </div>
        <nav aria-label="Main">
          <ul className="nav">
            {NAV.map((item) => (
              <li key={item.id}>
                <button
                  type="button"
                  data-testid={`nav-${item.id}`}
                  className={item.id === page ? "nav-item nav-item-active" : "nav-item"}
                  aria-current={item.id === page ? "page" : undefined}
                  onClick={() => go(item.id)}
                >
                  {item.icon}
                  {item.label}
                </button>
              </li>
            ))}
          </ul>
        </nav>
        <BridgeIndicator />
        <footer className="sidebar-footer" title={info.data_dir}>
          <span className="muted">v</span>
          <span data-testid="app-version">{info.version}</span>
        </footer>
      </aside>
      <main className="content">
        <NavigateProvider value={go}>
          <CurrentPage page={page} info={info} />
        </NavigateProvider>
      </main>
      {leavingFor !== null ? (
        <Dialog
          titleId="leave-page-title"
          title="Leave without saving?"
          testId="leave-page-dialog"
          busy={false}
          onCancel={() => setLeavingFor(null)}
        >
          <p>Your changes on this page are not saved; they are lost if you leave.</p>
          <div className="dialog-actions">
            <button type="button" className="button button-secondary" autoFocus onClick={() => setLeavingFor(null)}>
              Stay
            </button>
            <button
              type="button"
              className="button button-danger"
              data-testid="leave-page-confirm"
              onClick={() => {
                setPage(leavingFor);
                setLeavingFor(null);
              }}
            >
              Leave
            </button>
          </div>
        </Dialog>
      ) : null}
    </div>
  );
}

export function App() {
  const [state] = useCommand(appInfo);

  if (state.status === "loading") {
    return (
      <main className="fullpage" role="status" aria-live="polite">
        <span className="spinner" aria-hidden="true" /> Starting Helium AWS Bridge…
      </main>
    );
  }
  if (state.status === "error") {
    return <FullPageError testId="app-info-error" title="Cannot reach the bridge core" message={state.error.message} />;
  }
  if (state.data.startup_error !== null) {
    return (
      <FullPageError
        testId="startup-error"
        title="Helium AWS Bridge could not start"
        message={state.data.startup_error}
      />
    );
  }
  return <Shell info={state.data} />;
}
