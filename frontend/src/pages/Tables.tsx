/** Tables: create and edit tables, their codes (sheet, PNG, SVG, new code), scans per day. */
import "../features/features.css";

import { useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "../api/client";
import { Pagination } from "../components/Pagination";
import { QrSheetButton } from "../features/tables/QrSheetButton";
import { ScanReport } from "../features/tables/ScanReport";
import { TableCard, tablesKey } from "../features/tables/TableCard";
import { TableForm } from "../features/tables/TableForm";
import { usePagination } from "../lib/pagination";
import { hasRole, useVenue } from "../venue/VenueContext";

export default function TablesPage() {
  const { venueId, venue, role } = useVenue();
  const canManage = hasRole(role, "manager");
  const { limit, offset, setOffset } = usePagination(20);
  const queryClient = useQueryClient();
  const tables = useQuery({
    queryKey: [...tablesKey(venueId), limit, offset],
    queryFn: () => unwrap(api.GET("/api/v1/venues/{venue_id}/tables", { params: { path: { venue_id: venueId }, query: { limit, offset } } })),
  });
  return (
    <section aria-labelledby="page-title" className="stack">
      <h1 id="page-title">Tables</h1>
      <div className="toolbar">
        <span className="muted">{venue.name}: each table's QR code opens its menu in the app.</span>
        <QrSheetButton venueId={venueId} />
      </div>
      {canManage && <TableForm venueId={venueId} onDone={() => void queryClient.invalidateQueries({ queryKey: tablesKey(venueId) })} />}
      {tables.isPending && <p role="status">Loading tables…</p>}
      {tables.isError && <p role="alert">The tables could not be loaded: {tables.error.message}</p>}
      {tables.data && (
        <>
          {tables.data.items.length === 0 && <p className="muted">No tables yet.</p>}
          <div className="cards">
            {tables.data.items.map((table) => (
              <TableCard key={table.id} venueId={venueId} table={table} canManage={canManage} />
            ))}
          </div>
          <Pagination total={tables.data.total} limit={tables.data.limit} offset={tables.data.offset} onChange={setOffset} label="Pages of tables" />
        </>
      )}
      {canManage && <ScanReport venueId={venueId} />}
    </section>
  );
}
