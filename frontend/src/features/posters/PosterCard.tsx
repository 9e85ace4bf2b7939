/** A poster in the list: whether it is in the feed now and why not, pause and resume, edit, numbers, delete. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { api, type Schemas, unwrap } from "../../api/client";
import { describeError } from "../../lib/errors";
import { PosterForm } from "./PosterForm";
import { PosterStats } from "./PosterStats";
import { formatWhen } from "./time";

type Poster = Schemas["PosterRead"];
type Reason = Schemas["NotShowingReason"];

export const postersKey = (venueId: string) => ["posters", venueId] as const;

export const REASON_TEXT: Record<Reason, string> = {
  paused: "it is paused",
  not_started: "it has not started yet",
  ended: "it has ended",
  venue_not_verified: "the venue is not verified yet",
  venue_inactive: "the venue is switched off",
  event_cancelled: "the event is cancelled",
  event_ended: "the event is over",
  event_sold_out: "the event is sold out (it comes back by itself when places are freed)",
};

interface Props {
  venue: { id: string; name: string; latitude: number; longitude: number };
  poster: Poster;
}

export function PosterCard({ venue, poster }: Props) {
  const queryClient = useQueryClient();
  const [panel, setPanel] = useState<null | "edit" | "stats">(null);
  const path = { venue_id: venue.id, poster_id: poster.id };
  const refresh = () => queryClient.invalidateQueries({ queryKey: postersKey(venue.id) });
  const pause = useMutation({
    mutationFn: (paused: boolean) =>
      paused
        ? unwrap(api.POST("/api/v1/venues/{venue_id}/posters/{poster_id}/pause", { params: { path } }))
        : unwrap(api.POST("/api/v1/venues/{venue_id}/posters/{poster_id}/resume", { params: { path } })),
    onSuccess: () => void refresh(),
  });
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/v1/venues/{venue_id}/posters/{poster_id}", { params: { path } })),
    onSuccess: () => void refresh(),
  });
  const name = poster.title || (poster.promotes === "event" ? "Event poster" : venue.name);
  const error = pause.error ?? remove.error;
  return (
    <article className={`card poster-card stack${panel ? " card--wide" : ""}`} aria-labelledby={`poster-${poster.id}`} data-showing={poster.showing}>
      <h3 id={`poster-${poster.id}`}>{name}</h3>
      <p className="muted">
        {poster.promotes === "event" ? "Promotes an event" : "Promotes the venue"} · within {poster.radius_m.toLocaleString("en-IN")} m · priority{" "}
        {poster.priority}
        <br />
        {formatWhen(poster.starts_at)} – {formatWhen(poster.expires_at)}
      </p>
      {poster.showing ? (
        <p>
          <span className="badge badge--ok">Showing</span> In the feed now for people within its radius.
        </p>
      ) : (
        <div>
          <span className="badge badge--warn">Not showing</span> because:
          <ul className="reasons" aria-label="Not showing because">
            {poster.not_showing_because.map((reason) => (
              <li key={reason} data-reason={reason}>
                {REASON_TEXT[reason] ?? reason}
              </li>
            ))}
          </ul>
        </div>
      )}
      {error != null && (
        <p role="alert" className="field__error">
          {describeError(error).form}
        </p>
      )}
      <div className="toolbar">
        <button type="button" className="button--small" onClick={() => pause.mutate(!poster.is_paused)} disabled={pause.isPending}>
          {pause.isPending ? "…" : poster.is_paused ? "Resume" : "Pause"}
        </button>
        <button type="button" className="button--quiet button--small" aria-expanded={panel === "edit"} onClick={() => setPanel(panel === "edit" ? null : "edit")}>
          Edit
        </button>
        <button type="button" className="button--quiet button--small" aria-expanded={panel === "stats"} onClick={() => setPanel(panel === "stats" ? null : "stats")}>
          Numbers
        </button>
        <button
          type="button"
          className="button--quiet button--small"
          disabled={remove.isPending}
          onClick={() => {
            if (window.confirm(`Delete the poster ${name}?`)) remove.mutate();
          }}
        >
          Delete
        </button>
      </div>
      {panel === "edit" && (
        <PosterForm
          venue={venue}
          poster={poster}
          onDone={() => {
            setPanel(null);
            void refresh();
          }}
          onCancel={() => setPanel(null)}
        />
      )}
      {panel === "stats" && <PosterStats venueId={venue.id} posterId={poster.id} venue={venue} />}
    </article>
  );
}
