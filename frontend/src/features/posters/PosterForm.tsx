/**
 * Create or edit a poster, with a live preview of the card and of the area it covers
 * (drawn offline). A poster promotes the venue or one of its events; its position is
 * the venue's; it shows within `radius_m` from `starts_at` until `expires_at`.
 */
import { useMutation, useQuery } from "@tanstack/react-query";
import { type FormEvent, useRef, useState } from "react";

import { api, type Schemas, unwrap } from "../../api/client";
import { Field } from "../../components/Field";
import { FormError } from "../../components/FormError";
import { describeError } from "../../lib/errors";
import { useFocusFirstError } from "../../lib/focus";
import { toInteger } from "../../lib/forms";
import { MAX_RADIUS_M, MIN_RADIUS_M } from "./geo";
import { MapPreview } from "./MapPreview";
import { PosterPreview } from "./PosterPreview";
import { isoToLocalInput, localInputToIso } from "./time";

type Poster = Schemas["PosterRead"];
const FIELDS = ["venue_id", "event_id", "title", "image_url", "deep_link", "starts_at", "expires_at", "radius_m", "priority", "is_paused"] as const;

interface Props {
  venue: { id: string; name: string; latitude: number; longitude: number };
  poster?: Poster;
  onDone: (poster: Poster) => void;
  onCancel: () => void;
}

function inDays(days: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  d.setSeconds(0, 0);
  return d.toISOString();
}

