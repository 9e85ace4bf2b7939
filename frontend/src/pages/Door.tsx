// Placeholder: the Door screen is built on this page (issue 13).
import { useVenue } from "../venue/VenueContext";

export default function DoorPage() {
  const { venue, role } = useVenue();
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Door</h1>
      <p>
        {venue.name}: you are {role} here. This screen is coming.
      </p>
    </section>
  );
}
