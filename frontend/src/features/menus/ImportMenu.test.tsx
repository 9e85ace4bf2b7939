import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { json, renderWithClient, stubApi } from "../../test/api";
import { ImportMenu } from "./ImportMenu";

const VENUE = "11111111-1111-4111-8111-111111111111";

const FILE = {
  name: "Drinks",
  categories: [
    {
      name: "Beer",
      items: [{ name: "Lager", price_minor: 30000 }, { name: "IPA", price_minor: -5 }],
      subcategories: [{ name: "Craft", items: [{ price_minor: "x" }] }],
    },
  ],
};

function file(content: string, name = "drinks.json"): File {
  return new File([content], name, { type: "application/json" });
}

describe("the menu import", () => {
  it("lists every problem the API found at its path in the file, with the names on the way", async () => {
    const calls = stubApi(() =>
      json(422, {
        error: "invalid",
        detail: [
          { loc: ["body", "categories", 0, "items", 1, "price_minor"], msg: "Input should be greater than or equal to 0", type: "greater_than_equal" },
          { loc: ["body", "categories", 0, "subcategories", 0, "items", 0, "name"], msg: "Field required", type: "missing" },
          { loc: ["body", "categories", 0, "subcategories", 0, "items", 0, "price_minor"], msg: "Input should be a valid integer", type: "int_type" },
        ],
      }),
    );
    renderWithClient(<ImportMenu venueId={VENUE} onImported={vi.fn()} />);
    const user = userEvent.setup();
    await user.upload(screen.getByLabelText("Menu file (JSON)"), file(JSON.stringify(FILE)));
    await user.click(screen.getByRole("button", { name: "Import" }));

    const list = await screen.findByRole("list", { name: "Import problems" });
    const problems = within(list).getAllByRole("listitem").map((li) => li.textContent);
    expect(problems).toEqual([
      "categories[0] “Beer” › items[1] “IPA” › price_minor: Input should be greater than or equal to 0",
      "categories[0] “Beer” › subcategories[0] “Craft” › items[0] › name: Field required",
      "categories[0] “Beer” › subcategories[0] “Craft” › items[0] › price_minor: Input should be a valid integer",
    ]);
    expect(screen.getByRole("alert")).toHaveTextContent("drinks.json was not imported: 3 problems.");
    expect(calls[0]).toMatchObject({ method: "POST", path: `/api/v1/venues/${VENUE}/menus/import`, search: "?replace=false", body: FILE });
  });

  it("says a file is not JSON without sending it", async () => {
    const calls = stubApi(() => json(500, {}));
    renderWithClient(<ImportMenu venueId={VENUE} onImported={vi.fn()} />);
    const user = userEvent.setup();
    await user.upload(screen.getByLabelText("Menu file (JSON)"), file("{ name: Drinks", "broken.json"));
    await user.click(screen.getByRole("button", { name: "Import" }));
    expect(await screen.findByText(/broken.json is not valid JSON/)).toBeInTheDocument();
    expect(calls).toHaveLength(0);
  });

  it("offers to replace a menu of the same name, and reports what it imported", async () => {
    const calls = stubApi((call) =>
      call.search.includes("replace=true")
        ? json(201, {
            menu: { id: "m", venue_id: VENUE, name: "Drinks", description: null, display_order: 1, created_at: "", updated_at: "" },
            categories: 2,
            items: 3,
            variants: 0,
            add_on_groups: 0,
            add_ons: 0,
            tax_classes: 0,
            replaced: true,
          })
        : json(409, { error: "menu_name_taken", detail: "This venue already has a menu with this name" }),
    );
    const onImported = vi.fn();
    renderWithClient(<ImportMenu venueId={VENUE} onImported={onImported} />);
    const user = userEvent.setup();
    await user.upload(screen.getByLabelText("Menu file (JSON)"), file(JSON.stringify(FILE)));
    await user.click(screen.getByRole("button", { name: "Import" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Tick “Replace the menu of the same name”");
    await user.click(screen.getByLabelText("Replace the menu of the same name"));
    await user.click(screen.getByRole("button", { name: "Import" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Imported “Drinks” (replaced): 2 categories, 3 items");
    expect(onImported).toHaveBeenCalled();
    expect(calls.map((c) => c.search)).toEqual(["?replace=false", "?replace=true"]);
  });
});
