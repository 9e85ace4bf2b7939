/** Orders: the live board, and the tables with their bills (both follow the live stream). */
import "../features/dashboard.css";

import { useSearchParams } from "react-router";

import { OrderBoard } from "../features/orders/OrderBoard";
import { TableSessions } from "../features/orders/TableSessions";
import { useVenue } from "../venue/VenueContext";

export default function OrdersPage() {
  const { venueId, venue } = useVenue();
  const [search, setSearch] = useSearchParams();
  const tab = search.get("tab") === "tables" ? "tables" : "board";
  const choose = (next: "board" | "tables") =>
    setSearch((current) => {
      const copy = new URLSearchParams(current);
      if (next === "board") copy.delete("tab");
      else copy.set("tab", next);
      return copy;
    });
  return (
    <section aria-labelledby="page-title" className="stack">
      <h1 id="page-title">Orders at {venue.name}</h1>
      <div className="tabs" role="tablist" aria-label="Orders">
        <button type="button" role="tab" id="tab-board" aria-selected={tab === "board"} aria-controls="panel-orders" onClick={() => choose("board")}>
          Live board
        </button>
        <button type="button" role="tab" id="tab-tables" aria-selected={tab === "tables"} aria-controls="panel-orders" onClick={() => choose("tables")}>
          Tables and bills
        </button>
      </div>
      <div id="panel-orders" role="tabpanel" aria-labelledby={tab === "board" ? "tab-board" : "tab-tables"}>
        {/* The board stays mounted (and connected) while the tables are shown. */}
        <div hidden={tab !== "board"}>
          <OrderBoard venueId={venueId} venueKind={venue.kind} />
        </div>
        {tab === "tables" && <TableSessions venueId={venueId} />}
      </div>
    </section>
  );
}
