/** A poster's impressions and taps per day and per area (H3 resolution-7 cells), as bar charts with the numbers. */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";

import { api, unwrap } from "../../api/client";
import { Field } from "../../components/Field";
import { describeError } from "../../lib/errors";
import { BarChart } from "../common/BarChart";
import { haversineM } from "./geo";

const SERIES = [
  { name: "Impressions", color: "#60a5fa" },
  { name: "Taps", color: "#b91c1c" },
];

function direction(lat0: number, lng0: number, lat: number, lng: number): string {
  const dy = lat - lat0;
  const dx = (lng - lng0) * Math.cos((lat0 * Math.PI) / 180);
  if (Math.hypot(dx, dy) < 1e-9) return "";
  const names = ["E", "NE", "N", "NW", "W", "SW", "S", "SE"];
  const angle = (Math.atan2(dy, dx) * 180) / Math.PI;
  return names[Math.round(((angle + 360) % 360) / 45) % 8] ?? "";
}

export function PosterStats({ venueId, posterId, venue }: { venueId: string; posterId: string; venue: { latitude: number; longitude: number } }) {
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const stats = useQuery({
    queryKey: ["poster-stats", posterId, from, to],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/venues/{venue_id}/posters/{poster_id}/stats", {
          params: { path: { venue_id: venueId, poster_id: posterId }, query: { date_from: from || undefined, date_to: to || undefined } },
        }),
      ),
  });
  const { fields, form } = describeError(stats.error, ["date_from", "date_to"]);
  const data = stats.data;
  return (
    <section className="stack" aria-label="Poster performance">
      <div className="grid-2">
        <Field label="From" name="date_from" type="date" value={from} onChange={(e) => setFrom(e.target.value)} error={fields.date_from} />
        <Field label="To" name="date_to" type="date" value={to} onChange={(e) => setTo(e.target.value)} error={fields.date_to} />
      </div>
      {form && (
        <p role="alert" className="field__error">
          {form}
        </p>
      )}
      {stats.isPending && <p role="status">Loading the numbers…</p>}
      {data && (
        <>
          <p>
            From {data.date_from} to {data.date_to}: <strong>{data.totals.impressions}</strong> impressions, <strong>{data.totals.taps}</strong> taps
            {data.totals.impressions > 0 ? ` (${((100 * data.totals.taps) / data.totals.impressions).toFixed(1)}% tapped)` : ""}.
          </p>
          <BarChart
            title="Per day"
            series={SERIES}
            rows={data.days.map((d) => ({ label: d.day.slice(5), values: [d.impressions, d.taps] }))}
            empty="No impressions or taps in these days."
          />
          <BarChart
            title="Per area (about 5 km² each)"
            series={SERIES}
            rows={data.areas.map((a) => {
              const km = haversineM(venue.latitude, venue.longitude, a.lat, a.lng) / 1000;
              const dir = direction(venue.latitude, venue.longitude, a.lat, a.lng);
              return { label: km < 0.5 ? "At the venue" : `${km.toFixed(1)} km ${dir}`, values: [a.impressions, a.taps] };
            })}
            empty="No area recorded yet (the app sends one with each event when it can)."
          />
        </>
      )}
    </section>
  );
}
