import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { json, renderWithClient, stubApi } from "../../test/api";
import { Reports } from "./Reports";

const VENUE = "22222222-2222-4222-8222-222222222222";

describe("the reports", () => {
  it("shows the API's sales per night, oldest night first, in the venue's currency", async () => {
    const calls = stubApi((call) => {
      if (call.path.endsWith("/reports/sales")) {
        return json(200, {
          items: [
            { night: "2026-11-24", currency: "INR", orders: 1, total_minor: 40_000 },
            { night: "2026-11-23", currency: "INR", orders: 3, total_minor: 60_000 },
          ],
          total: 2,
          limit: 14,
          offset: 0,
        });
      }
      return json(200, { items: [], total: 0, limit: 20, offset: 0 });
    });
    renderWithClient(<Reports venueId={VENUE} currency="INR" />);
    const table = await screen.findByRole("table", { name: "Sales per night" });
    const rows = within(table)
      .getAllByRole("row")
      .slice(1)
      .map((row) => [...row.children].map((cell) => cell.textContent));
    expect(rows).toEqual([
      ["Mon, 23 Nov", "3", "₹600.00"],
      ["Tue, 24 Nov", "1", "₹400.00"],
    ]);
    const sales = calls.find((c) => c.path.endsWith("/reports/sales"));
    expect(sales).toMatchObject({ method: "GET", path: `/api/v1/venues/${VENUE}/reports/sales`, search: "?limit=14" });
    // Summed by the API: no order pages fetched for it.
    expect(calls.some((c) => c.path.endsWith("/orders"))).toBe(false);
  });
});
