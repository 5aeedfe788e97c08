// "Test" for a source, from its row (the saved settings) or from the form (the unsaved ones): the
// call, its busy state, and what it found.
import { useCallback, useEffect, useRef, useState } from "react";
import { testSource } from "../api";
import type { Probe, SourceTestInput } from "../bindings";
import { TEST_WAIT_SECS } from "./sourceSettings";

export type TestState =
  | { state: "idle" }
  | { state: "testing" }
  | { state: "done"; probe: Probe }
  | { state: "failed"; message: string };

/** The current test, a way to run one, and a way to forget the last answer (its settings changed). */
export function useSourceTest(): [TestState, (input: SourceTestInput) => void, () => void] {
  const [test, setTest] = useState<TestState>({ state: "idle" });
  // Only the latest test's answer is shown: an older one may arrive after it.
  const latest = useRef(0);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  const run = useCallback((input: SourceTestInput) => {
    const n = ++latest.current;
    setTest({ state: "testing" });
    const settle = (next: TestState) => {
      if (mounted.current && n === latest.current) setTest(next);
    };
    testSource(input).then(
      (probe) => settle({ state: "done", probe }),
      (e: Error) => settle({ state: "failed", message: e.message }),
    );
  }, []);
  const reset = useCallback(() => {
    latest.current++;
    setTest({ state: "idle" });
  }, []);
  return [test, run, reset];
}

/** What a test found: the summary (ok or not), then each step it took. */
export function TestResult({ test, testId }: { test: TestState; testId: string }) {
  if (test.state === "idle") return null;
  if (test.state === "testing") {
    return (
      <p className="probe probe-busy" role="status" data-testid={`${testId}-busy`}>
        <span className="spinner" aria-hidden="true" />
        Testing: connecting, then waiting up to {TEST_WAIT_SECS} s for an uplink…
      </p>
    );
  }
  if (test.state === "failed") {
    return (
      <p className="inline-error" role="alert" data-testid={`${testId}-error`}>
        {test.message}
      </p>
    );
  }
  const { probe } = test;
  return (
    <div
      className={probe.ok ? "probe probe-ok" : "probe probe-failed"}
      role={probe.ok ? "status" : "alert"}
      data-testid={testId}
      data-ok={probe.ok}
    >
      <p className="probe-summary">{probe.summary}</p>
      {probe.steps.length > 0 ? (
        <ol className="probe-steps" aria-label="What the test did">
          {probe.steps.map((step, i) => (
            <li key={i}>{step}</li>
          ))}
        </ol>
      ) : null}
    </div>
  );
}
