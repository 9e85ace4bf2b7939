/** Create or edit an event (managers). Errors from the API sit at their fields. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";

import { api, unwrap } from "../../api/client";
import { Field } from "../../components/Field";
import { FormError } from "../../components/FormError";
import { describeError } from "../../lib/errors";
import { fromLocalInput, toLocalInput } from "../../lib/time";
import { type EventRead, eventKeys, eventPath } from "./api";

const FIELDS = [
  "title",
  "description",
  "starts_at",
  "ends_at",
  "image_url",
  "min_age",
  "dress_code",
  "refund_percent",
  "cancel_cutoff_minutes",
] as const;

function text(data: FormData, name: string): string {
  return String(data.get(name) ?? "").trim();
}

function optionalInt(data: FormData, name: string): number | null {
  const value = text(data, name);
  return value === "" ? null : Number(value);
}

export function EventForm({
  venueId,
  event,
  onDone,
  onCancel,
}: {
  venueId: string;
  event?: EventRead;
  onDone: (event: EventRead) => void;
  onCancel: () => void;
}) {
  const queryClient = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const save = useMutation({
    mutationFn: (data: FormData) => {
      const body = {
        title: text(data, "title"),
        description: text(data, "description") || null,
        starts_at: fromLocalInput(text(data, "starts_at")) ?? "",
        ends_at: fromLocalInput(text(data, "ends_at")) ?? "",
        image_url: text(data, "image_url") || null,
        min_age: optionalInt(data, "min_age"),
        dress_code: text(data, "dress_code") || null,
        refund_percent: optionalInt(data, "refund_percent") ?? 100,
        cancel_cutoff_minutes: optionalInt(data, "cancel_cutoff_minutes") ?? 1440,
      };
      return event
        ? unwrap(
            api.PATCH("/api/v1/venues/{venue_id}/events/{event_id}", {
              params: eventPath(venueId, event.id),
              body,
            }),
          )
        : unwrap(api.POST("/api/v1/venues/{venue_id}/events", { params: { path: { venue_id: venueId } }, body }));
    },
    onSuccess: (saved) => {
      void queryClient.invalidateQueries({ queryKey: eventKeys.all(venueId) });
      onDone(saved);
    },
    onError: setError,
  });
  const { fields, form } = describeError(error, FIELDS);

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setError(null);
    save.mutate(new FormData(e.currentTarget));
  }

  return (
    <form className="card stack" onSubmit={onSubmit} noValidate aria-label={event ? "Edit the event" : "New event"}>
      <h2>{event ? `Edit ${event.title}` : "New event"}</h2>
      <FormError message={form} />
      <Field label="Title" name="title" required defaultValue={event?.title} error={fields.title} />
      <Field label="Description" name="description" error={fields.description}>
        {(control) => <textarea {...control} rows={3} defaultValue={event?.description ?? ""} />}
      </Field>
      <div className="grid-2">
        <Field
          label="Starts"
          name="starts_at"
          type="datetime-local"
          required
          defaultValue={toLocalInput(event?.starts_at)}
          error={fields.starts_at}
        />
        <Field
          label="Ends"
          name="ends_at"
          type="datetime-local"
          required
          defaultValue={toLocalInput(event?.ends_at)}
          error={fields.ends_at}
          hint="Past midnight is fine: pick the next day."
        />
      </div>
      <div className="grid-2">
        <Field label="Minimum age" name="min_age" type="number" min={0} max={99} defaultValue={event?.min_age ?? ""} error={fields.min_age} />
        <Field label="Dress code" name="dress_code" defaultValue={event?.dress_code ?? ""} error={fields.dress_code} />
      </div>
      <div className="grid-2">
        <Field
          label="Refund on cancelling (%)"
          name="refund_percent"
          type="number"
          min={0}
          max={100}
          defaultValue={event?.refund_percent ?? 100}
          error={fields.refund_percent}
        />
        <Field
          label="Guests may cancel until (minutes before the start)"
          name="cancel_cutoff_minutes"
          type="number"
          min={0}
          defaultValue={event?.cancel_cutoff_minutes ?? 1440}
          error={fields.cancel_cutoff_minutes}
        />
      </div>
      <Field label="Image URL (https)" name="image_url" type="url" defaultValue={event?.image_url ?? ""} error={fields.image_url} />
      <div className="actions">
        <button type="submit" disabled={save.isPending}>
          {save.isPending ? "Saving…" : event ? "Save the event" : "Create the event"}
        </button>
        <button type="button" className="button--quiet" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
