/**
 * A labelled input with its error (from `describeError(...).fields[name]`) and hint
 * tied to it for screen readers.
 *
 *   <Field label="Email" name="email" type="email" error={fields.email} autoComplete="email" />
 *   <Field label="Kind" name="kind" error={fields.kind}>
 *     {(control) => <select {...control}>...</select>}
 *   </Field>
 */
import { type InputHTMLAttributes, type ReactNode, useId } from "react";

export interface ControlProps {
  id: string;
  name: string;
  "aria-invalid": boolean | undefined;
  "aria-describedby": string | undefined;
}

export interface FieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, "children"> {
  label: ReactNode;
  name: string;
  error?: string | null | undefined;
  hint?: ReactNode;
  /** A custom control (select, textarea, ...) given the id/name/aria props. */
  children?: (control: ControlProps) => ReactNode;
}

export function Field({ label, name, error, hint, children, className, ...input }: FieldProps) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(" ") || undefined;
  const control: ControlProps = {
    id,
    name,
    "aria-invalid": error ? true : undefined,
    "aria-describedby": describedBy,
  };
  return (
    <div className={["field", error ? "field--invalid" : "", className ?? ""].join(" ").trim()}>
      <label htmlFor={id}>{label}</label>
      {children ? children(control) : <input {...input} {...control} />}
      {hint && (
        <p id={hintId} className="field__hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} className="field__error">
          {error}
        </p>
      )}
    </div>
  );
}
