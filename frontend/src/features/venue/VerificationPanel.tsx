/**
 * Whether the venue is verified (visible to consumers) or still a draft, and whether it
 * is switched on. Platform admins (`is_superuser`) verify a draft here.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router";

import { api, type Schemas, unwrap } from "../../api/client";
import { useAuth } from "../../auth/AuthProvider";
import { FormError } from "../../components/FormError";
import { describeError } from "../../lib/errors";
import { MY_VENUES_KEY } from "../../venue/VenueContext";
import { venueKey } from "./queries";

type Venue = Schemas["VenueRead"];

function formatDate(iso: string): string {
  return new Date(iso).toLocaleString("en-IN", { dateStyle: "medium", timeStyle: "short" });
}

export function VerificationPanel({ venue }: { venue: Venue }) {
  const { user } = useAuth();
  const queryClient = useQueryClient();
  const verify = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/venues/{venue_id}/verify", { params: { path: { venue_id: venue.id } } })),
    onSuccess: (saved) => {
      queryClient.setQueryData(venueKey(venue.id), saved);
      void queryClient.invalidateQueries({ queryKey: MY_VENUES_KEY });
    },
  });
  const verified = venue.status === "verified";
  return (
    <section className="card stack" aria-labelledby="verification-title">
      <h2 id="verification-title">Verification</h2>
      <p>
        <span className={`badge ${verified ? "badge--ok" : "badge--warn"}`}>{verified ? "Verified" : "Draft"}</span>{" "}
        {verified
          ? `Consumers can find this venue${venue.verified_at ? ` (verified ${formatDate(venue.verified_at)})` : ""}.`
          : "Consumers cannot see this venue, its menu or its posters until Socia verifies it."}
      </p>
      <p>
        <span className={`badge ${venue.is_active ? "badge--ok" : "badge--warn"}`}>{venue.is_active ? "Active" : "Inactive"}</span>{" "}
        {venue.open_now ? "Open now." : "Closed now."}
      </p>
      {user?.is_superuser && (
        <p className="field__hint">
          <Link to="/admin/venues">Verify any venue by its id</Link>
        </p>
      )}
      {user?.is_superuser && !verified && (
        <div className="stack">
          <FormError message={describeError(verify.error).form} />
          <button type="button" onClick={() => verify.mutate()} disabled={verify.isPending}>
            {verify.isPending ? "Verifying…" : "Verify this venue"}
          </button>
          <p className="field__hint">You are a platform admin: verifying makes the venue visible to consumers.</p>
        </div>
      )}
    </section>
  );
}
