/**
 * For platform admins: look a venue up by its id (admins may read any venue, drafts
 * too) and verify it, which makes it visible to consumers. The API has no list of
 * venues waiting for verification yet, so the id comes from the owner or the database.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";

import { api, unwrap } from "../../api/client";
import { Field } from "../../components/Field";
import { FormError } from "../../components/FormError";
import { describeError } from "../../lib/errors";
import { venueKey } from "./queries";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function AdminVerify() {
  const queryClient = useQueryClient();
  const [text, setText] = useState("");
  const [venueId, setVenueId] = useState<string | null>(null);
  const [local, setLocal] = useState<string | null>(null);
  const venue = useQuery({
    queryKey: venueKey(venueId ?? ""),
    queryFn: () => unwrap(api.GET("/api/v1/venues/{venue_id}", { params: { path: { venue_id: venueId ?? "" } } })),
    enabled: venueId !== null,
  });
  const verify = useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/v1/venues/{venue_id}/verify", { params: { path: { venue_id: id } } })),
    onSuccess: (saved) => queryClient.setQueryData(venueKey(saved.id), saved),
  });

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const id = text.trim();
    verify.reset();
    if (!UUID.test(id)) {
      setLocal("Enter a venue id, e.g. 3f2b…-…");
      return;
    }
    setLocal(null);
    setVenueId(id);
  }

  const lookupError = venue.isError ? describeError(venue.error).form : null;
  return (
    <section className="card stack" aria-labelledby="admin-verify-title">
      <h2 id="admin-verify-title">Verify a venue</h2>
      <form className="stack" onSubmit={onSubmit} noValidate aria-label="Find a venue">
        <Field label="Venue id" name="venue_id" value={text} onChange={(e) => setText(e.target.value)} error={local ?? lookupError} autoComplete="off" spellCheck={false} />
        <div className="toolbar">
          <button type="submit" disabled={venue.isFetching}>
            {venue.isFetching ? "Looking up…" : "Look up"}
          </button>
        </div>
      </form>
      {venue.data && venueId && (
        <article className="stack" aria-label={`Venue ${venue.data.name}`}>
          <h3>{venue.data.name}</h3>
          <p className="muted">
            {venue.data.kind} · {venue.data.address}, {venue.data.city}
          </p>
          <p>
            <span className={`badge ${venue.data.status === "verified" ? "badge--ok" : "badge--warn"}`}>
              {venue.data.status === "verified" ? "Verified" : "Draft"}
            </span>{" "}
            {venue.data.is_active ? "Active." : "Inactive."}
          </p>
          <FormError message={describeError(verify.error).form} />
          {venue.data.status === "draft" && (
            <div className="toolbar">
              <button type="button" onClick={() => verify.mutate(venue.data.id)} disabled={verify.isPending}>
                {verify.isPending ? "Verifying…" : `Verify ${venue.data.name}`}
              </button>
            </div>
          )}
          {verify.isSuccess && (
            <p role="status" className="ok">
              Verified: consumers can now find {verify.data.name}.
            </p>
          )}
        </article>
      )}
    </section>
  );
}
