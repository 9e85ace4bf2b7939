/** Events: the venue's events; per event its offerings, pools, availability, bookings. */
import "../features/dashboard.css";

import { useState } from "react";
import { useSearchParams } from "react-router";

import { EventDetail } from "../features/events/EventDetail";
import { EventForm } from "../features/events/EventForm";
import { EventList } from "../features/events/EventList";
import { hasRole, useVenue } from "../venue/VenueContext";

export default function EventsPage() {
  const { venueId, venue, role } = useVenue();
  const canManage = hasRole(role, "manager");
  const [search, setSearch] = useSearchParams();
  const selected = search.get("event");
  const upcoming = search.get("all") !== "1";
  const [creating, setCreating] = useState(false);

  function update(changes: Record<string, string | null>) {
    setSearch((current) => {
      const next = new URLSearchParams(current);
      for (const [key, value] of Object.entries(changes)) {
        if (value === null) next.delete(key);
        else next.set(key, value);
      }
      return next;
    });
  }

  return (
    <section aria-labelledby="page-title" className="stack">
      <div className="section-head">
        <h1 id="page-title">Events at {venue.name}</h1>
        {canManage && !creating && (
          <button type="button" onClick={() => setCreating(true)}>
            New event
          </button>
        )}
      </div>
      {creating && (
        <EventForm
          venueId={venueId}
          onDone={(event) => {
            setCreating(false);
            update({ event: event.id });
          }}
          onCancel={() => setCreating(false)}
        />
      )}
      <div className="split">
        <EventList
          venueId={venueId}
          selected={selected}
          onSelect={(id) => update({ event: id })}
          upcoming={upcoming}
          onUpcoming={(only) => update({ all: only ? null : "1", offset: null })}
        />
        <div>
          {selected ? (
            <EventDetail key={selected} venueId={venueId} eventId={selected} canManage={canManage} />
          ) : (
            <p className="muted">Choose an event to see its offerings, pools and bookings.</p>
          )}
        </div>
      </div>
    </section>
  );
}
