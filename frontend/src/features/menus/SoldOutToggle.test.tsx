import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { json, renderWithClient, stubApi } from "../../test/api";
import { menuKey, useWholeMenu, type WholeMenu } from "./queries";
import { SoldOutToggle } from "./SoldOutToggle";

const VENUE = "11111111-1111-4111-8111-111111111111";
const ITEM = "44444444-4444-4444-8444-444444444444";

function menuWith(available: boolean): WholeMenu {
  return {
    venue_id: VENUE,
    version: 1,
    menus: [
      {
        id: "m",
        name: "Food",
        description: null,
        display_order: 0,
        categories: [
          {
            id: "c",
            name: "Starters",
            description: null,
            display_order: 0,
            subcategories: [],
            items: [
              {
                id: ITEM,
                category_id: "c",
                name: "Bruschetta",
                description: null,
                price_minor: 32000,
                currency: "INR",
                image_url: null,
                diet: null,
                is_alcoholic: false,
                abv: null,
                ibu: null,
                ingredients: [],
                tags: [],
                tax_class_id: null,
                is_available: available,
                display_order: 0,
                tax_class: null,
                variants: [],
                add_on_groups: [],
              },
            ],
          },
        ],
      },
    ],
  };
}

/** The toggle as the menu tree shows it: its state read from the whole menu. */
function Harness() {
  const menu = useWholeMenu(VENUE);
  const item = menu.data?.menus[0]?.categories[0]?.items[0];
  return item ? <SoldOutToggle venueId={VENUE} kind="item" id={item.id} name={item.name} available={item.is_available} /> : null;
}

describe("the sold-out toggle", () => {
  it("marks an item sold out in one tap, and back in another", async () => {
    let available = true;
    const calls = stubApi((call) => {
      if (call.method === "PUT") {
        available = (call.body as { is_available: boolean }).is_available;
        return json(200, { id: ITEM, is_available: available });
      }
      return json(200, menuWith(available));
    });
    const { queryClient } = renderWithClient(<Harness />);
    const user = userEvent.setup();
    const button = await screen.findByRole("button", { name: "Bruschetta: sold out" });
    expect(button).toHaveAttribute("aria-pressed", "false");
    expect(button).toHaveTextContent("Available");

    await user.click(button);
    const puts = () => calls.filter((c) => c.method === "PUT");
    expect(puts()[0]).toMatchObject({ path: `/api/v1/venues/${VENUE}/items/${ITEM}/availability`, body: { is_available: false } });
    await vi.waitFor(() => expect(screen.getByRole("button", { name: "Bruschetta: sold out" })).toHaveAttribute("aria-pressed", "true"));
    expect(screen.getByRole("button", { name: "Bruschetta: sold out" })).toHaveTextContent("Sold out");
    expect(queryClient.getQueryData<WholeMenu>(menuKey(VENUE))?.menus[0]?.categories[0]?.items[0]?.is_available).toBe(false);

    await user.click(screen.getByRole("button", { name: "Bruschetta: sold out" }));
    expect(puts()[1]).toMatchObject({ body: { is_available: true } });
    await vi.waitFor(() => expect(screen.getByRole("button", { name: "Bruschetta: sold out" })).toHaveAttribute("aria-pressed", "false"));
  });

  it("uses the variant and add-on routes for options", async () => {
    const calls = stubApi(() => json(200, { is_available: false }));
    renderWithClient(
      <>
        <SoldOutToggle venueId={VENUE} kind="variant" id="v1" name="Half" available={true} />
        <SoldOutToggle venueId={VENUE} kind="add_on" id="a1" name="Extra cheese" available={true} />
      </>,
    );
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Half: sold out" }));
    await user.click(screen.getByRole("button", { name: "Extra cheese: sold out" }));
    const paths = calls.filter((c) => c.method === "PUT").map((c) => c.path);
    expect(paths).toEqual([`/api/v1/venues/${VENUE}/variants/v1/availability`, `/api/v1/venues/${VENUE}/add-ons/a1/availability`]);
  });

  it("stays as it was and says why when the change is refused", async () => {
    stubApi(() => json(403, { error: "venue_role_required", detail: "Your role at this venue does not allow this" }));
    renderWithClient(<SoldOutToggle venueId={VENUE} kind="item" id={ITEM} name="Bruschetta" available={true} />);
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Bruschetta: sold out" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Your role at this venue does not allow this");
    expect(screen.getByRole("button", { name: "Bruschetta: sold out" })).toHaveAttribute("aria-pressed", "false");
  });
});
