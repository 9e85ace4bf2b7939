import { QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { describe, expect, it, vi } from "vitest";

import { makeQueryClient } from "../../api/query";
import type { StaffBookingRead } from "./api";
import { Bookings } from "./Bookings";

const VENUE = "11111111-1111-4111-8111-111111111111";
const EVENT = "22222222-2222-4222-8222-222222222222";

const booking: StaffBookingRead = {
  id: "33333333-3333-4333-8333-333333333333",
  event_id: EVENT,
  status: "confirmed",
  guests: 2,
  total_minor: 200000,
  currency: "INR",
  hold_expires_at: "2026-12-02T06:40:00Z",
  confirmed_at: "2026-12-02T06:31:00Z",
  cancelled_at: null,
  created_at: "2026-12-02T06:30:00Z",
  items: [{ offering_id: "44444444-4444-4444-8444-444444444444", quantity: 2, guests: 2, unit_price_minor: 100000, cover_credit_minor: 0 }],
  payment: {
    id: "55555555-5555-4555-8555-555555555555",
    booking_id: "33333333-3333-4333-8333-333333333333",
    status: "captured",
    amount_minor: 200000,
    refunded_minor: 0,
    currency: "INR",
    provider: "test",
    provider_order_id: "order_1",
    captured_at: "2026-12-02T06:31:00Z",
    created_at: "2026-12-02T06:30:00Z",
  },
  tickets: 2,
  consumer_id: "66666666-6666-4666-8666-666666666666",
  guest_name: "Diya Iyer",
};

function json(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

describe("refunding a booking", () => {
  it("sends one Idempotency-Key per refund and the same one when the person retries after a failure", async () => {
    const refunds: { key: string | null; body: unknown }[] = [];
    let failNext = true;
    vi.stubGlobal(
      "fetch",
      vi.fn(async (request: Request) => {
        const url = new URL(request.url);
        if (url.pathname.endsWith("/refund")) {
          refunds.push({ key: request.headers.get("Idempotency-Key"), body: await request.json() });
          if (failNext) {
            failNext = false;
            throw new TypeError("Failed to fetch"); // the connection dropped
          }
          return json(
            { id: "r1", payment_id: booking.payment?.id, amount_minor: 50000, reason: "manager", status: "pending", created_at: "2026-12-02T07:00:00Z" },
            201,
          );
        }
        if (url.pathname.endsWith("/bookings")) return json({ items: [booking], total: 1, limit: 20, offset: 0 });
        return json({ error: "not_found", detail: "Not found" }, 404);
      }),
    );
    render(
      <QueryClientProvider client={makeQueryClient()}>
        <MemoryRouter>
          <Bookings venueId={VENUE} eventId={EVENT} offerings={[]} canRefund />
        </MemoryRouter>
      </QueryClientProvider>,
    );
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Refund…" }));
    await user.click(screen.getByLabelText("Part of it"));

    await user.type(screen.getByLabelText("Amount (₹)"), "abc");
    await user.click(screen.getByRole("button", { name: "Refund" }));
    expect(await screen.findByText("An amount in rupees, e.g. 500")).toBeInTheDocument();
    expect(screen.getByLabelText("Amount (₹)")).toHaveAttribute("aria-invalid", "true");
    expect(refunds).toHaveLength(0);

    await user.clear(screen.getByLabelText("Amount (₹)"));
    await user.type(screen.getByLabelText("Amount (₹)"), "500");
    await user.click(screen.getByRole("button", { name: "Refund" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("The server cannot be reached");
    await user.click(screen.getByRole("button", { name: "Try the refund again" }));
    expect(await screen.findByText(/Refund of ₹500.00 to Diya Iyer: pending/)).toBeInTheDocument();

    expect(refunds).toHaveLength(2);
    expect(refunds[0]?.body).toEqual({ amount_minor: 50000 });
    expect(refunds[1]?.body).toEqual({ amount_minor: 50000 });
    expect(refunds[0]?.key).toBeTruthy();
    expect(refunds[1]?.key).toBe(refunds[0]?.key);
  });
});
