import { useCallback, useEffect, useState } from "react";
import { onChanged } from "./api";

export type CommandState<T> =
  | { status: "loading" }
  | { status: "error"; error: Error }
  | { status: "ready"; data: T };

const asError = (reason: unknown): Error => (reason instanceof Error ? reason : new Error(String(reason)));

/**
 * Run an IPC call on mount and expose its loading / error / ready state.
 * `reload` runs it again (e.g. from a "Retry" button); data already shown stays on screen
 * until the new result arrives, so a reload after an edit does not flash a spinner.
 * `watch` names what the data depends on (`labels`, `devices`, `sources`, `integrations`): a
 * change to it, in this window or from the CLI, reloads it. `refreshMs` reloads it that often
 * too, for what changes without a change being announced (a device's counters as uplinks come).
 */
export function useCommand<T>(
  fetcher: () => Promise<T>,
  watch: readonly string[] = [],
  refreshMs?: number,
): [CommandState<T>, () => void] {
  const [state, setState] = useState<CommandState<T>>({ status: "loading" });
  const [attempt, setAttempt] = useState(0);
  const reload = useCallback(() => setAttempt((n) => n + 1), []);

  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // A refreshing read keeps what is shown, an error too, until its answer (no flicker).
    setState((prev) =>
      attempt > 0 && (prev.status === "ready" || refreshMs !== undefined) ? prev : { status: "loading" },
    );
    fetcher()
      .then(
        (data) => {
          if (!cancelled) setState({ status: "ready", data });
        },
        (reason: unknown) => {
          if (!cancelled) setState({ status: "error", error: asError(reason) });
        },
      )
      // The next read `refreshMs` after this one's answer: never two at once, however slow.
      .finally(() => {
        if (!cancelled && refreshMs !== undefined) timer = setTimeout(reload, refreshMs);
      });
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [fetcher, attempt, refreshMs, reload]);

  const watched = watch.join(",");
  useEffect(() => {
    if (watched === "") return undefined;
    const names = watched.split(",");
    return onChanged((what) => {
      if (what.some((w) => names.includes(w))) reload();
    });
  }, [watched, reload]);
  return [state, reload];
}

/** Run an IPC call on mount and again `intervalMs` after each answer, keeping the latest result. */
export function usePolling<T>(fetcher: () => Promise<T>, intervalMs: number): CommandState<T> {
  return useCommand(fetcher, NO_WATCH, intervalMs)[0];
}

const NO_WATCH: readonly string[] = [];
