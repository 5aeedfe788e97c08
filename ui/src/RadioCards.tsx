// A group of radio buttons drawn as cards, each with a title and a line describing it: the kind of a
// new source (SourceForm) and the template of a new decoder (DecodersPage).
import { useId } from "react";

export type RadioCardOption<T extends string> = {
  value: T;
  title: string;
  description: string;
  testId: string;
};

export function RadioCards<T extends string>({
  legend,
  options,
  value,
  onChange,
  className,
}: {
  legend: string;
  options: readonly RadioCardOption<T>[];
  value: T;
  onChange: (value: T) => void;
  /** Added to the fieldset's "kind-options". */
  className?: string;
}) {
  const name = useId();
  return (
    <fieldset className={className ? `kind-options ${className}` : "kind-options"}>
      <legend className="field-label">{legend}</legend>
      {options.map((o) => (
        <label key={o.value} className="kind-option">
          <input
            type="radio"
            name={name}
            value={o.value}
            checked={value === o.value}
            onChange={() => onChange(o.value)}
            aria-label={o.title}
            aria-describedby={`${name}-${o.value}`}
            data-testid={o.testId}
          />
          <span className="kind-option-text">
            <span className="kind-option-title">{o.title}</span>
            <span id={`${name}-${o.value}`} className="kind-option-desc">
              {o.description}
            </span>
          </span>
        </label>
      ))}
    </fieldset>
  );
}
