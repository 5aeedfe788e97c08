// A JavaScript editor (CodeMirror 6, bundled, loaded with the Decoders editor): syntax highlighting
// in the app's colours (tokens, light and dark), line numbers, undo, search, bracket matching and
// closing, folding, and a mark on the line an error names. No completion pop-ups. Tab is left to
// move the focus on (Ctrl+] and Ctrl+[ indent), so the keyboard never gets stuck in it.
// Also a read-only JSON viewer (the Messages page's detail pane): the same look, folding, search.
import { useEffect, useImperativeHandle, useRef, type Ref } from "react";
import { closeBrackets, closeBracketsKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { javascript } from "@codemirror/lang-javascript";
import { json } from "@codemirror/lang-json";
import { bracketMatching, foldGutter, foldKeymap, HighlightStyle, indentOnInput, syntaxHighlighting } from "@codemirror/language";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import { Compartment, EditorSelection, EditorState, StateEffect, StateField } from "@codemirror/state";
import {
  Decoration,
  drawSelection,
  dropCursor,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
  type DecorationSet,
} from "@codemirror/view";
import { tags } from "@lezer/highlight";

/** CodeMirror's basic setup without autocompletion pop-ups, lint and rectangular selection. */
const setup = [
  lineNumbers(),
  highlightActiveLineGutter(),
  highlightSpecialChars(),
  history(),
  foldGutter(),
  drawSelection(),
  dropCursor(),
  indentOnInput(),
  bracketMatching(),
  closeBrackets(),
  highlightActiveLine(),
  highlightSelectionMatches(),
  keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...searchKeymap, ...historyKeymap, ...foldKeymap]),
];

export type CodeEditorHandle = {
  /** Puts the cursor at the start of `line` (1-based), scrolls to it and focuses the editor. */
  focusLine: (line: number) => void;
  /** The text as the editor holds it. */
  value: () => string;
};

const setErrorLine = StateEffect.define<number | null>();

const errorMark = Decoration.line({ class: "cm-error-line" });

/** The line an error names, marked until the next error (or none); it moves with edits above it. */
const errorLineField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, tr) {
    let next = marks.map(tr.changes);
    for (const e of tr.effects) {
      if (!e.is(setErrorLine)) continue;
      const n = e.value;
      next = n !== null && n >= 1 && n <= tr.state.doc.lines ? Decoration.set([errorMark.range(tr.state.doc.line(n).from)]) : Decoration.none;
    }
    return next;
  },
  provide: (field) => EditorView.decorations.from(field),
});

/** Every colour is a token (styles/tokens.css), so the editor follows the light and dark themes. */
const highlight = HighlightStyle.define([
  { tag: [tags.keyword, tags.controlKeyword, tags.definitionKeyword, tags.moduleKeyword, tags.operatorKeyword], color: "var(--code-keyword)" },
  { tag: [tags.string, tags.special(tags.string), tags.regexp], color: "var(--code-string)" },
  { tag: [tags.number, tags.bool, tags.null, tags.atom], color: "var(--code-number)" },
  { tag: [tags.comment, tags.lineComment, tags.blockComment], color: "var(--code-comment)", fontStyle: "italic" },
  { tag: [tags.function(tags.variableName), tags.function(tags.definition(tags.variableName))], color: "var(--code-function)" },
  { tag: tags.definition(tags.variableName), color: "var(--code-function)" },
  { tag: tags.invalid, color: "var(--danger)" },
]);

/** JSON's keys: in the keyword colour, so they stand apart from string values. */
const jsonHighlight = HighlightStyle.define([{ tag: tags.propertyName, color: "var(--code-keyword)" }]);

const languages = {
  javascript: () => [javascript()],
  json: () => [json(), syntaxHighlighting(jsonHighlight)],
};

const theme = EditorView.theme({
  "&": { color: "var(--text)", backgroundColor: "var(--surface)", fontSize: "13px" },
  "&.cm-focused": { outline: "none" },
  ".cm-scroller": { fontFamily: "var(--mono)", lineHeight: "1.55" },
  ".cm-content": { caretColor: "var(--text)" },
  ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--text)" },
  ".cm-gutters": { backgroundColor: "var(--surface-2)", color: "var(--text-muted)", borderRight: "1px solid var(--border)" },
  ".cm-activeLine": { backgroundColor: "transparent" },
  "&.cm-focused .cm-activeLine": { backgroundColor: "var(--surface-2)" },
  ".cm-activeLineGutter": { backgroundColor: "transparent" },
  "&.cm-focused .cm-activeLineGutter": { backgroundColor: "var(--primary-soft)", color: "var(--primary-ink)" },
  ".cm-selectionBackground, &.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, ::selection": {
    backgroundColor: "var(--code-selection)",
  },
  ".cm-selectionMatch, .cm-searchMatch": { backgroundColor: "var(--code-match)" },
  ".cm-searchMatch-selected": { backgroundColor: "var(--code-selection)" },
  "&.cm-focused .cm-matchingBracket": { backgroundColor: "var(--code-match)", outline: "1px solid var(--border-strong)" },
  "&.cm-focused .cm-nonmatchingBracket": { backgroundColor: "var(--danger-bg)", color: "var(--danger)" },
  ".cm-foldPlaceholder": { backgroundColor: "var(--surface-2)", color: "var(--text-muted)", border: "1px solid var(--border)" },
  ".cm-error-line": { backgroundColor: "var(--danger-bg)", boxShadow: "inset 3px 0 0 var(--danger)" },
  ".cm-tooltip": { backgroundColor: "var(--surface)", color: "var(--text)", border: "1px solid var(--border-strong)" },
  ".cm-panels": { backgroundColor: "var(--surface-2)", color: "var(--text)" },
  ".cm-panels.cm-panels-top": { borderBottom: "1px solid var(--border)" },
  ".cm-panels.cm-panels-bottom": { borderTop: "1px solid var(--border)" },
  ".cm-panel input, .cm-panel button, .cm-textfield, .cm-button": {
    backgroundColor: "var(--surface)",
    backgroundImage: "none",
    color: "var(--text)",
    border: "1px solid var(--border-strong)",
    borderRadius: "6px",
  },
});

