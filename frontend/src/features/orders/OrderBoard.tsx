/**
 * The live board: the venue's open orders, oldest first, kept current by the venue's
 * event stream. A new order is announced (aria-live) and highlighted; every change
 * refetches the board, and so does every reconnect, so the board is right after a
 * dropped connection too. A food court sees its QSRs' sub-orders, grouped by cart.
 */
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";

import { api, type Schemas, unwrap } from "../../api/client";
import { Pagination } from "../../components/Pagination";
import { usePagination } from "../../lib/pagination";
import { LoadError, Loading } from "../common/Status";
import { OrderCard } from "./OrderCard";
import type { OrderRead } from "./flow";
import type { EventSourceFactory, LiveEvent, LiveStatus } from "./live";
import { useLiveVenue } from "./useLive";

type Page = Schemas["OrderReadPage"];
type VenueKind = Schemas["VenueKind"];

export const boardKeys = {
  all: (venueId: string) => ["orders", venueId] as const,
  board: (venueId: string, offset: number, limit: number) => ["orders", venueId, "board", { offset, limit }] as const,
  sessions: (venueId: string) => ["orders", venueId, "sessions"] as const,
  bill: (venueId: string, sessionId: string) => ["orders", venueId, "bill", sessionId] as const,
  qsrs: (venueId: string) => ["orders", venueId, "qsrs"] as const,
};

const STATUS_TEXT: Record<LiveStatus, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting… (the board refreshes when back)",
  ended: "Not live: you no longer have access to this board",
};

export function OrderBoard({
  venueId,
  venueKind,
  createEventSource,
}: {
  venueId: string;
  venueKind: VenueKind;
  createEventSource?: EventSourceFactory;
}) {
  const queryClient = useQueryClient();
  const { limit, offset, setOffset } = usePagination(50);
  const boardKey = boardKeys.board(venueId, offset, limit);
  const board = useQuery({
    queryKey: boardKey,
    queryFn: () =>
      unwrap(api.GET("/api/v1/venues/{venue_id}/orders", { params: { path: { venue_id: venueId }, query: { limit, offset } } })),
    placeholderData: keepPreviousData,
    staleTime: 0,
  });
  const sessions = useQuery({
    queryKey: boardKeys.sessions(venueId),
    queryFn: () => unwrap(api.GET("/api/v1/venues/{venue_id}/table-sessions", { params: { path: { venue_id: venueId } } })),
  });
  const foodCourt = venueKind === "food_court";
  const qsrs = useQuery({
    queryKey: boardKeys.qsrs(venueId),
    queryFn: () => unwrap(api.GET("/api/v1/venues/{venue_id}/qsrs", { params: { path: { venue_id: venueId } } })),
    enabled: foodCourt,
  });

  const [announcement, setAnnouncement] = useState("");
  const [fresh, setFresh] = useState<Set<string>>(() => new Set());
  const refetchTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const refetchSoon = useCallback(() => {
    if (refetchTimer.current) return;
    refetchTimer.current = setTimeout(() => {
      refetchTimer.current = null;
      void queryClient.invalidateQueries({ queryKey: boardKeys.all(venueId) });
    }, 50);
  }, [queryClient, venueId]);
  useEffect(() => () => {
    if (refetchTimer.current) clearTimeout(refetchTimer.current);
  }, []);

  const onEvent = useCallback(
    (event: LiveEvent) => {
      if (event.kind === "order") {
        const data = event.data as { event?: string; status?: string; number?: number; order_id?: string };
        // Show the new status at once; the refetch below brings the rest.
        if (data.order_id && data.status) {
          queryClient.setQueryData<Page>(boardKey, (page) =>
            page
              ? {
                  ...page,
                  items: page.items.map((o) =>
                    o.id === data.order_id ? { ...o, status: data.status as OrderRead["status"] } : o,
                  ),
                }
              : page,
          );
        }
        if (data.status === "placed" && data.order_id) {
          const id = data.order_id;
          setAnnouncement(`New order ${data.number ?? ""}`.trim());
          setFresh((prev) => new Set(prev).add(id));
        }
      }
      refetchSoon();
    },
    [boardKey, queryClient, refetchSoon],
  );
  const status = useLiveVenue({ venueId, onEvent, onResync: refetchSoon, createEventSource });

  const tables = new Map((sessions.data ?? []).map((s) => [s.id, s.table_label]));
  const qsrNames = new Map((qsrs.data ?? []).map((q) => [q.id, q.name]));
  function placeOf(order: OrderRead): string | null {
    const where = order.session_id ? tables.get(order.session_id) : null;
    const prefix = foodCourt && order.venue_id !== venueId ? qsrNames.get(order.venue_id) ?? "A QSR" : null;
    const table = where ? `Table ${where}` : order.kind === "pickup" ? "Pickup" : null;
    return [prefix, table].filter(Boolean).join(" · ") || null;
  }
  function onMoved(moved: OrderRead) {
    queryClient.setQueryData<Page>(boardKey, (page) =>
      page ? { ...page, items: page.items.map((o) => (o.id === moved.id ? moved : o)) } : page,
    );
    setFresh((prev) => {
      const next = new Set(prev);
      next.delete(moved.id);
      return next;
    });
    refetchSoon();
  }

  const items = board.data?.items ?? [];
  // A food court's sub-orders, grouped by the cart they came from.
  const groups = new Map<string, OrderRead[]>();
  for (const order of items) {
    const key = foodCourt && order.parent_id ? order.parent_id : order.id;
    groups.set(key, [...(groups.get(key) ?? []), order]);
  }

  return (
    <section aria-labelledby="board-title" className="stack">
      <div className="section-head">
        <h2 id="board-title">Open orders{board.data ? ` (${board.data.total})` : ""}</h2>
        <span className={`live-status live-status--${status}`} role="status">
          {STATUS_TEXT[status]}
        </span>
      </div>
      <p className="visually-hidden" aria-live="polite" aria-atomic="true" data-testid="order-announcer">
        {announcement}
      </p>
      {board.isPending && <Loading>Loading the board…</Loading>}
      {board.isError && <LoadError error={board.error} what="The board" />}
      {board.data && items.length === 0 && <p className="muted">No open orders. New ones appear here at once.</p>}
      {foodCourt ? (
        <ul className="cards">
          {[...groups.entries()].map(([key, parts]) => (
            <li key={key} className="card stack">
              <h3>{parts.length > 1 ? `One cart, ${parts.length} counters` : "Order"}</h3>
              <ul className="board">
                {parts.map((order) => (
                  <OrderCard
                    key={order.id}
                    venueId={venueId}
                    order={order}
                    place={placeOf(order)}
                    movable={order.venue_id === venueId}
                    movedBy={qsrNames.get(order.venue_id)}
                    fresh={fresh.has(order.id)}
                    onMoved={onMoved}
                  />
                ))}
              </ul>
            </li>
          ))}
        </ul>
      ) : (
        <ul className="board">
          {items.map((order) => (
            <OrderCard
              key={order.id}
              venueId={venueId}
              order={order}
              place={placeOf(order)}
              movable
              fresh={fresh.has(order.id)}
              onMoved={onMoved}
            />
          ))}
        </ul>
      )}
      {board.data && (
        <Pagination total={board.data.total} limit={board.data.limit} offset={board.data.offset} onChange={setOffset} label="Pages of orders" />
      )}
    </section>
  );
}
