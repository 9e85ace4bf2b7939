/**
 * A short form for menus, categories, variants, add-on groups and add-ons: a few
 * fields named as the API names them, values converted on the way out (rupees to
 * paise, text to whole numbers), the API's errors at their fields.
 */
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useRef, useState } from "react";

import { Field } from "../../components/Field";
import { FormError } from "../../components/FormError";
import { describeError } from "../../lib/errors";
import { useFocusFirstError } from "../../lib/focus";
import { orNull, toInteger } from "../../lib/forms";
import { inputToMinor, minorToInput } from "../../lib/money";

/** The body of a SmallForm as the request type its fields spell. */
export function as<T>(body: Record<string, Value>): T {
  return body as unknown as T;
}

export interface SmallField {
  name: string;
  label: string;
  kind: "text" | "textarea" | "money" | "integer";
  required?: boolean;
  hint?: string;
}

type Value = string | number | null;

interface Props {
  label: string;
  fields: readonly SmallField[];
  /** Starting values by field name (an object read from the API will do). */
  initial?: object;
  submitLabel: string;
  /** Send the body (typed by the caller: `as<Schemas["MenuUpdate"]>(body)`). */
  submit: (body: Record<string, Value>) => Promise<unknown>;
  onDone: () => void;
  onCancel: () => void;
}

function toText(field: SmallField, value: unknown): string {
  if (typeof value !== "string" && typeof value !== "number") return "";
  if (field.kind === "money" && typeof value === "number") return minorToInput(value);
  return String(value);
}

export function SmallForm({ label, fields, initial = {}, submitLabel, submit, onDone, onCancel }: Props) {
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(fields.map((f) => [f.name, toText(f, (initial as Record<string, unknown>)[f.name])])),
  );
  const [local, setLocal] = useState<Record<string, string>>({});
  const formRef = useRef<HTMLFormElement>(null);
  const save = useMutation({ mutationFn: submit, onSuccess: onDone });
  useFocusFirstError(formRef, save.error ?? (Object.keys(local).length > 0 ? local : null));
  const described = describeError(
    save.error,
    fields.map((f) => f.name),
  );
  const errors: Record<string, string | undefined> = { ...described.fields, ...local };

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const problems: Record<string, string> = {};
    const body: Record<string, Value> = {};
    for (const field of fields) {
      const text = values[field.name] ?? "";
      if (field.kind === "money") {
        const minor = inputToMinor(text);
        if (minor === null && field.required) problems[field.name] = "Enter a price";
        else if (Number.isNaN(minor)) problems[field.name] = "Enter an amount in rupees, e.g. 60 or 49.50";
        else body[field.name] = minor ?? 0;
      } else if (field.kind === "integer") {
        const n = toInteger(text);
        if (Number.isNaN(n)) problems[field.name] = "Enter a whole number";
        else if (n !== null) body[field.name] = n;
      } else if (field.kind === "textarea") {
        body[field.name] = orNull(text);
      } else {
        body[field.name] = text.trim();
      }
    }
    setLocal(problems);
    if (Object.keys(problems).length === 0) save.mutate(body);
  }

  const busy = save.isPending;
  return (
    <form ref={formRef} className="card editor" onSubmit={onSubmit} noValidate aria-label={label}>
      <FormError message={described.form} />
      <div className="grid-2">
        {fields.map((field) =>
          field.kind === "textarea" ? (
            <Field key={field.name} label={field.label} name={field.name} error={errors[field.name]} hint={field.hint}>
              {(control) => (
                <textarea
                  {...control}
                  rows={2}
                  value={values[field.name]}
                  onChange={(e) => setValues((v) => ({ ...v, [field.name]: e.target.value }))}
                  disabled={busy}
                />
              )}
            </Field>
          ) : (
            <Field
              key={field.name}
              label={field.label}
              name={field.name}
              required={field.required}
              inputMode={field.kind === "text" ? undefined : field.kind === "money" ? "decimal" : "numeric"}
              value={values[field.name]}
              onChange={(e) => setValues((v) => ({ ...v, [field.name]: e.target.value }))}
              error={errors[field.name]}
              hint={field.hint}
              disabled={busy}
            />
          ),
        )}
      </div>
      <div className="toolbar">
        <button type="submit" disabled={busy}>
          {busy ? "Saving…" : submitLabel}
        </button>
        <button type="button" className="button--quiet" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}
