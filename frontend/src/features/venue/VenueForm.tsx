/**
 * The venue's profile: shared fields, the fields of its kind (nightclub: age, cover,
 * dress code; restaurant and QSR: cuisines; QSR: drive-thru), ordering and bills,
 * opening hours and location. Sends a partial update (PATCH) and shows each of the
 * API's errors next to the field it names.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useRef, useState } from "react";

import { api, type Schemas, unwrap } from "../../api/client";
import { Field } from "../../components/Field";
import { FormError } from "../../components/FormError";
import { describeError } from "../../lib/errors";
import { useFocusFirstError } from "../../lib/focus";
import { orNull, toInteger, toList, toNumber } from "../../lib/forms";
import { inputToMinor, minorToInput } from "../../lib/money";
import { MY_VENUES_KEY } from "../../venue/VenueContext";
import { type HoursRow, toApi, toRows } from "./hours";
import { OpeningHoursEditor } from "./OpeningHoursEditor";
import { venueKey } from "./queries";

type Venue = Schemas["VenueRead"];
type VenueUpdate = Schemas["VenueUpdate"];

const TEXT_FIELDS = [
  "name",
  "description",
  "address",
  "city",
  "phone",
  "email",
  "instagram_handle",
  "google_maps_url",
  "zomato_url",
  "swiggy_url",
  "timezone",
  "dress_code",
  "cuisines",
] as const;
const NUMBER_FIELDS = [
  "latitude",
  "longitude",
  "avg_cost_for_two_minor",
  "capacity",
  "min_age",
  "cover_charge_minor",
  "packaging_charge_minor",
  "service_charge_bps",
] as const;
type TextName = (typeof TEXT_FIELDS)[number];
type NumberName = (typeof NUMBER_FIELDS)[number];
type Values = Record<TextName | NumberName, string> & {
  drive_thru: boolean;
  prices_include_tax: boolean;
  is_accepting_orders: boolean;
  payment_mode: Schemas["PaymentMode"];
};

/** Every path the form shows errors at (specific ones first). */
const FIELD_NAMES = [...TEXT_FIELDS, ...NUMBER_FIELDS, "drive_thru", "prices_include_tax", "is_accepting_orders", "payment_mode", "kind"];

function initialValues(v: Venue): Values {
  const text = (s: string | null | undefined) => s ?? "";
  const num = (n: number | null | undefined) => (n == null ? "" : String(n));
  return {
    name: v.name,
    description: text(v.description),
    address: v.address,
    city: v.city,
    phone: text(v.phone),
    email: text(v.email),
    instagram_handle: text(v.instagram_handle),
    google_maps_url: text(v.google_maps_url),
    zomato_url: text(v.zomato_url),
    swiggy_url: text(v.swiggy_url),
    timezone: v.timezone,
    dress_code: text(v.dress_code),
    cuisines: v.cuisines.join(", "),
    latitude: String(v.latitude),
    longitude: String(v.longitude),
    avg_cost_for_two_minor: minorToInput(v.avg_cost_for_two_minor),
    capacity: num(v.capacity),
    min_age: num(v.min_age),
    cover_charge_minor: minorToInput(v.cover_charge_minor),
    packaging_charge_minor: minorToInput(v.packaging_charge_minor),
    service_charge_bps: String(v.service_charge_bps / 100),
    drive_thru: v.drive_thru ?? false,
    prices_include_tax: v.prices_include_tax,
    is_accepting_orders: v.is_accepting_orders,
    payment_mode: v.payment_mode,
  };
}

