/** One event: its details, offerings, pools, live availability, bookings; edit and cancel. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { api, unwrap } from "../../api/client";
import { FormError } from "../../components/FormError";
import { describeError } from "../../lib/errors";
import { useIdempotencyKeys } from "../../lib/idempotency";
import { formatDateTime } from "../../lib/time";
import { ConfirmButton } from "../common/ConfirmButton";
import { Badge, LoadError, Loading } from "../common/Status";
import { Availability } from "./Availability";
import { Bookings } from "./Bookings";
import { eventKeys, eventPath, readAttendance, readEvent, readOfferings, readPools } from "./api";
import { EventForm } from "./EventForm";
import { Offerings } from "./Offerings";
import { Pools } from "./Pools";

const LIVE_MS = 10_000;

function cutoffText(minutes: number): string {
  if (minutes % 1440 === 0 && minutes > 0) return `${minutes / 1440} ${minutes === 1440 ? "day" : "days"}`;
  if (minutes % 60 === 0 && minutes > 0) return `${minutes / 60} ${minutes === 60 ? "hour" : "hours"}`;
  return `${minutes} minutes`;
}

export function EventDetail({ venueId, eventId, canManage }: { venueId: string; eventId: string; canManage: boolean }) {
  const queryClient = useQueryClient();
  const keys = useIdempotencyKeys();
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const event = useQuery({ queryKey: eventKeys.one(venueId, eventId), queryFn: () => readEvent(venueId, eventId) });
  const offerings = useQuery({
    queryKey: eventKeys.offerings(venueId, eventId),
    queryFn: () => readOfferings(venueId, eventId),
    refetchInterval: LIVE_MS,
  });
  const pools = useQuery({
    queryKey: eventKeys.pools(venueId, eventId),
    queryFn: () => readPools(venueId, eventId),
    refetchInterval: LIVE_MS,
  });
  const attendance = useQuery({
    queryKey: eventKeys.attendance(venueId, eventId),
    queryFn: () => readAttendance(venueId, eventId),
    refetchInterval: LIVE_MS,
  });
  const cancel = useMutation({
    mutationFn: async () => {
      const action = `cancel-event:${eventId}`;
      const cancelled = await unwrap(
        api.POST("/api/v1/venues/{venue_id}/events/{event_id}/cancel", {
          params: { ...eventPath(venueId, eventId), header: { "Idempotency-Key": keys.for(action) } },
        }),
      );
      keys.done(action);
      return cancelled;
    },
    onMutate: () => setError(null),
    onSuccess: (cancelled) => {
      queryClient.setQueryData(eventKeys.one(venueId, eventId), cancelled);
      void queryClient.invalidateQueries({ queryKey: eventKeys.all(venueId) });
    },
    onError: setError,
  });

  if (event.isPending) return <Loading>Loading the event…</Loading>;
  if (event.isError) return <LoadError error={event.error} what="The event" />;
  const e = event.data;
  const over = new Date(e.ends_at).getTime() < Date.now();
  const cancelled = e.status === "cancelled";

  return (
    <article className="stack" aria-labelledby="event-title">
      {editing ? (
        <EventForm
          venueId={venueId}
          event={e}
          onDone={(saved) => {
            queryClient.setQueryData(eventKeys.one(venueId, eventId), saved);
            setEditing(false);
          }}
          onCancel={() => setEditing(false)}
        />
      ) : (
        <header className="card stack">
          <div className="offering__head">
            <h2 id="event-title">{e.title}</h2>
            {cancelled ? <Badge tone="danger">cancelled</Badge> : over ? <Badge>over</Badge> : <Badge tone="ok">scheduled</Badge>}
          </div>
          <p>
            {formatDateTime(e.starts_at)} – {formatDateTime(e.ends_at)}
          </p>
          {e.description && <p className="muted">{e.description}</p>}
          <p className="muted">
            {e.min_age != null && <>Age {e.min_age}+ · </>}
            {e.dress_code && <>Dress code: {e.dress_code} · </>}
            Guests who cancel {cutoffText(e.cancel_cutoff_minutes)} or more before the start get {e.refund_percent}% back.
          </p>
          <FormError message={describeError(error).form} />
          {canManage && !cancelled && (
            <div className="actions">
              <button type="button" className="button--quiet" onClick={() => setEditing(true)}>
                Edit the event
              </button>
              {!over && (
                <ConfirmButton
                  question="Cancel this event? Every confirmed booking is cancelled and refunded in full."
                  confirmLabel="Cancel the event"
                  disabled={cancel.isPending}
                  onConfirm={() => cancel.mutate()}
                >
                  {cancel.isPending ? "Cancelling…" : error ? "Try cancelling again" : "Cancel the event…"}
                </ConfirmButton>
              )}
            </div>
          )}
        </header>
      )}
      {offerings.isError && <LoadError error={offerings.error} what="The offerings" />}
      {pools.isError && <LoadError error={pools.error} what="The pools" />}
      {offerings.data && pools.data && (
        <>
          <Availability
            offerings={offerings.data}
            pools={pools.data}
            attendance={attendance.data}
            updatedAt={Math.max(offerings.dataUpdatedAt, pools.dataUpdatedAt)}
          />
          <Offerings
            venueId={venueId}
            eventId={eventId}
            offerings={offerings.data}
            pools={pools.data}
            canManage={canManage && !cancelled}
          />
          <Pools venueId={venueId} eventId={eventId} pools={pools.data} canManage={canManage && !cancelled} />
        </>
      )}
      <Bookings venueId={venueId} eventId={eventId} offerings={offerings.data ?? []} canRefund={canManage} />
    </article>
  );
}
