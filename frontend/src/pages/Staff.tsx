/** Staff: the venue's team, invitations and roles. */
import "../features/dashboard.css";

import { StaffScreen } from "../features/staff/StaffScreen";
import { useVenue } from "../venue/VenueContext";

export default function StaffPage() {
  const { venueId, venue, role } = useVenue();
  return (
    <section aria-labelledby="page-title" className="stack">
      <h1 id="page-title">Team at {venue.name}</h1>
      <StaffScreen venueId={venueId} role={role} />
    </section>
  );
}
