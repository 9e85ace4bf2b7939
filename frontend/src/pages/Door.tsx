/** The door: check-in for phones and tablets (camera or typed code), works offline. */
import "../features/dashboard.css";

import { useCallback } from "react";
import { useSearchParams } from "react-router";

import { DoorEventPicker, DoorScreen } from "../features/door/DoorScreen";
import { useVenue } from "../venue/VenueContext";

export default function DoorPage() {
  const { venueId, venue } = useVenue();
  const [search, setSearch] = useSearchParams();
  const eventId = search.get("event");
  const choose = useCallback(
    (id: string) =>
      setSearch(
        (current) => {
          const next = new URLSearchParams(current);
          next.set("event", id);
          return next;
        },
        { replace: true },
      ),
    [setSearch],
  );
  return (
    <section aria-labelledby="page-title" className="door stack">
      <h1 id="page-title">Door at {venue.name}</h1>
      <DoorEventPicker venueId={venueId} eventId={eventId} onChange={choose} />
      {eventId && <DoorScreen key={eventId} venueId={venueId} eventId={eventId} />}
    </section>
  );
}
