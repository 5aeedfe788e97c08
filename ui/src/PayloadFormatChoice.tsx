// How a typed payload is read: Hex, Base64 or Text, chosen by the user, never guessed ("AAAA" is
// both hex and base64). One control for every payload field: the decoder's Test and Simulate
// uplink, and the device's downlink form.
import { useId } from "react";
import { PAYLOAD_FORMATS, type PayloadFormat } from "./payload";

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
