import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { installFrameProbe } from "./frameProbe";
// uPlot's own rules (the charts), which ours refine.
import "uplot/dist/uPlot.min.css";
// One stylesheet in parts, in cascade order: tokens first, then the rules that use them.
import "./styles/tokens.css";
import "./styles/base.css";
import "./styles/layout.css";
import "./styles/controls.css";
import "./styles/tables.css";
import "./styles/states.css";
import "./styles/forms.css";
import "./styles/dialogs.css";
import "./styles/pages.css";
import "./styles/decoders.css";
import "./styles/messages.css";
import "./styles/charts.css";

// Idle until a performance test starts it (window.__heliumFrameProbe).
installFrameProbe();

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");

createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
