import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { json, renderWithClient, stubApi } from "../../test/api";
import { ItemForm } from "./ItemForm";

const VENUE = "11111111-1111-4111-8111-111111111111";
const CATEGORY = "22222222-2222-4222-8222-222222222222";
const TAX = [{ id: "33333333-3333-4333-8333-333333333333", venue_id: VENUE, name: "Food GST 5%", rate_bps: 500, created_at: "", updated_at: "" }];

describe("the menu item form", () => {
  it("shows the API's 422 message at the price field it names, and sends the price in paise", async () => {
    const calls = stubApi(() =>
      json(422, {
        error: "invalid",
        detail: [{ loc: ["body", "price_minor"], msg: "Input should be less than or equal to 1000000000000", type: "less_than_equal" }],
      }),
    );
    renderWithClient(<ItemForm venueId={VENUE} categoryId={CATEGORY} taxClasses={TAX} onDone={vi.fn()} onCancel={vi.fn()} />);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Item name"), "Paneer tikka");
    await user.type(screen.getByLabelText(/^Price/), "99999999999999");
    await user.selectOptions(screen.getByLabelText("Tax class"), "Food GST 5% (5%)");
    await user.click(screen.getByRole("button", { name: "Add item" }));

    const price = screen.getByLabelText(/^Price/);
    expect(await screen.findByText("Input should be less than or equal to 1000000000000")).toBeInTheDocument();
    expect(price).toHaveAttribute("aria-invalid", "true");
    expect(price).toHaveFocus();
    expect(price).toHaveAccessibleDescription(expect.stringContaining("Input should be less than or equal to 1000000000000"));
    expect(screen.getByLabelText("Item name")).not.toHaveAttribute("aria-invalid");
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();

    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      method: "POST",
      path: `/api/v1/venues/${VENUE}/categories/${CATEGORY}/items`,
      body: { name: "Paneer tikka", price_minor: 9999999999999900, tax_class_id: TAX[0]?.id, is_available: true },
    });
  });

  it("refuses a price it cannot read without asking the API, at the field", async () => {
    const calls = stubApi(() => json(500, {}));
    renderWithClient(<ItemForm venueId={VENUE} categoryId={CATEGORY} taxClasses={[]} onDone={vi.fn()} onCancel={vi.fn()} />);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Item name"), "Lassi");
    await user.type(screen.getByLabelText(/^Price/), "12.345");
    await user.click(screen.getByRole("button", { name: "Add item" }));
    expect(screen.getByLabelText(/^Price/)).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByText("Enter a price in rupees, e.g. 240 or 99.50")).toBeInTheDocument();
    expect(calls).toHaveLength(0);
  });

  it("edits an item with PATCH and hands back the saved item", async () => {
    const item = {
      id: "44444444-4444-4444-8444-444444444444",
      category_id: CATEGORY,
      name: "Bruschetta",
      description: null,
      price_minor: 32000,
      currency: "INR",
      image_url: null,
      diet: "vegan" as const,
      is_alcoholic: false,
      abv: null,
      ibu: null,
      ingredients: [],
      tags: [],
      tax_class_id: null,
      is_available: true,
      display_order: 0,
    };
    const calls = stubApi((call) => json(200, { ...item, ...(call.body as object) }));
    const onDone = vi.fn();
    renderWithClient(<ItemForm venueId={VENUE} categoryId={CATEGORY} item={item} taxClasses={[]} onDone={onDone} onCancel={vi.fn()} />);
    const user = userEvent.setup();
    const price = screen.getByLabelText(/^Price/);
    expect(price).toHaveValue("320");
    await user.clear(price);
    await user.type(price, "345.50");
    await user.click(screen.getByRole("button", { name: "Save item" }));
    await vi.waitFor(() => expect(onDone).toHaveBeenCalled());
    expect(calls[0]).toMatchObject({ method: "PATCH", path: `/api/v1/venues/${VENUE}/items/${item.id}`, body: { price_minor: 34550, diet: "vegan" } });
  });
});
