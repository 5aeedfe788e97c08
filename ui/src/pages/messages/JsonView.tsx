// JSON in the read-only CodeMirror viewer (loaded when first shown, like the decoder editor), with
// the text itself shown while it loads or if it cannot run. Long strings wrap in both (messages.css):
// an id or a payload is read whole, not cut off at the pane's edge.
import { Component, lazy, Suspense, type ReactNode } from "react";

const CodeEditor = lazy(() => import("../../CodeEditor").then((m) => ({ default: m.CodeEditor })));

/** Shows `fallback` in place of children that failed to render. */
class Fallback extends Component<{ fallback: ReactNode; children: ReactNode }, { failed: boolean }> {
  state = { failed: false };
  static getDerivedStateFromError() {
    return { failed: true };
  }
  render() {
    return this.state.failed ? this.props.fallback : this.props.children;
  }
}

export function JsonView({ text, label }: { text: string; label: string }) {
  const plain = (
    <pre className="code-block msg-code msg-code-wrap mono" role="region" aria-label={label} tabIndex={0}>
      {text}
    </pre>
  );
  return (
    <Fallback fallback={plain}>
      <Suspense fallback={plain}>
        <CodeEditor value={text} label={label} language="json" readOnly wrap testId="detail-json-editor" />
      </Suspense>
    </Fallback>
  );
}
