import { QueryClientProvider } from "@tanstack/react-query";
import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { beforeEach, describe, expect, it, vi } from "vitest";

import { makeQueryClient } from "../../api/query";
import type { OrderRead } from "./flow";
import type { EventSourceLike } from "./live";
import { OrderBoard } from "./OrderBoard";

const VENUE = "11111111-1111-4111-8111-111111111111";
const SESSION = "22222222-2222-4222-8222-222222222222";

function order(number: number, overrides: Partial<OrderRead> = {}): OrderRead {
  const id = `00000000-0000-4000-8000-00000000000${number}`;
  return {
    id,
    venue_id: VENUE,
    parent_id: null,
    kind: "dine_in",
    status: "placed",
    session_id: SESSION,
    pickup_point_id: null,
    placed_by_id: "33333333-3333-4333-8333-333333333333",
    number,
    note: null,
    currency: "INR",
    subtotal_minor: 32000,
    tax_minor: 1600,
    packaging_minor: 0,
    service_charge_minor: 0,
    rounding_minor: 0,
    total_minor: 33600,
    credit_minor: 0,
    prices_include_tax: false,
    taxes: [],
    placed_at: "2026-12-03T14:05:00Z",
    created_at: "2026-12-03T14:05:00Z",
    lines: [
      {
        id: `${id}-l`,
        position: 0,
        item_id: null,
        variant_id: null,
        name: number === 1 ? "Masala Dosa" : "Filter Coffee",
        variant_name: null,
        add_ons: [],
        unit_price_minor: 16000,
        quantity: 2,
        amount_minor: 32000,
        tax_name: null,
        tax_rate_bps: 0,
        tax_minor: 1600,
        note: null,
      },
    ],
    history: [],
    sub_orders: [],
    ...overrides,
  };
}