export function PosterForm({ venue, poster, onDone, onCancel }: Props) {
  const [promotes, setPromotes] = useState<"venue" | "event">(poster?.promotes ?? "venue");
  const [eventId, setEventId] = useState(poster?.event_id ?? "");
  const [title, setTitle] = useState(poster?.title ?? "");
  const [imageUrl, setImageUrl] = useState(poster?.image_url ?? "");
  const [deepLink, setDeepLink] = useState(poster?.deep_link ?? `socia://venue/${venue.id}`);
  const [linkEdited, setLinkEdited] = useState(poster !== undefined);
  const [startsAt, setStartsAt] = useState(isoToLocalInput(poster?.starts_at));
  const [expiresAt, setExpiresAt] = useState(isoToLocalInput(poster?.expires_at ?? inDays(14)));
  const [radius, setRadius] = useState(String(poster?.radius_m ?? 3000));
  const [priority, setPriority] = useState(String(poster?.priority ?? 0));
  const [paused, setPaused] = useState(poster?.is_paused ?? false);
  const [local, setLocal] = useState<Record<string, string>>({});
  const formRef = useRef<HTMLFormElement>(null);

  const events = useQuery({
    queryKey: ["events", venue.id, "upcoming"],
    queryFn: () =>
      unwrap(api.GET("/api/v1/venues/{venue_id}/events", { params: { path: { venue_id: venue.id }, query: { upcoming: true, limit: 100 } } })),
    enabled: poster === undefined || poster.promotes === "event",
  });
  const eventTitle = events.data?.items.find((e) => e.id === eventId)?.title ?? null;

  const save = useMutation({
    mutationFn: (body: Schemas["PosterCreate"]) => {
      if (poster) {
        const { venue_id: _v, event_id: _e, ...update } = body;
        return unwrap(
          api.PATCH("/api/v1/venues/{venue_id}/posters/{poster_id}", {
            params: { path: { venue_id: venue.id, poster_id: poster.id } },
            body: { ...update, starts_at: update.starts_at ?? undefined },
          }),
        );
      }
      return unwrap(api.POST("/api/v1/venues/{venue_id}/posters", { params: { path: { venue_id: venue.id } }, body }));
    },
    onSuccess: onDone,
  });
  useFocusFirstError(formRef, save.error ?? (Object.keys(local).length > 0 ? local : null));
  const described = describeError(save.error, FIELDS);
  const fields: Record<string, string | undefined> = { ...described.fields, ...local };

  function choose(next: "venue" | "event", nextEvent = eventId) {
    setPromotes(next);
    setEventId(nextEvent);
    if (!linkEdited) setDeepLink(next === "event" && nextEvent ? `socia://event/${nextEvent}` : `socia://venue/${venue.id}`);
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const problems: Record<string, string> = {};
    const radiusM = toInteger(radius);
    if (radiusM === null || Number.isNaN(radiusM)) problems.radius_m = "Enter the radius in metres";
    const prio = toInteger(priority);
    if (Number.isNaN(prio)) problems.priority = "Enter a whole number";
    const starts = localInputToIso(startsAt);
    if (starts === undefined) problems.starts_at = "Enter a date and time";
    const expires = localInputToIso(expiresAt);
    if (!expires) problems.expires_at = "Enter when the poster ends";
    if (promotes === "event" && !eventId) problems.event_id = "Choose the event";
    setLocal(problems);
    if (Object.keys(problems).length > 0) return;
    save.mutate({
      venue_id: promotes === "venue" ? venue.id : null,
      event_id: promotes === "event" ? eventId : null,
      title: title.trim() || null,
      image_url: imageUrl.trim(),
      deep_link: deepLink.trim(),
      ...(starts ? { starts_at: starts } : {}),
      expires_at: expires ?? "",
      radius_m: radiusM ?? 0,
      priority: prio ?? 0,
      is_paused: paused,
    });
  }

  const busy = save.isPending;
  const radiusValue = toInteger(radius);
  return (
    <div className="poster-layout">
      <form ref={formRef} className="card stack" onSubmit={onSubmit} noValidate aria-label={poster ? "Edit poster" : "New poster"}>
        <h2>{poster ? "Edit poster" : "New poster"}</h2>
        <FormError message={described.form} />
        {!poster && (
          <fieldset className="fieldset">
            <legend>Promotes</legend>
            <div className="toolbar">
              <label className="check">
                <input type="radio" name="promotes" checked={promotes === "venue"} onChange={() => choose("venue")} disabled={busy} /> The venue
              </label>
              <label className="check">
                <input type="radio" name="promotes" checked={promotes === "event"} onChange={() => choose("event")} disabled={busy} /> An event
              </label>
            </div>
            {fields.venue_id && <p className="field__error">{fields.venue_id}</p>}
            {promotes === "event" && (
              <Field label="Event" name="event_id" error={fields.event_id}>
                {(control) => (
                  <select {...control} value={eventId} onChange={(e) => choose("event", e.target.value)} disabled={busy}>
                    <option value="">{events.isPending ? "Loading events…" : "Choose an upcoming event"}</option>
                    {events.data?.items.map((e) => (
                      <option key={e.id} value={e.id}>
                        {e.title} ({new Date(e.starts_at).toLocaleDateString("en-IN")})
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            )}
          </fieldset>
        )}
        <Field label="Title" name="title" value={title} onChange={(e) => setTitle(e.target.value)} error={fields.title} hint="Optional: else the venue's or event's name" disabled={busy} />
        <Field
          label="Image URL"
          name="image_url"
          type="url"
          required
          value={imageUrl}
          onChange={(e) => setImageUrl(e.target.value)}
          error={fields.image_url}
          hint="https:// (the app loads it over TLS)"
          disabled={busy}
        />
        <Field
          label="Link"
          name="deep_link"
          required
          value={deepLink}
          onChange={(e) => {
            setDeepLink(e.target.value);
            setLinkEdited(true);
          }}
          error={fields.deep_link}
          hint="What a tap opens: socia://… in the app, or an https:// page"
          disabled={busy}
        />
        <div className="grid-2">
          <Field label="Starts" name="starts_at" type="datetime-local" value={startsAt} onChange={(e) => setStartsAt(e.target.value)} error={fields.starts_at} hint={poster ? "This device's time" : "This device's time; empty: now"} disabled={busy} />
          <Field label="Ends" name="expires_at" type="datetime-local" required value={expiresAt} onChange={(e) => setExpiresAt(e.target.value)} error={fields.expires_at} hint="This device's time" disabled={busy} />
        </div>
        <Field label="Radius (metres)" name="radius_m" error={fields.radius_m} hint={`Shown to people within this distance of the venue, ${MIN_RADIUS_M}–${MAX_RADIUS_M}`}>
          {(control) => (
            <div className="range-row">
              <input
                type="range"
                min={MIN_RADIUS_M}
                max={10_000}
                step={100}
                value={Math.min(10_000, Math.max(MIN_RADIUS_M, radiusValue ?? 0))}
                onChange={(e) => setRadius(e.target.value)}
                aria-label="Radius slider (up to 10 km; type a larger radius)"
                disabled={busy}
              />
              <input {...control} type="text" inputMode="numeric" value={radius} onChange={(e) => setRadius(e.target.value)} disabled={busy} />
            </div>
          )}
        </Field>
        <div className="grid-2">
          <Field label="Priority" name="priority" inputMode="numeric" value={priority} onChange={(e) => setPriority(e.target.value)} error={fields.priority} hint="0–1000; higher shows first" disabled={busy} />
        </div>
        {!poster && (
          <div className="field field--check">
            <label>
              <input type="checkbox" name="is_paused" checked={paused} onChange={(e) => setPaused(e.target.checked)} disabled={busy} /> Start paused
            </label>
          </div>
        )}
        <div className="toolbar">
          <button type="submit" disabled={busy}>
            {busy ? "Saving…" : poster ? "Save poster" : "Create poster"}
          </button>
          <button type="button" className="button--quiet" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
        </div>
      </form>
      <div className="stack">
        <h3>Preview</h3>
        <PosterPreview imageUrl={imageUrl} title={title} venueName={venue.name} eventTitle={promotes === "event" ? eventTitle : null} expiresAt={localInputToIso(expiresAt) ?? null} />
        <MapPreview lat={venue.latitude} lng={venue.longitude} radiusM={radiusValue ?? Number.NaN} label={venue.name} />
      </div>
    </div>
  );
}
