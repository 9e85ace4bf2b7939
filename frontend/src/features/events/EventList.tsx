/** The venue's events, paginated, upcoming first or all; choosing one opens it. */
import { keepPreviousData, useQuery } from "@tanstack/react-query";

import { api, unwrap } from "../../api/client";
import { Pagination } from "../../components/Pagination";
import { usePagination } from "../../lib/pagination";
import { formatDateTime } from "../../lib/time";
import { LoadError, Loading } from "../common/Status";
import { eventKeys } from "./api";

export function EventList({
  venueId,
  selected,
  onSelect,
  upcoming,
  onUpcoming,
}: {
  venueId: string;
  selected: string | null;
  onSelect: (eventId: string) => void;
  upcoming: boolean;
  onUpcoming: (upcoming: boolean) => void;
}) {
  const { limit, offset, setOffset } = usePagination(10);
  const events = useQuery({
    queryKey: eventKeys.list(venueId, upcoming, offset, limit),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/venues/{venue_id}/events", {
          params: { path: { venue_id: venueId }, query: { limit, offset, upcoming } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  return (
    <nav aria-label="Events" className="stack">
      <label className="check">
        <input type="checkbox" checked={upcoming} onChange={(e) => onUpcoming(e.target.checked)} /> Only events not over yet
      </label>
      {events.isPending && <Loading />}
      {events.isError && <LoadError error={events.error} what="The events" />}
      {events.data && events.data.items.length === 0 && <p className="muted">No events.</p>}
      {events.data && (
        <ul className="pick-list">
          {events.data.items.map((e) => (
            <li key={e.id}>
              <button
                type="button"
                className={e.id === selected ? "pick pick--selected" : "pick"}
                aria-current={e.id === selected ? "true" : undefined}
                onClick={() => onSelect(e.id)}
              >
                <span className="pick__title">{e.title}</span>
                <span className="pick__meta">
                  {formatDateTime(e.starts_at)}
                  {e.status === "cancelled" && " · cancelled"}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {events.data && (
        <Pagination total={events.data.total} limit={events.data.limit} offset={events.data.offset} onChange={setOffset} label="Pages of events" />
      )}
    </nav>
  );
}