/** The update, or the local problems that stop it being sent. */
export function buildUpdate(
  kind: Venue["kind"],
  values: Values,
  hours: HoursRow[],
): { body: VenueUpdate; problems: Record<string, string> } {
  const problems: Record<string, string> = {};
  const integer = (name: NumberName, label = "a whole number") => {
    const n = toInteger(values[name]);
    if (Number.isNaN(n)) problems[name] = `Enter ${label}`;
    return Number.isNaN(n) ? null : n;
  };
  const money = (name: NumberName) => {
    const n = inputToMinor(values[name]);
    if (Number.isNaN(n)) problems[name] = "Enter an amount in rupees, e.g. 1500 or 99.50";
    return n === null || Number.isNaN(n) ? null : n;
  };
  const coordinate = (name: "latitude" | "longitude") => {
    const n = toNumber(values[name]);
    if (n === null || Number.isNaN(n)) {
      problems[name] = "Enter a number in decimal degrees, e.g. 12.9716";
      return 0;
    }
    return n;
  };
  const percent = toNumber(values.service_charge_bps);
  if (Number.isNaN(percent)) problems.service_charge_bps = "Enter a percentage, e.g. 5 or 7.5";
  const body: VenueUpdate = {
    name: values.name.trim(),
    description: orNull(values.description),
    address: values.address.trim(),
    city: values.city.trim(),
    phone: orNull(values.phone),
    email: orNull(values.email),
    instagram_handle: orNull(values.instagram_handle),
    google_maps_url: orNull(values.google_maps_url),
    zomato_url: orNull(values.zomato_url),
    swiggy_url: orNull(values.swiggy_url),
    timezone: values.timezone.trim(),
    latitude: coordinate("latitude"),
    longitude: coordinate("longitude"),
    avg_cost_for_two_minor: money("avg_cost_for_two_minor"),
    capacity: integer("capacity"),
    packaging_charge_minor: money("packaging_charge_minor") ?? 0,
    service_charge_bps: percent === null || Number.isNaN(percent) ? 0 : Math.round(percent * 100),
    prices_include_tax: values.prices_include_tax,
    is_accepting_orders: values.is_accepting_orders,
    payment_mode: values.payment_mode,
    opening_hours: toApi(hours),
  };
  if (kind === "nightclub") {
    body.min_age = integer("min_age", "an age in years");
    body.cover_charge_minor = money("cover_charge_minor");
    body.dress_code = orNull(values.dress_code);
  }
  if (kind === "restaurant" || kind === "qsr") body.cuisines = toList(values.cuisines);
  if (kind === "qsr") body.drive_thru = values.drive_thru;
  return { body, problems };
}