export type CodeEditorProps = {
  value: string;
  /** What the user typed (not called when `readOnly`). */
  onChange?: (value: string) => void;
  /** JavaScript unless said. */
  language?: keyof typeof languages;
  /** The text can be read, selected, searched and folded, not changed. */
  readOnly?: boolean;
  /** Long lines wrap at the editor's width instead of scrolling sideways. */
  wrap?: boolean;
  /** The editor's accessible name (its text area carries it). */
  label: string;
  /** Ids of the hint and the error that describe it. */
  describedBy?: string;
  /** The line to mark (1-based); null marks none. */
  errorLine?: number | null;
  testId?: string;
  ref?: Ref<CodeEditorHandle>;
};

export function CodeEditor({
  value,
  onChange,
  label,
  describedBy,
  errorLine = null,
  testId,
  ref,
  language = "javascript",
  readOnly = false,
  wrap = false,
}: CodeEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const attributes = useRef(new Compartment());
  const changed = useRef(onChange);
  changed.current = onChange;
  const initial = useRef({ value, label, describedBy, language, readOnly, wrap });

  // One editor for the component's life; the props below reach it as transactions.
  useEffect(() => {
    const parent = host.current;
    if (!parent) return undefined;
    const first = initial.current;
    const editor = new EditorView({
      parent,
      state: EditorState.create({
        doc: first.value,
        extensions: [
          setup,
          languages[first.language](),
          syntaxHighlighting(highlight),
          theme,
          errorLineField,
          EditorState.readOnly.of(first.readOnly),
          first.wrap ? EditorView.lineWrapping : [],
          attributes.current.of(contentAttributes(first.label, first.describedBy, first.readOnly)),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) changed.current?.(update.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = null;
    };
  }, []);

  // A value from outside (a template, a reload): replaces the text; what the editor reported is
  // already there and changes nothing.
  useEffect(() => {
    const editor = view.current;
    if (!editor) return;
    const current = editor.state.doc.toString();
    if (current !== value) editor.dispatch({ changes: { from: 0, to: current.length, insert: value } });
  }, [value]);

  useEffect(() => {
    view.current?.dispatch({
      effects: attributes.current.reconfigure(contentAttributes(label, describedBy, initial.current.readOnly)),
    });
  }, [label, describedBy]);

  useEffect(() => {
    const editor = view.current;
    if (!editor) return;
    const effects: StateEffect<unknown>[] = [setErrorLine.of(errorLine)];
    if (errorLine !== null && errorLine <= editor.state.doc.lines) {
      effects.push(EditorView.scrollIntoView(editor.state.doc.line(errorLine).from, { y: "center" }));
    }
    editor.dispatch({ effects });
  }, [errorLine]);

  useImperativeHandle(
    ref,
    () => ({
      focusLine: (line: number) => {
        const editor = view.current;
        if (!editor) return;
        const doc = editor.state.doc;
        const at = doc.line(Math.min(Math.max(line, 1), doc.lines)).from;
        editor.dispatch({ selection: EditorSelection.cursor(at), effects: EditorView.scrollIntoView(at, { y: "center" }) });
        editor.focus();
      },
      value: () => view.current?.state.doc.toString() ?? "",
    }),
    [],
  );

  return <div ref={host} className="code-editor" data-testid={testId} data-error-line={errorLine ?? undefined} />;
}

function contentAttributes(label: string, describedBy: string | undefined, readOnly: boolean) {
  return EditorView.contentAttributes.of({
    "aria-label": label,
    ...(describedBy ? { "aria-describedby": describedBy } : {}),
    // A read-only view still scrolls: its content takes keyboard focus explicitly, so the
    // scroll region can be reached without a mouse.
    ...(readOnly ? { "aria-readonly": "true", tabindex: "0" } : {}),
  });
}
