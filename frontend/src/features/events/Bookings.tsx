/**
 * An event's bookings with who booked and their guests; managers refund part or all of
 * what was paid. Each refund is one user action with its own Idempotency-Key, sent
 * again unchanged when the person retries after a failure.
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";

import { api, type Schemas, unwrap } from "../../api/client";
import { Field } from "../../components/Field";
import { FormError } from "../../components/FormError";
import { Pagination } from "../../components/Pagination";
import { ApiError, describeError } from "../../lib/errors";
import { useIdempotencyKeys } from "../../lib/idempotency";
import { formatMoney, parseMoney } from "../../lib/money";
import { usePagination } from "../../lib/pagination";
import { formatDateTime } from "../../lib/time";
import { LoadError, Loading } from "../common/Status";
import { type OfferingRead, type StaffBookingRead, eventKeys, eventPath } from "./api";

type RefundRead = Schemas["RefundRead"];

function RefundForm({
  venueId,
  eventId,
  booking,
  onDone,
}: {
  venueId: string;
  eventId: string;
  booking: StaffBookingRead;
  onDone: (refund: RefundRead) => void;
}) {
  const keys = useIdempotencyKeys();
  const [error, setError] = useState<unknown>(null);
  const [whole, setWhole] = useState(true);
  const payment = booking.payment;
  const left = payment ? payment.amount_minor - payment.refunded_minor : 0;
  const refund = useMutation({
    mutationFn: async (amount: number | null) => {
      const action = `refund:${booking.id}:${amount ?? "rest"}`;
      const made = await unwrap(
        api.POST("/api/v1/venues/{venue_id}/events/{event_id}/bookings/{booking_id}/refund", {
          params: {
            path: { ...eventPath(venueId, eventId).path, booking_id: booking.id },
            header: { "Idempotency-Key": keys.for(action) },
          },
          body: { amount_minor: amount },
        }),
      );
      keys.done(action);
      return made;
    },
    onSuccess: onDone,
    onError: setError,
  });
  const { fields, form } = describeError(error, ["amount_minor"]);
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setError(null);
    if (whole) {
      refund.mutate(null);
      return;
    }
    const amount = parseMoney(String(new FormData(e.currentTarget).get("amount") ?? ""));
    if (amount === null || amount <= 0) {
      setError(new ApiError(422, "invalid", [{ loc: ["body", "amount_minor"], msg: "An amount in rupees, e.g. 500", type: "value_error" }]));
      return;
    }
    refund.mutate(amount);
  }
  return (
    <form className="inline-form" onSubmit={onSubmit} noValidate aria-label={`Refund ${booking.guest_name ?? "the booking"}`}>
      <FormError message={form} />
      <fieldset className="fieldset">
        <legend>Refund ({formatMoney(left, booking.currency)} can still be refunded)</legend>
        <label>
          <input type="radio" name="whole" checked={whole} onChange={() => setWhole(true)} /> All that is left (cancels
          the booking)
        </label>
        <label>
          <input type="radio" name="whole" checked={!whole} onChange={() => setWhole(false)} /> Part of it
        </label>
      </fieldset>
      {!whole && <Field label="Amount (₹)" name="amount" inputMode="decimal" required error={fields.amount_minor} />}
      <button type="submit" className="button--danger" disabled={refund.isPending}>
        {refund.isPending ? "Refunding…" : refund.isError ? "Try the refund again" : "Refund"}
      </button>
    </form>
  );
}

export function Bookings({
  venueId,
  eventId,
  offerings,
  canRefund,
}: {
  venueId: string;
  eventId: string;
  offerings: OfferingRead[];
  canRefund: boolean;
}) {
  const queryClient = useQueryClient();
  const { limit, offset, setOffset } = usePagination(20, "bookings");
  const [refunding, setRefunding] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const names = new Map(offerings.map((o) => [o.id, o.name]));
  const bookings = useQuery({
    queryKey: eventKeys.bookings(venueId, eventId, offset),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/venues/{venue_id}/events/{event_id}/bookings", {
          params: { ...eventPath(venueId, eventId), query: { limit, offset } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  return (
    <section aria-labelledby="bookings-title" className="stack">
      <h2 id="bookings-title">Bookings</h2>
      <p role="status" aria-live="polite" className={notice ? "notice" : "visually-hidden"}>
        {notice}
      </p>
      {bookings.isPending && <Loading />}
      {bookings.isError && <LoadError error={bookings.error} what="The bookings" />}
      {bookings.data && bookings.data.items.length === 0 && <p className="muted">No bookings yet.</p>}
      {bookings.data && bookings.data.items.length > 0 && (
        <ul className="cards">
          {bookings.data.items.map((b) => {
            const paid = b.payment?.status === "captured";
            const refundable = paid && b.payment && b.payment.amount_minor > b.payment.refunded_minor;
            return (
              <li key={b.id} className="card booking">
                <div className="offering__head">
                  <h3>{b.guest_name ?? "A guest"}</h3>
                  <span className={`badge badge--${b.status === "confirmed" ? "ok" : b.status === "held" ? "warn" : "neutral"}`}>
                    {b.status}
                  </span>
                </div>
                <p>
                  <strong>
                    {b.guests} {b.guests === 1 ? "guest" : "guests"}
                  </strong>{" "}
                  ·{" "}
                  {b.items
                    .map((i) => `${i.quantity} × ${names.get(i.offering_id) ?? "an offering"}`)
                    .join(", ")}{" "}
                  · {formatMoney(b.total_minor, b.currency)}
                </p>
                <p className="muted">
                  Booked {formatDateTime(b.created_at)} · {b.tickets} {b.tickets === 1 ? "ticket" : "tickets"}
                  {b.payment && (
                    <>
                      {" "}
                      · payment {b.payment.status}
                      {b.payment.refunded_minor > 0 && <>, {formatMoney(b.payment.refunded_minor, b.currency)} refunded</>}
                    </>
                  )}
                </p>
                {canRefund && refundable && (
                  refunding === b.id ? (
                    <>
                      <RefundForm
                        venueId={venueId}
                        eventId={eventId}
                        booking={b}
                        onDone={(refund) => {
                          setRefunding(null);
                          setNotice(
                            `Refund of ${formatMoney(refund.amount_minor, b.currency)} to ${b.guest_name ?? "the guest"}: ${refund.status}`,
                          );
                          void queryClient.invalidateQueries({ queryKey: ["events", venueId, "event", eventId] });
                        }}
                      />
                      <button type="button" className="button--quiet" onClick={() => setRefunding(null)}>
                        Close
                      </button>
                    </>
                  ) : (
                    <button type="button" className="button--quiet" onClick={() => setRefunding(b.id)}>
                      Refund…
                    </button>
                  )
                )}
              </li>
            );
          })}
        </ul>
      )}
      {bookings.data && (
        <Pagination
          total={bookings.data.total}
          limit={bookings.data.limit}
          offset={bookings.data.offset}
          onChange={setOffset}
          label="Pages of bookings"
        />
      )}
    </section>
  );
}
