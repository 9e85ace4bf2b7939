/** One order on the board: what to make, for which table, and the one-tap move forward. */
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";

import { api, unwrap } from "../../api/client";
import { useIdempotencyKeys } from "../../lib/idempotency";
import { formatMoney } from "../../lib/money";
import { formatTime } from "../../lib/time";
import { messageOf } from "../common/messages";
import { KIND_LABEL, type OrderRead, type OrderStatus, STATUS_LABEL, forwardMoves, refusal } from "./flow";

export function OrderCard({
  venueId,
  order,
  place,
  movable,
  movedBy,
  fresh,
  onMoved,
}: {
  venueId: string;
  order: OrderRead;
  /** "Table T4", "Pickup", ... */
  place: string | null;
  /** False for a food court's view of its QSRs' sub-orders (each QSR moves its own). */
  movable: boolean;
  movedBy?: string | null | undefined;
  fresh?: boolean;
  onMoved: (order: OrderRead) => void;
}) {
  const keys = useIdempotencyKeys();
  const [refusing, setRefusing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const move = useMutation({
    mutationFn: async ({ to, reason }: { to: OrderStatus; reason: string | null }) => {
      const action = `move:${order.id}:${to}:${reason ?? ""}`;
      const moved = await unwrap(
        api.POST("/api/v1/venues/{venue_id}/orders/{order_id}/status", {
          params: {
            path: { venue_id: venueId, order_id: order.id },
            header: { "Idempotency-Key": keys.for(action) },
          },
          body: { to, reason },
        }),
      );
      keys.done(action);
      return moved;
    },
    onMutate: () => setError(null),
    onSuccess: (moved) => {
      setRefusing(false);
      onMoved(moved);
    },
    onError: (e) => setError(messageOf(e)),
  });
  const forward = forwardMoves(order.status, order.kind);
  const refuse = refusal(order.status);
  const paid = order.kind !== "tab" && order.total_minor > 0 && order.history.some((h) => h.reason === "paid");

  function onRefuse(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (!refuse) return;
    const reason = String(new FormData(e.currentTarget).get("reason") ?? "").trim();
    move.mutate({ to: refuse.to, reason: reason || null });
  }

  const title = `Order ${order.number}`;
  return (
    <li className={`card order order--${order.status}${fresh ? " order--fresh" : ""}`} aria-label={`${title}, ${STATUS_LABEL[order.status]}`}>
      <div className="offering__head">
        <h3>
          #{order.number} {place && <span className="muted">· {place}</span>}
        </h3>
        <span className={`badge badge--${order.status === "placed" ? "warn" : order.status === "ready" ? "ok" : "neutral"}`}>
          {STATUS_LABEL[order.status]}
        </span>
      </div>
      <p className="muted">
        {KIND_LABEL[order.kind]} · placed {formatTime(order.placed_at ?? order.created_at)} ·{" "}
        {formatMoney(order.total_minor, order.currency)}
        {order.parent_id && " · food-court order"}
      </p>
      <ul className="order__lines">
        {order.lines.map((line) => (
          <li key={line.id}>
            <strong>{line.quantity} ×</strong> {line.name}
            {line.variant_name && ` (${line.variant_name})`}
            {line.add_ons.length > 0 &&
              ` + ${line.add_ons.map((a) => String((a as { name?: unknown }).name ?? "add-on")).join(", ")}`}
            {line.note && <em> — {line.note}</em>}
          </li>
        ))}
      </ul>
      {order.note && <p>Note: {order.note}</p>}
      {error && (
        <p className="field__error" role="alert">
          {error}
        </p>
      )}
      {!movable && <p className="muted">{movedBy ? `${movedBy}'s staff move this part.` : "Its own venue moves this part."}</p>}
      {movable && (
        <div className="stack">
          {forward.map((m, i) => (
            <button
              key={m.to}
              type="button"
              className={i === 0 ? "order__move" : "order__move button--quiet"}
              disabled={move.isPending}
              onClick={() => move.mutate({ to: m.to, reason: null })}
              aria-label={`${m.label}: order ${order.number}`}
            >
              {m.label}
            </button>
          ))}
          {refuse && !refusing && (
            <button type="button" className="button--quiet" onClick={() => setRefusing(true)}>
              {refuse.label}…
            </button>
          )}
          {refuse && refusing && (
            <form className="inline-form" onSubmit={onRefuse} aria-label={`${refuse.label} order ${order.number}`}>
              <div className="field">
                <label htmlFor={`reason-${order.id}`}>Why (the guest sees it)</label>
                <input id={`reason-${order.id}`} name="reason" maxLength={500} placeholder="Out of stock" />
              </div>
              <p className="muted">{paid ? "The guest's payment is refunded." : "Nothing was paid for it yet."}</p>
              <div className="actions">
                <button type="submit" className="button--danger" disabled={move.isPending}>
                  {refuse.label} order {order.number}
                </button>
                <button type="button" className="button--quiet" onClick={() => setRefusing(false)}>
                  Keep it
                </button>
              </div>
            </form>
          )}
        </div>
      )}
    </li>
  );
}
