// Unsaved changes in a view (e.g. a decoder's script): the sidebar asks before leaving the page.
import { useEffect } from "react";

const dirty = new Set<symbol>();

/** While `unsaved` is true, leaving the page through the sidebar asks first. */
export function useUnsavedChanges(unsaved: boolean): void {
  useEffect(() => {
    if (!unsaved) return undefined;
    const key = Symbol("unsaved");
    dirty.add(key);
    return () => {
      dirty.delete(key);
    };
  }, [unsaved]);
}

/** Some view holds changes not saved yet. */
export function hasUnsavedChanges(): boolean {
  return dirty.size > 0;
}