/** An EventSource the test drives: `emit` sends a server event, `drop` breaks it. */
class FakeEventSource implements EventSourceLike {
  static all: FakeEventSource[] = [];
  onopen: ((event: Event) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  closed = false;
  private listeners = new Map<string, ((event: MessageEvent) => void)[]>();
  constructor(readonly url: string) {
    FakeEventSource.all.push(this);
  }
  addEventListener(type: string, listener: (event: MessageEvent) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close() {
    this.closed = true;
  }
  open() {
    this.onopen?.(new Event("open"));
  }
  emit(type: string, id: number, data: unknown) {
    const event = new MessageEvent(type, { data: JSON.stringify(data), lastEventId: String(id) });
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }
  drop() {
    this.onerror?.(new Event("error"));
  }
}

function json(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

/** The backend as the board sees it: a board of `orders`, sessions, tokens and moves. */
function stubBackend(state: { orders: OrderRead[] }) {
  const calls: { method: string; url: string; body: unknown; headers: Headers }[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (request: Request) => {
      const url = new URL(request.url);
      const body = request.method === "GET" ? null : await request.clone().text().then((t) => (t ? JSON.parse(t) : null));
      calls.push({ method: request.method, url: url.pathname + url.search, body, headers: request.headers });
      if (url.pathname === `/api/v1/venues/${VENUE}/orders`) {
        return json({ items: state.orders, total: state.orders.length, limit: 50, offset: 0 });
      }
      if (url.pathname === `/api/v1/venues/${VENUE}/table-sessions`) {
        return json([
          {
            id: SESSION,
            venue_id: VENUE,
            table_id: "44444444-4444-4444-8444-444444444444",
            table_label: "T4",
            status: "open",
            payment_mode: "at_end",
            opened_at: "2026-12-03T14:00:00Z",
            closed_at: null,
            close_reason: null,
            merged_into_id: null,
            members: 2,
          },
        ]);
      }
      if (url.pathname === "/api/v1/live/tokens") {
        return json({ token: "tok", expires_at: "2026-12-03T15:00:00Z", url: `/api/v1/live/venues/${VENUE}?token=tok${calls.length}` });
      }
      const move = url.pathname.match(/\/orders\/([^/]+)\/status$/);
      if (move) {
        const to = (body as { to: OrderRead["status"] }).to;
        state.orders = state.orders.map((o) => (o.id === move[1] ? { ...o, status: to } : o));
        return json(state.orders.find((o) => o.id === move[1]));
      }
      return json({ error: "not_found", detail: "Not found" }, 404);
    }),
  );
  return calls;
}

function renderBoard() {
  render(
    <QueryClientProvider client={makeQueryClient()}>
      <MemoryRouter>
        <OrderBoard venueId={VENUE} venueKind="restaurant" createEventSource={(url) => new FakeEventSource(url)} />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

beforeEach(() => {
  FakeEventSource.all = [];
});

describe("the live order board", () => {
  it("shows the open orders with their table and lines, and connects to the venue's stream", async () => {
    stubBackend({ orders: [order(1), order(2, { status: "preparing" })] });
    renderBoard();
    const first = await screen.findByRole("listitem", { name: "Order 1, new" });
    expect(within(first).getByText("Masala Dosa")).toBeInTheDocument();
    expect(within(first).getByText(/Table T4/)).toBeInTheDocument();
    expect(screen.getByRole("listitem", { name: "Order 2, preparing" })).toBeInTheDocument();
    await waitFor(() => expect(FakeEventSource.all).toHaveLength(1));
    expect(FakeEventSource.all[0]?.url).toMatch(new RegExp(`^/api/v1/live/venues/${VENUE}\\?token=tok\\d+$`));
    act(() => FakeEventSource.all[0]?.open());
    expect(await screen.findByText("Live")).toBeInTheDocument();
  });

  it("moves an order forward in one tap, with an Idempotency-Key", async () => {
    const calls = stubBackend({ orders: [order(1)] });
    renderBoard();
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Accept: order 1" }));
    expect(await screen.findByRole("listitem", { name: "Order 1, accepted" })).toBeInTheDocument();
    const move = calls.find((c) => c.method === "POST" && c.url.endsWith("/status"));
    expect(move?.body).toEqual({ to: "accepted", reason: null });
    expect(move?.headers.get("Idempotency-Key")).toMatch(/\S{8,}/);
    expect(screen.getByRole("button", { name: "Start preparing: order 1" })).toBeInTheDocument();
  });

  it("shows and announces an order that arrives on the stream", async () => {
    const state = { orders: [order(1)] };
    stubBackend(state);
    renderBoard();
    await screen.findByRole("listitem", { name: "Order 1, new" });
    await waitFor(() => expect(FakeEventSource.all).toHaveLength(1));
    const source = FakeEventSource.all[0] as FakeEventSource;
    act(() => source.open());

    state.orders = [...state.orders, order(2)];
    act(() =>
      source.emit("order", 42, {
        id: 42,
        kind: "order",
        venue_id: VENUE,
        parent_venue_id: null,
        session_id: SESSION,
        order_id: order(2).id,
        created_at: "2026-12-03T14:06:00Z",
        data: { event: "placed", order_id: order(2).id, number: 2, kind: "dine_in", status: "placed", parent_id: null },
      }),
    );
    expect(await screen.findByRole("listitem", { name: "Order 2, new" })).toBeInTheDocument();
    expect(screen.getByTestId("order-announcer")).toHaveTextContent("New order 2");
  });

  it("stops for good when the server ends the stream because access was lost", async () => {
    const calls = stubBackend({ orders: [order(1)] });
    renderBoard();
    await screen.findByRole("listitem", { name: "Order 1, new" });
    await waitFor(() => expect(FakeEventSource.all).toHaveLength(1));
    const source = FakeEventSource.all[0] as FakeEventSource;
    act(() => {
      source.open();
      source.emit("end", 0, { reason: "access_lost" });
    });
    expect(source.closed).toBe(true);
    expect(await screen.findByText(/no longer have access/)).toBeInTheDocument();
    // The close that follows is not a drop: nothing reconnects.
    act(() => source.drop());
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(FakeEventSource.all).toHaveLength(1);
    expect(calls.filter((c) => c.url === "/api/v1/live/tokens")).toHaveLength(1);
  });

  it("reconnects with a fresh token after the stream drops, resuming after the last event, and refetches", async () => {
    const state = { orders: [order(1)] };
    const calls = stubBackend(state);
    renderBoard();
    await screen.findByRole("listitem", { name: "Order 1, new" });
    await waitFor(() => expect(FakeEventSource.all).toHaveLength(1));
    const first = FakeEventSource.all[0] as FakeEventSource;
    act(() => {
      first.open();
      first.emit("ready", 7, { last_event_id: 7 });
    });
    // Moved meanwhile by another device while this one was cut off.
    state.orders = [order(1, { status: "ready" })];
    act(() => first.drop());
    expect(first.closed).toBe(true);
    expect(await screen.findByText(/Reconnecting/)).toBeInTheDocument();
    await waitFor(() => expect(FakeEventSource.all).toHaveLength(2), { timeout: 3000 });
    const second = FakeEventSource.all[1] as FakeEventSource;
    expect(second.url).toContain("last_event_id=7");
    expect(calls.filter((c) => c.url === "/api/v1/live/tokens")).toHaveLength(2);
    act(() => second.open());
    expect(await screen.findByRole("listitem", { name: "Order 1, ready" })).toBeInTheDocument();
    expect(screen.getByText("Live")).toBeInTheDocument();
  });
});
