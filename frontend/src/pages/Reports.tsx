/** Reports: sales per night, visits and spend per head, poster performance. */
import "../features/dashboard.css";

import { Reports } from "../features/reports/Reports";
import { hasRole, useVenue } from "../venue/VenueContext";

export default function ReportsPage() {
  const { venueId, venue, role } = useVenue();
  return (
    <section aria-labelledby="page-title" className="stack">
      <h1 id="page-title">Reports for {venue.name}</h1>
      {hasRole(role, "manager") ? (
        <Reports venueId={venueId} currency={venue.currency} />
      ) : (
        <p className="muted">Reports are for the venue's managers and owners.</p>
      )}
    </section>
  );
}
