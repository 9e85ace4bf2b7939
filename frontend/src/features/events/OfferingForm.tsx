/** Create or edit an offering (a pass type): price, guests, bar credit, sale window, pools. */
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";

import { api, unwrap } from "../../api/client";
import { Field } from "../../components/Field";
import { FormError } from "../../components/FormError";
import { ApiError, describeError } from "../../lib/errors";
import { moneyInput, parseMoney } from "../../lib/money";
import { fromLocalInput, toLocalInput } from "../../lib/time";
import { OFFERING_KINDS, type OfferingKind, type OfferingRead, type PoolRead, eventPath } from "./api";

const FIELDS = [
  "name",
  "description",
  "kind",
  "price_minor",
  "guests_per_pass",
  "cover_credit_minor",
  "sale_starts_at",
  "sale_ends_at",
  "max_per_booking",
  "reentry_allowed",
  "status",
  "pools",
] as const;

/** A 422 made here, for an amount that is not one, in the API's shape. */
function localInvalid(field: string, msg: string): ApiError {
  return new ApiError(422, "invalid", [{ loc: ["body", field], msg, type: "value_error" }]);
}

export function OfferingForm({
  venueId,
  eventId,
  offering,
  pools,
  onDone,
  onCancel,
}: {
  venueId: string;
  eventId: string;
  offering?: OfferingRead;
  pools: PoolRead[];
  onDone: () => void;
  onCancel: () => void;
}) {
  const [error, setError] = useState<unknown>(null);
  const drawn = new Map(offering?.pools.map((d) => [d.pool_id, d.places_per_pass]) ?? []);
  const save = useMutation({
    mutationFn: async (data: FormData) => {
      const price = parseMoney(String(data.get("price") ?? ""));
      if (price === null) throw localInvalid("price_minor", "An amount in rupees, e.g. 1500 or 1499.50");
      const credit = parseMoney(String(data.get("cover_credit") ?? "0") || "0");
      if (credit === null) throw localInvalid("cover_credit_minor", "An amount in rupees, e.g. 500");
      const poolDraws = pools
        .filter((p) => data.get(`pool-${p.id}`) === "on")
        .map((p) => {
          const places = String(data.get(`places-${p.id}`) ?? "").trim();
          return { pool_id: p.id, places_per_pass: places ? Number(places) : null };
        });
      const body = {
        name: String(data.get("name") ?? ""),
        description: String(data.get("description") ?? "").trim() || null,
        kind: String(data.get("kind")) as OfferingKind,
        price_minor: price,
        currency: "INR" as const,
        guests_per_pass: Number(data.get("guests_per_pass") || 1),
        cover_credit_minor: credit,
        sale_starts_at: fromLocalInput(String(data.get("sale_starts_at") ?? "")),
        sale_ends_at: fromLocalInput(String(data.get("sale_ends_at") ?? "")),
        max_per_booking: Number(data.get("max_per_booking") || 10),
        reentry_allowed: data.get("reentry_allowed") === "on",
        status: (data.get("status") === "hidden" ? "hidden" : "active") as "active" | "hidden",
        pools: poolDraws,
      };
      if (offering) {
        return unwrap(
          api.PATCH("/api/v1/venues/{venue_id}/events/{event_id}/offerings/{offering_id}", {
            params: { path: { ...eventPath(venueId, eventId).path, offering_id: offering.id } },
            body,
          }),
        );
      }
      return unwrap(
        api.POST("/api/v1/venues/{venue_id}/events/{event_id}/offerings", {
          params: eventPath(venueId, eventId),
          body,
        }),
      );
    },
    onSuccess: onDone,
    onError: setError,
  });
  const { fields, form } = describeError(error, FIELDS);

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setError(null);
    save.mutate(new FormData(e.currentTarget));
  }

  return (
    <form className="card stack" onSubmit={onSubmit} noValidate aria-label={offering ? "Edit the offering" : "New offering"}>
      <h3>{offering ? `Edit ${offering.name}` : "New offering"}</h3>
      <FormError message={form} />
      <div className="grid-2">
        <Field label="Name" name="name" required defaultValue={offering?.name} error={fields.name} />
        <Field label="Kind" name="kind" error={fields.kind}>
          {(control) => (
            <select {...control} defaultValue={offering?.kind ?? "stag"}>
              {OFFERING_KINDS.map((k) => (
                <option key={k.value} value={k.value}>
                  {k.label}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <Field label="Description" name="description" error={fields.description}>
        {(control) => <textarea {...control} rows={2} defaultValue={offering?.description ?? ""} />}
      </Field>
      <div className="grid-3">
        <Field
          label="Price (₹)"
          name="price"
          inputMode="decimal"
          required
          defaultValue={offering ? moneyInput(offering.price_minor) : ""}
          error={fields.price_minor}
        />
        <Field
          label="Guests per pass"
          name="guests_per_pass"
          type="number"
          min={1}
          max={100}
          defaultValue={offering?.guests_per_pass ?? 1}
          error={fields.guests_per_pass}
        />
        <Field
          label="Bar credit per pass (₹)"
          name="cover_credit"
          inputMode="decimal"
          defaultValue={offering ? moneyInput(offering.cover_credit_minor) : "0"}
          error={fields.cover_credit_minor}
        />
      </div>
      <div className="grid-3">
        <Field
          label="Sale opens"
          name="sale_starts_at"
          type="datetime-local"
          defaultValue={toLocalInput(offering?.sale_starts_at)}
          error={fields.sale_starts_at}
          hint="Empty: on sale now"
        />
        <Field
          label="Sale closes"
          name="sale_ends_at"
          type="datetime-local"
          defaultValue={toLocalInput(offering?.sale_ends_at)}
          error={fields.sale_ends_at}
          hint="Empty: until the event"
        />
        <Field
          label="Most passes per booking"
          name="max_per_booking"
          type="number"
          min={1}
          max={100}
          defaultValue={offering?.max_per_booking ?? 10}
          error={fields.max_per_booking}
        />
      </div>
      <div className="grid-2">
        <Field label="Shown to guests" name="status" error={fields.status}>
          {(control) => (
            <select {...control} defaultValue={offering?.status === "hidden" ? "hidden" : "active"}>
              <option value="active">Active (on sale in its window)</option>
              <option value="hidden">Hidden</option>
            </select>
          )}
        </Field>
        <div className="field field--check">
          <label>
            <input type="checkbox" name="reentry_allowed" defaultChecked={offering?.reentry_allowed ?? true} /> Guests
            may go out and come back in
          </label>
          {fields.reentry_allowed && <p className="field__error">{fields.reentry_allowed}</p>}
        </div>
      </div>
      <fieldset className={fields.pools ? "fieldset field--invalid" : "fieldset"} aria-describedby={fields.pools ? "pools-error" : undefined}>
        <legend>Capacity pools it draws from</legend>
        {pools.length === 0 && <p className="muted">No pools yet: add one below, or this offering sells nothing.</p>}
        {pools.map((pool) => (
          <div className="pool-draw" key={pool.id}>
            <label>
              <input type="checkbox" name={`pool-${pool.id}`} defaultChecked={drawn.has(pool.id)} /> {pool.name} (
              {pool.left} of {pool.size} left)
            </label>
            <label className="pool-draw__places">
              Places per pass
              <input
                name={`places-${pool.id}`}
                type="number"
                min={1}
                max={100}
                placeholder="= guests"
                defaultValue={drawn.get(pool.id) ?? ""}
              />
            </label>
          </div>
        ))}
        {fields.pools && (
          <p id="pools-error" className="field__error">
            {fields.pools}
          </p>
        )}
      </fieldset>
      <div className="actions">
        <button type="submit" disabled={save.isPending}>
          {save.isPending ? "Saving…" : offering ? "Save the offering" : "Add the offering"}
        </button>
        <button type="button" className="button--quiet" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
