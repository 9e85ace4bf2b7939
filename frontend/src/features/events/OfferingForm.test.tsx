import { QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { makeQueryClient } from "../../api/query";
import type { PoolRead } from "./api";
import { OfferingForm } from "./OfferingForm";

const pool: PoolRead = {
  id: "55555555-5555-4555-8555-555555555555",
  event_id: "22222222-2222-4222-8222-222222222222",
  name: "Guests",
  size: 300,
  taken: 4,
  left: 296,
  created_at: "2026-12-02T06:30:00Z",
  updated_at: "2026-12-02T06:30:00Z",
};

function renderForm(onDone = vi.fn()) {
  render(
    <QueryClientProvider client={makeQueryClient()}>
      <OfferingForm venueId="v" eventId={pool.event_id} pools={[pool]} onDone={onDone} onCancel={vi.fn()} />
    </QueryClientProvider>,
  );
  return onDone;
}

describe("the offering form", () => {
  it("sends the price in paise with the pools it draws from, and shows the API's errors at their fields", async () => {
    const bodies: unknown[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (request: Request) => {
        bodies.push(await request.json());
        return new Response(
          JSON.stringify({
            error: "invalid",
            detail: [
              { loc: ["body", "name"], msg: "This cannot be blank", type: "value_error" },
              { loc: ["body", "pools", 0, "places_per_pass"], msg: "Input should be less than or equal to 100", type: "less_than_equal" },
            ],
          }),
          { status: 422, headers: { "Content-Type": "application/json" } },
        );
      }),
    );
    const onDone = renderForm();
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Name"), "  ");
    await user.type(screen.getByLabelText("Price (₹)"), "1499.50");
    await user.click(screen.getByLabelText(/Guests \(296 of 300 left\)/));
    await user.type(screen.getByLabelText("Places per pass"), "101");
    await user.click(screen.getByRole("button", { name: "Add the offering" }));

    expect(await screen.findByText("This cannot be blank")).toBeInTheDocument();
    expect(screen.getByLabelText("Name")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByText("Input should be less than or equal to 100")).toBeInTheDocument();
    expect(bodies[0]).toMatchObject({
      price_minor: 149950,
      currency: "INR",
      kind: "stag",
      pools: [{ pool_id: pool.id, places_per_pass: 101 }],
    });
    expect(onDone).not.toHaveBeenCalled();
  });

  it("refuses a price that is not an amount without calling the API", async () => {
    const fetch = vi.fn();
    vi.stubGlobal("fetch", fetch);
    renderForm();
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Name"), "Stag entry");
    await user.type(screen.getByLabelText("Price (₹)"), "a lot");
    await user.click(screen.getByRole("button", { name: "Add the offering" }));
    expect(await screen.findByText(/An amount in rupees/)).toBeInTheDocument();
    expect(screen.getByLabelText("Price (₹)")).toHaveAttribute("aria-invalid", "true");
    expect(fetch).not.toHaveBeenCalled();
  });
});
