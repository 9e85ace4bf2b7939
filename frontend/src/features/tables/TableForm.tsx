/** Create or edit a table: its label (unique per venue), seats, area and whether it is in use. */
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useRef, useState } from "react";

import { api, type Schemas, unwrap } from "../../api/client";
import { Field } from "../../components/Field";
import { FormError } from "../../components/FormError";
import { ApiError, describeError } from "../../lib/errors";
import { useFocusFirstError } from "../../lib/focus";
import { orNull, toInteger } from "../../lib/forms";

type Table = Schemas["TableRead"];
const FIELDS = ["label", "seats", "area", "is_active"] as const;

interface Props {
  venueId: string;
  table?: Table;
  onDone: (table: Table) => void;
  onCancel?: () => void;
}

export function TableForm({ venueId, table, onDone, onCancel }: Props) {
  const [label, setLabel] = useState(table?.label ?? "");
  const [seats, setSeats] = useState(table ? String(table.seats) : "4");
  const [area, setArea] = useState(table?.area ?? "");
  const [active, setActive] = useState(table?.is_active ?? true);
  const [local, setLocal] = useState<Record<string, string>>({});
  const formRef = useRef<HTMLFormElement>(null);
  const save = useMutation({
    mutationFn: (body: Schemas["TableCreate"]) =>
      table
        ? unwrap(
            api.PATCH("/api/v1/venues/{venue_id}/tables/{table_id}", {
              params: { path: { venue_id: venueId, table_id: table.id } },
              body,
            }),
          )
        : unwrap(api.POST("/api/v1/venues/{venue_id}/tables", { params: { path: { venue_id: venueId } }, body })),
    onSuccess: (saved) => {
      if (!table) {
        setLabel("");
        setArea("");
      }
      onDone(saved);
    },
  });
  useFocusFirstError(formRef, save.error ?? (Object.keys(local).length > 0 ? local : null));
  const described = describeError(save.error, FIELDS);
  // A label already used is a 409 about the label: show it there.
  if (save.error instanceof ApiError && save.error.code === "table_label_taken") {
    described.fields.label = save.error.message;
    described.form = null;
  }
  const fields: Record<string, string | undefined> = { ...described.fields, ...local };

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const n = toInteger(seats);
    const problems: Record<string, string> = {};
    if (n === null || Number.isNaN(n)) problems.seats = "Enter the number of seats";
    if (table?.is_active && !active && !window.confirm(`Deactivate table ${table.label}? Its printed code stops working for good.`)) return;
    setLocal(problems);
    if (Object.keys(problems).length > 0) return;
    save.mutate({ label: label.trim(), seats: n ?? 0, area: orNull(area), is_active: active });
  }

  const busy = save.isPending;
  return (
    <form ref={formRef} className="card editor" onSubmit={onSubmit} noValidate aria-label={table ? `Edit table ${table.label}` : "New table"}>
      {!table && <h2>New table</h2>}
      <FormError message={described.form} />
      <div className="grid-2">
        <Field label="Table label" name="label" required value={label} onChange={(e) => setLabel(e.target.value)} error={fields.label} hint="Number or name printed on the table" disabled={busy} />
        <Field label="Seats" name="seats" inputMode="numeric" required value={seats} onChange={(e) => setSeats(e.target.value)} error={fields.seats} disabled={busy} />
        <Field label="Area" name="area" value={area} onChange={(e) => setArea(e.target.value)} error={fields.area} hint="e.g. Terrace, Bar" disabled={busy} />
      </div>
      <div className={`field field--check${fields.is_active ? " field--invalid" : ""}`}>
        <label>
          <input type="checkbox" name="is_active" checked={active} onChange={(e) => setActive(e.target.checked)} disabled={busy || (table !== undefined && !table.is_active)} /> In use
        </label>
        <p className="field__hint">Taking a table out of use revokes its code for good.</p>
        {fields.is_active && <p className="field__error">{fields.is_active}</p>}
      </div>
      <div className="toolbar">
        <button type="submit" disabled={busy}>
          {busy ? "Saving…" : table ? "Save table" : "Add table"}
        </button>
        {!table && save.data && !busy && (
          <span role="status" className="ok">
            Table {save.data.label} added
          </span>
        )}
        {onCancel && (
          <button type="button" className="button--quiet" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
