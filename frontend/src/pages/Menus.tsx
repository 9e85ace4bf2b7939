/** Menus: the tree of menus, categories and items; sold out in one tap; bulk import. */
import "../features/features.css";

import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { api, unwrap } from "../api/client";
import { ImportMenu } from "../features/menus/ImportMenu";
import { MenuTree } from "../features/menus/MenuTree";
import { refreshMenu, useTaxClasses, useWholeMenu } from "../features/menus/queries";
import { as, SmallForm } from "../features/menus/SmallForm";
import type { Schemas } from "../api/client";
import { hasRole, useVenue } from "../venue/VenueContext";

export default function MenusPage() {
  const { venueId, venue, role } = useVenue();
  const canManage = hasRole(role, "manager");
  const menu = useWholeMenu(venueId);
  const taxClasses = useTaxClasses(venueId);
  const queryClient = useQueryClient();
  const [panel, setPanel] = useState<null | "new" | "import">(null);

  return (
    <section aria-labelledby="page-title" className="stack">
      <h1 id="page-title">Menus</h1>
      <p className="muted">
        {venue.name}.{" "}
        {canManage
          ? "Drag a row onto another to reorder it (or use ↑ ↓); tap Available / Sold out to switch."
          : "Tap Available / Sold out to switch an item; managers change the menu."}
      </p>
      {canManage && (
        <div className="toolbar">
          <button type="button" onClick={() => setPanel(panel === "new" ? null : "new")} aria-expanded={panel === "new"}>
            New menu
          </button>
          <button type="button" className="button--quiet" onClick={() => setPanel(panel === "import" ? null : "import")} aria-expanded={panel === "import"}>
            Import from a file
          </button>
        </div>
      )}
      {panel === "new" && (
        <SmallForm
          label="New menu"
          fields={[
            { name: "name", label: "Menu name", kind: "text", required: true, hint: "e.g. Food, Drinks" },
            { name: "description", label: "Description", kind: "textarea" },
          ]}
          submitLabel="Add menu"
          submit={(body) =>
            unwrap(api.POST("/api/v1/venues/{venue_id}/menus", { params: { path: { venue_id: venueId } }, body: as<Schemas["MenuCreate"]>(body) }))
          }
          onDone={() => {
            setPanel(null);
            void refreshMenu(queryClient, venueId);
          }}
          onCancel={() => setPanel(null)}
        />
      )}
      {panel === "import" && <ImportMenu venueId={venueId} onImported={() => void refreshMenu(queryClient, venueId)} />}
      {menu.isPending && (
        <p className="page-status" role="status">
          Loading the menu…
        </p>
      )}
      {menu.isError && (
        <p className="page-status" role="alert">
          The menu could not be loaded: {menu.error.message}
        </p>
      )}
      {menu.data && <MenuTree menus={menu.data.menus} ctx={{ venueId, canManage, taxClasses: taxClasses.data ?? [] }} />}
    </section>
  );
}
