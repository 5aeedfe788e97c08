import { useCallback, useEffect, useState } from "react";

export type CommandState<T> =
  | { status: "loading" }
  | { status: "error"; error: Error }
  | { status: "ready"; data: T };

/**
 * Run an IPC call on mount and expose its loading / error / ready state.
 * `reload` runs it again (e.g. from a "Retry" button).
 */
export function useCommand<T>(fetcher: () => Promise<T>): [CommandState<T>, () => void] {
  const [state, setState] = useState<CommandState<T>>({ status: "loading" });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let cancelled = false;
    setState({ status: "loading" });
    fetcher().then(
      (data) => {
        if (!cancelled) setState({ status: "ready", data });
      },
      (reason: unknown) => {
        if (!cancelled) {
          setState({
            status: "error",
            error: reason instanceof Error ? reason : new Error(String(reason)),
          });
        }
      },
    );
    return () => {
      cancelled = true;
    };
  }, [fetcher, attempt]);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  return [state, reload];
}
