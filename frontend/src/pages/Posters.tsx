/** Posters: the venue's carousel posters, whether each is showing, their numbers; create and edit with previews. */
import "../features/features.css";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { api, unwrap } from "../api/client";
import { Pagination } from "../components/Pagination";
import { PosterCard, postersKey } from "../features/posters/PosterCard";
import { PosterForm } from "../features/posters/PosterForm";
import { usePagination } from "../lib/pagination";
import { hasRole, useVenue } from "../venue/VenueContext";

export default function PostersPage() {
  const { venueId, venue, role } = useVenue();
  const canManage = hasRole(role, "manager");
  const { limit, offset, setOffset } = usePagination(10);
  const queryClient = useQueryClient();
  const [creating, setCreating] = useState(false);
  const posters = useQuery({
    queryKey: [...postersKey(venueId), limit, offset],
    queryFn: () => unwrap(api.GET("/api/v1/venues/{venue_id}/posters", { params: { path: { venue_id: venueId }, query: { limit, offset } } })),
    enabled: canManage,
  });
  if (!canManage) {
    return (
      <section aria-labelledby="page-title">
        <h1 id="page-title">Posters</h1>
        <p>Managers and owners run the venue's posters.</p>
      </section>
    );
  }
  return (
    <section aria-labelledby="page-title" className="stack">
      <h1 id="page-title">Posters</h1>
      <p className="muted">Posters show in the app's carousel to people near {venue.name}.</p>
      {!creating && (
        <div className="toolbar">
          <button type="button" onClick={() => setCreating(true)}>
            New poster
          </button>
        </div>
      )}
      {creating && (
        <PosterForm
          venue={venue}
          onDone={() => {
            setCreating(false);
            void queryClient.invalidateQueries({ queryKey: postersKey(venueId) });
          }}
          onCancel={() => setCreating(false)}
        />
      )}
      {posters.isPending && <p role="status">Loading posters…</p>}
      {posters.isError && <p role="alert">The posters could not be loaded: {posters.error.message}</p>}
      {posters.data && (
        <>
          {posters.data.items.length === 0 && <p className="muted">No posters yet.</p>}
          <div className="cards">
            {posters.data.items.map((poster) => (
              <PosterCard key={poster.id} venue={venue} poster={poster} />
            ))}
          </div>
          <Pagination total={posters.data.total} limit={posters.data.limit} offset={posters.data.offset} onChange={setOffset} label="Pages of posters" />
        </>
      )}
    </section>
  );
}
