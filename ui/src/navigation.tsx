// Going to another page from inside one: the sentences that say "on the Labels page" take the
// user there, the way the sidebar does (asking first where a page has unsaved changes).
import { createContext, useContext, type ReactNode } from "react";

export type PageId = "integrations" | "sources" | "devices" | "labels" | "decoders" | "monitor" | "settings";

const Navigate = createContext<((page: PageId) => void) | null>(null);

/** Given by the app's shell: how to go to a page. */
export const NavigateProvider = Navigate.Provider;

/** A page's name in a sentence, as a link to it; plain text where nothing can navigate (a page
 *  shown on its own). */
export function PageLink({ page, children }: { page: PageId; children: ReactNode }) {
  const go = useContext(Navigate);
  if (!go) return <>{children}</>;
  return (
    <button type="button" className="link-button" data-testid={`go-${page}`} onClick={() => go(page)}>
      {children}
    </button>
  );
}
