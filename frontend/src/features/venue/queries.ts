import { useQuery } from "@tanstack/react-query";

import { api, unwrap } from "../../api/client";

export const venueKey = (venueId: string) => ["venue", venueId] as const;

/** The full venue (kind fields, hours, verification) of the venue being worked on. */
export function useVenueRead(venueId: string) {
  return useQuery({
    queryKey: venueKey(venueId),
    queryFn: () => unwrap(api.GET("/api/v1/venues/{venue_id}", { params: { path: { venue_id: venueId } } })),
  });
}
