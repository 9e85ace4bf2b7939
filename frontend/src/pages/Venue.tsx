/** The venue's own screen: its profile, kind fields, hours, location and verification. */
import "../features/features.css";

import { VenueForm } from "../features/venue/VenueForm";
import { useVenueRead } from "../features/venue/queries";
import { VerificationPanel } from "../features/venue/VerificationPanel";
import { hasRole, useVenue } from "../venue/VenueContext";

const KIND_LABEL = { nightclub: "Nightclub", restaurant: "Restaurant", qsr: "Quick-service restaurant", food_court: "Food court" } as const;

export default function VenuePage() {
  const { venueId, role } = useVenue();
  const venue = useVenueRead(venueId);
  return (
    <section aria-labelledby="page-title" className="stack">
      <h1 id="page-title">Venue</h1>
      {venue.isPending && (
        <p className="page-status" role="status">
          Loading the venue…
        </p>
      )}
      {venue.isError && (
        <p className="page-status" role="alert">
          The venue could not be loaded: {venue.error.message}
        </p>
      )}
      {venue.data && (
        <>
          <p className="muted">
            {venue.data.name} · {KIND_LABEL[venue.data.kind]} · you are {role} here
          </p>
          <div className="venue-layout">
            <VerificationPanel venue={venue.data} />
            {/* Keyed by venue: switching venue starts the form afresh. */}
            <VenueForm key={`${venue.data.id}`} venue={venue.data} canEdit={hasRole(role, "manager")} />
          </div>
        </>
      )}
    </section>
  );
}
