/** React side of `LiveConnection`: one connection per venue while the board is shown. */
import { useEffect, useRef, useState } from "react";

import { api, unwrap } from "../../api/client";
import { type EventSourceFactory, LiveConnection, type LiveEvent, type LiveStatus, venueStreamUrl } from "./live";

export function useLiveVenue({
  venueId,
  onEvent,
  onResync,
  createEventSource,
}: {
  venueId: string;
  onEvent: (event: LiveEvent) => void;
  onResync: () => void;
  createEventSource?: EventSourceFactory | undefined;
}): LiveStatus {
  const [status, setStatus] = useState<LiveStatus>("connecting");
  const handlers = useRef({ onEvent, onResync });
  handlers.current = { onEvent, onResync };
  useEffect(() => {
    const connection = new LiveConnection({
      streamUrl: (last) =>
        venueStreamUrl(
          () => unwrap(api.POST("/api/v1/live/tokens", { body: { stream: "venue", id: venueId } })),
          last,
        ),
      onEvent: (event) => handlers.current.onEvent(event),
      onResync: () => handlers.current.onResync(),
      onStatus: setStatus,
      ...(createEventSource ? { createEventSource } : {}),
    });
    connection.start();
    return () => connection.stop();
  }, [venueId, createEventSource]);
  return status;
}
