// How a typed payload is read: Hex, Base64 or Text, chosen by the user, never guessed ("AAAA" is
// both hex and base64). One control for every payload field: the decoder's Test and Simulate
// uplink, and the device's downlink form.
import { useCallback, useId, useState } from "react";
import { PAYLOAD_FORMATS, type PayloadFormat } from "./payload";

/**
 * The format last chosen in any payload field, which the next one opens with: a user who pastes
 * hex pastes hex everywhere. Base64 until then, as Helium's JSON and its downlinks carry payloads.
 */
let lastChosen: PayloadFormat = "base64";

/** A payload field's format: the last one chosen in the app; choosing one here sets it. */
export function usePayloadFormat(): [PayloadFormat, (format: PayloadFormat) => void] {
  const [format, setFormat] = useState(lastChosen);
  const choose = useCallback((f: PayloadFormat) => {
    lastChosen = f;
    setFormat(f);
  }, []);
  return [format, choose];
}

/** Back to the first-run choice (tests: each starts as the app does). */
export function forgetPayloadFormat() {
  lastChosen = "base64";
}

export function PayloadFormatChoice({
  value,
  onChange,
  testId,
}: {
  value: PayloadFormat;
  onChange: (format: PayloadFormat) => void;
  /** The fieldset's test id; each radio button's is `{testId}-{format}`. */
  testId?: string;
}) {
  const name = useId();
  return (
    <fieldset className="segmented" data-testid={testId}>
      <legend className="field-label">Payload format</legend>
      {PAYLOAD_FORMATS.map((f) => (
        <label key={f.value} className="segmented-option">
          <input
            type="radio"
            name={name}
            value={f.value}
            checked={value === f.value}
            data-testid={testId ? `${testId}-${f.value}` : undefined}
            onChange={() => onChange(f.value)}
          />
          {f.label}
        </label>
      ))}
    </fieldset>
  );
}