export function VenueForm({ venue, canEdit }: { venue: Venue; canEdit: boolean }) {
  const queryClient = useQueryClient();
  const [values, setValues] = useState<Values>(() => initialValues(venue));
  const [hours, setHours] = useState<HoursRow[]>(() => toRows(venue.opening_hours));
  const [local, setLocal] = useState<Record<string, string>>({});
  const formRef = useRef<HTMLFormElement>(null);
  const save = useMutation({
    mutationFn: (body: VenueUpdate) =>
      unwrap(api.PATCH("/api/v1/venues/{venue_id}", { params: { path: { venue_id: venue.id } }, body })),
    onSuccess: (saved) => {
      queryClient.setQueryData(venueKey(venue.id), saved);
      setValues(initialValues(saved));
      setHours(toRows(saved.opening_hours));
      void queryClient.invalidateQueries({ queryKey: MY_VENUES_KEY });
    },
  });

  const hourNames = hours.flatMap((_, i) => [`opening_hours.${i}.weekday`, `opening_hours.${i}.opens`, `opening_hours.${i}.closes`, `opening_hours.${i}`]);
  useFocusFirstError(formRef, save.error ?? (Object.keys(local).length > 0 ? local : null));
  const described = describeError(save.error, [...hourNames, "opening_hours", ...FIELD_NAMES]);
  const fields = { ...described.fields, ...local };
  const disabled = !canEdit || save.isPending;

  const set = (name: keyof Values) => (e: { target: { value: string; checked?: boolean; type?: string } }) =>
    setValues((v) => ({ ...v, [name]: e.target.type === "checkbox" ? Boolean(e.target.checked) : e.target.value }));

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const { body, problems } = buildUpdate(venue.kind, values, hours);
    setLocal(problems);
    if (Object.keys(problems).length > 0) return;
    save.mutate(body);
  }

  const text = (name: TextName, label: string, extra: Record<string, unknown> = {}) => (
    <Field label={label} name={name} value={values[name]} onChange={set(name)} error={fields[name]} disabled={disabled} {...extra} />
  );
  const number = (name: NumberName, label: string, extra: Record<string, unknown> = {}) => (
    <Field
      label={label}
      name={name}
      inputMode="decimal"
      value={values[name]}
      onChange={set(name)}
      error={fields[name]}
      disabled={disabled}
      {...extra}
    />
  );
  const check = (name: "drive_thru" | "prices_include_tax" | "is_accepting_orders", label: string) => (
    <div className={`field field--check${fields[name] ? " field--invalid" : ""}`}>
      <label>
        <input type="checkbox" name={name} checked={values[name]} onChange={set(name)} disabled={disabled} /> {label}
      </label>
      {fields[name] && <p className="field__error">{fields[name]}</p>}
    </div>
  );

  return (
    <form ref={formRef} className="card stack" onSubmit={onSubmit} noValidate aria-labelledby="venue-form-title">
      <h2 id="venue-form-title">Profile</h2>
      {!canEdit && <p className="muted">Only managers and owners can change the venue.</p>}
      <FormError message={described.form} />
      <div className="grid-2">
        {text("name", "Name", { required: true, maxLength: 200 })}
        {text("city", "City", { required: true })}
      </div>
      <Field label="Description" name="description" error={fields.description}>
        {(control) => <textarea {...control} rows={3} value={values.description} onChange={set("description")} disabled={disabled} />}
      </Field>
      {text("address", "Address", { required: true })}
      <div className="grid-2">
        {text("phone", "Phone", { type: "tel", autoComplete: "tel", hint: "E.164, e.g. +919876543210" })}
        {text("email", "Email", { type: "email", autoComplete: "email" })}
        {text("instagram_handle", "Instagram", { hint: "e.g. @toit_blr" })}
        {text("timezone", "Time zone", { hint: "IANA name, e.g. Asia/Kolkata" })}
        {text("google_maps_url", "Google Maps link", { type: "url" })}
        {text("zomato_url", "Zomato link", { type: "url" })}
        {text("swiggy_url", "Swiggy link", { type: "url" })}
        {number("avg_cost_for_two_minor", `Average cost for two (${venue.currency})`)}
        {number("capacity", "Capacity (guests)", { inputMode: "numeric" })}
      </div>

      {venue.kind === "nightclub" && (
        <fieldset className="fieldset">
          <legend>Nightclub</legend>
          <div className="grid-2">
            {number("min_age", "Minimum age", { inputMode: "numeric" })}
            {number("cover_charge_minor", `Cover charge (${venue.currency})`)}
          </div>
          {text("dress_code", "Dress code")}
        </fieldset>
      )}
      {(venue.kind === "restaurant" || venue.kind === "qsr") && (
        <fieldset className="fieldset">
          <legend>{venue.kind === "qsr" ? "Quick-service restaurant" : "Restaurant"}</legend>
          {text("cuisines", "Cuisines", { hint: "Separated by commas: north indian, biryani" })}
          {venue.kind === "qsr" && check("drive_thru", "Drive-thru")}
        </fieldset>
      )}

      <fieldset className="fieldset">
        <legend>Orders and bills</legend>
        <Field label="Tables pay" name="payment_mode" error={fields.payment_mode}>
          {(control) => (
            <select {...control} value={values.payment_mode} onChange={set("payment_mode")} disabled={disabled}>
              <option value="at_end">At the end (a running tab)</option>
              <option value="per_order">With each order</option>
            </select>
          )}
        </Field>
        <div className="grid-2">
          {number("service_charge_bps", "Service charge (%)", { hint: "On dine-in bills, at most 25%" })}
          {number("packaging_charge_minor", `Packaging per pickup order (${venue.currency})`)}
        </div>
        {check("prices_include_tax", "Menu prices include tax")}
        {check("is_accepting_orders", "Accepting orders")}
      </fieldset>

      <OpeningHoursEditor rows={hours} onChange={setHours} errors={fields} disabled={disabled} />

      <fieldset className="fieldset">
        <legend>Location</legend>
        <div className="grid-2">
          {number("latitude", "Latitude", { hint: "Decimal degrees, −90 to 90" })}
          {number("longitude", "Longitude", { hint: "Decimal degrees, −180 to 180" })}
        </div>
        <p className="field__hint">Posters are shown around this point.</p>
      </fieldset>

      {canEdit && (
        <div className="toolbar">
          <button type="submit" disabled={save.isPending}>
            {save.isPending ? "Saving…" : "Save venue"}
          </button>
          {save.isSuccess && !save.isPending && (
            <span role="status" className="ok">
              Saved
            </span>
          )}
        </div>
      )}
    </form>
  );
}
