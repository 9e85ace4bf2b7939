import { fireEvent, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import type { Schemas } from "../../api/client";
import { json, renderWithClient, stubApi } from "../../test/api";
import { VenueForm } from "./VenueForm";

const VENUE: Schemas["VenueRead"] = {
  id: "11111111-1111-4111-8111-111111111111",
  kind: "nightclub",
  name: "Bassline",
  status: "verified",
  is_active: true,
  address: "12 Church Street",
  city: "Bengaluru",
  latitude: 12.975,
  longitude: 77.605,
  avg_cost_for_two_minor: 300000,
  currency: "INR",
  cuisines: [],
  photos: [],
  food_court_id: null,
  description: null,
  verified_at: "2026-12-01T10:00:00Z",
  phone: null,
  email: null,
  instagram_handle: null,
  google_maps_url: null,
  zomato_url: null,
  swiggy_url: null,
  capacity: 400,
  timezone: "Asia/Kolkata",
  min_age: 21,
  cover_charge_minor: 100000,
  dress_code: null,
  drive_thru: null,
  payment_mode: "at_end",
  prices_include_tax: false,
  packaging_charge_minor: 0,
  service_charge_bps: 500,
  is_accepting_orders: true,
  opening_hours: [{ weekday: "thursday", opens: "21:00", closes: "01:00" }],
  open_now: false,
  created_at: "2026-12-01T10:00:00Z",
  updated_at: "2026-12-01T10:00:00Z",
};

describe("the venue form", () => {
  it("sends a night past midnight and the club's fields, and shows the API's errors where they belong", async () => {
    const calls = stubApi(() =>
      json(422, {
        error: "invalid",
        detail: [
          { loc: ["body", "phone"], msg: "This is not a valid phone number", type: "value_error" },
          { loc: ["body", "opening_hours", 1, "closes"], msg: "A local time of day as HH:MM", type: "value_error" },
        ],
      }),
    );
    renderWithClient(<VenueForm venue={VENUE} canEdit />);
    const user = userEvent.setup();
    expect(screen.getByLabelText("Minimum age")).toHaveValue("21");
    expect(screen.getByLabelText(/^Cover charge/)).toHaveValue("1000");
    expect(screen.queryByLabelText("Cuisines")).not.toBeInTheDocument();
    expect(screen.getByText("Closes the next day at 01:00")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Add hours" }));
    const rows = within(screen.getByRole("group", { name: "Opening hours" })).getAllByRole("listitem");
    const friday = rows[1] as HTMLElement;
    await user.selectOptions(within(friday).getByLabelText("Day"), "friday");
    fireEvent.change(within(friday).getByLabelText("Opens"), { target: { value: "20:00" } });
    fireEvent.change(within(friday).getByLabelText("Closes"), { target: { value: "02:00" } });
    expect(within(friday).getByText("Closes the next day at 02:00")).toBeInTheDocument();
    await user.type(screen.getByLabelText("Phone"), "12345");
    await user.click(screen.getByRole("button", { name: "Save venue" }));

    expect(await screen.findByText("This is not a valid phone number")).toBeInTheDocument();
    expect(screen.getByLabelText("Phone")).toHaveAttribute("aria-invalid", "true");
    expect(within(friday).getByLabelText("Closes")).toHaveAttribute("aria-invalid", "true");
    expect(within(friday).getByLabelText("Closes")).toHaveAccessibleDescription("Closes the next day at 02:00 A local time of day as HH:MM");
    expect(calls[0]).toMatchObject({
      method: "PATCH",
      path: `/api/v1/venues/${VENUE.id}`,
      body: {
        phone: "12345",
        min_age: 21,
        cover_charge_minor: 100000,
        service_charge_bps: 500,
        opening_hours: [
          { weekday: "thursday", opens: "21:00", closes: "01:00" },
          { weekday: "friday", opens: "20:00", closes: "02:00" },
        ],
      },
    });
    expect(calls[0]?.body).not.toHaveProperty("cuisines");
    expect(calls[0]?.body).not.toHaveProperty("drive_thru");
  });
});
