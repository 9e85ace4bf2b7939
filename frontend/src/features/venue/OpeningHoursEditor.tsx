/**
 * The week's opening intervals: a weekday, opening and closing times. A closing time
 * before the opening time closes the next day (a Friday 20:00–02:00 ends on Saturday
 * at 2 am); the same time both ways is open 24 hours. Errors of the API arrive at
 * `opening_hours.<row>.<field>` and at `opening_hours` (overlaps).
 */
import { useId } from "react";

import { type HoursRow, WEEKDAYS, WEEKDAY_LABEL, type Weekday, describeInterval, newRowKey } from "./hours";

interface Props {
  rows: HoursRow[];
  onChange: (rows: HoursRow[]) => void;
  /** Field errors by path (`opening_hours.0.opens`, `opening_hours`). */
  errors: Record<string, string>;
  disabled?: boolean;
}

export function OpeningHoursEditor({ rows, onChange, errors, disabled }: Props) {
  const id = useId();
  const update = (index: number, patch: Partial<HoursRow>) =>
    onChange(rows.map((row, i) => (i === index ? { ...row, ...patch } : row)));
  const remove = (index: number) => onChange(rows.filter((_, i) => i !== index));
  const add = () => {
    const last = rows[rows.length - 1];
    const nextDay: Weekday = last ? (WEEKDAYS[(WEEKDAYS.indexOf(last.weekday) + 1) % 7] ?? "monday") : "monday";
    onChange([...rows, { key: newRowKey(), weekday: nextDay, opens: last?.opens ?? "18:00", closes: last?.closes ?? "23:00" }]);
  };
  const groupError = errors["opening_hours"];
  return (
    <fieldset className="fieldset" aria-describedby={groupError ? `${id}-error` : undefined}>
      <legend>Opening hours</legend>
      <p className="field__hint">
        Days not listed are closed. A closing time earlier than the opening time is the next day (20:00–02:00).
      </p>
      {groupError && (
        <p id={`${id}-error`} className="field__error" role="alert">
          {groupError}
        </p>
      )}
      {rows.length === 0 && <p className="muted">No hours: the venue shows as closed.</p>}
      <ol className="hours">
        {rows.map((row, index) => {
          const base = `opening_hours.${index}`;
          const note = describeInterval(row.opens, row.closes);
          const rowError = errors[`${base}.weekday`] ?? errors[`${base}.opens`] ?? errors[`${base}.closes`] ?? errors[base];
          const errorId = rowError ? `${id}-${row.key}-error` : undefined;
          const noteId = note ? `${id}-${row.key}-note` : undefined;
          return (
            <li key={row.key} className="hours__row">
              <div className="field">
                <label htmlFor={`${id}-${row.key}-day`}>Day</label>
                <select
                  id={`${id}-${row.key}-day`}
                  name={`${base}.weekday`}
                  value={row.weekday}
                  disabled={disabled}
                  onChange={(e) => update(index, { weekday: e.target.value as Weekday })}
                >
                  {WEEKDAYS.map((day) => (
                    <option key={day} value={day}>
                      {WEEKDAY_LABEL[day]}
                    </option>
                  ))}
                </select>
              </div>
              <div className="field">
                <label htmlFor={`${id}-${row.key}-opens`}>Opens</label>
                <input
                  id={`${id}-${row.key}-opens`}
                  name={`${base}.opens`}
                  type="time"
                  required
                  value={row.opens}
                  disabled={disabled}
                  aria-invalid={errors[`${base}.opens`] ? true : undefined}
                  aria-describedby={errors[`${base}.opens`] ? errorId : undefined}
                  onChange={(e) => update(index, { opens: e.target.value })}
                />
              </div>
              <div className="field">
                <label htmlFor={`${id}-${row.key}-closes`}>Closes</label>
                <input
                  id={`${id}-${row.key}-closes`}
                  name={`${base}.closes`}
                  type="time"
                  required
                  value={row.closes}
                  disabled={disabled}
                  aria-invalid={errors[`${base}.closes`] ? true : undefined}
                  aria-describedby={[noteId, errors[`${base}.closes`] ? errorId : undefined].filter(Boolean).join(" ") || undefined}
                  onChange={(e) => update(index, { closes: e.target.value })}
                />
              </div>
              <button
                type="button"
                className="button--quiet hours__remove"
                disabled={disabled}
                onClick={() => remove(index)}
                aria-label={`Remove ${WEEKDAY_LABEL[row.weekday]} ${row.opens}–${row.closes}`}
              >
                Remove
              </button>
              {note && (
                <p id={`${id}-${row.key}-note`} className="field__hint hours__note">
                  {note}
                </p>
              )}
              {rowError && (
                <p id={errorId} className="field__error hours__note">
                  {rowError}
                </p>
              )}
            </li>
          );
        })}
      </ol>
      <button type="button" className="button--quiet" onClick={add} disabled={disabled || rows.length >= 28}>
        Add hours
      </button>
    </fieldset>
  );
}
