// The real CodeMirror wrapper in jsdom (the page tests use a stand-in): its name, its text, typing,
// a value from outside, and the error line's mark.
import { act, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { createRef } from "react";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { CodeEditor, type CodeEditorHandle } from "./CodeEditor";
import { axeViolations } from "./test/axe";

// jsdom does no layout: CodeMirror measures text ranges, which jsdom's Range cannot.
beforeAll(() => {
  Range.prototype.getClientRects = () => Object.assign([], { item: () => null }) as unknown as DOMRectList;
  Range.prototype.getBoundingClientRect = () => new DOMRect();
});

const SCRIPT = "function Decoder(bytes, port) {\n  return { port: port };\n}\n";

describe("CodeEditor (CodeMirror 6)", () => {
  it("is a labelled, multi-line text box holding the value, with line numbers and highlighting", () => {
    const ref = createRef<CodeEditorHandle>();
    render(<CodeEditor value={SCRIPT} onChange={() => undefined} label="Decoder script" describedBy="hint" ref={ref} />);
    const box = screen.getByRole("textbox", { name: "Decoder script" });
    expect(box).toHaveAttribute("contenteditable", "true");
    expect(box).toHaveAttribute("aria-multiline", "true");
    expect(box).toHaveAttribute("aria-describedby", "hint");
    expect(ref.current?.value()).toBe(SCRIPT);
    expect(box).toHaveTextContent("function Decoder(bytes, port) { return { port: port };}");
    // Keywords are highlighted (a class of the highlight style), lines are numbered.
    expect(box.querySelector("span")?.textContent).toBe("function");
    expect(document.querySelector(".cm-lineNumbers")).toHaveTextContent("1234");
  });

  it("reports what is typed", async () => {
    const user = userEvent.setup();
    const onChange = vi.fn();
    render(<CodeEditor value="return 1;" onChange={onChange} label="Decoder script" />);
    await user.click(screen.getByRole("textbox", { name: "Decoder script" }));
    await user.keyboard("abc");
    // jsdom has no layout: the click puts the cursor at the start.
    expect(onChange).toHaveBeenLastCalledWith("abcreturn 1;");
  });

  it("takes a new value from outside and marks the error line, which focusLine reaches", () => {
    const onChange = vi.fn();
    const ref = createRef<CodeEditorHandle>();
    const { rerender, container } = render(
      <CodeEditor value="a" onChange={onChange} label="Decoder script" ref={ref} />,
    );
    expect(container.querySelector(".cm-error-line")).toBeNull();
    rerender(<CodeEditor value={SCRIPT} onChange={onChange} label="Decoder script" ref={ref} errorLine={2} />);
    expect(ref.current?.value()).toBe(SCRIPT);
    const marked = container.querySelector(".cm-error-line");
    expect(marked).toHaveTextContent("return { port: port };");
    expect(container.querySelector("[data-error-line]")).toHaveAttribute("data-error-line", "2");

    act(() => ref.current?.focusLine(2));
    expect(screen.getByRole("textbox", { name: "Decoder script" })).toHaveFocus();

    rerender(<CodeEditor value={SCRIPT} onChange={onChange} label="Decoder script" ref={ref} errorLine={null} />);
    expect(container.querySelector(".cm-error-line")).toBeNull();
  });

  it("shows JSON read-only: highlighted, foldable, not editable", async () => {
    const user = userEvent.setup();
    const json = '{\n  "payload": "AWc=",\n  "decoded": {\n    "temperature": 21.5\n  }\n}';
    const ref = createRef<CodeEditorHandle>();
    const { container } = render(<CodeEditor value={json} label="The JSON" language="json" readOnly ref={ref} />);
    const box = screen.getByRole("textbox", { name: "The JSON" });
    expect(box).toHaveAttribute("aria-readonly", "true");
    // Keys and values are told apart by the JSON language's highlighting.
    expect(Array.from(box.querySelectorAll("span")).map((s) => s.textContent)).toEqual(
      expect.arrayContaining(['"payload"', '"AWc="', "21.5"]),
    );
    expect(container.querySelector(".cm-foldGutter")).not.toBeNull();
    await user.click(box);
    await user.keyboard("abc");
    expect(ref.current?.value()).toBe(json);
  });

  it("wraps long lines only when asked", () => {
    const { rerender } = render(<CodeEditor value={'{"id": "x"}'} label="The JSON" language="json" readOnly />);
    expect(screen.getByRole("textbox", { name: "The JSON" })).not.toHaveClass("cm-lineWrapping");
    rerender(<></>);
    render(<CodeEditor value={'{"id": "x"}'} label="Wrapped" language="json" readOnly wrap />);
    expect(screen.getByRole("textbox", { name: "Wrapped" })).toHaveClass("cm-lineWrapping");
  });

  it("has no axe violations", async () => {
    const { container } = render(
      <main>
        <CodeEditor value={SCRIPT} onChange={() => undefined} label="Decoder script" errorLine={2} />
      </main>,
    );
    expect(await axeViolations(container)).toEqual([]);
  });
});
