/** One table: its code (thumbnail, PNG and SVG downloads), rotate the code, edit, delete. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";

import { api, type Schemas, unwrap } from "../../api/client";
import { describeError } from "../../lib/errors";
import { fetchQr, type QrFormat, qrFilename, saveBlob } from "./qr";
import { TableForm } from "./TableForm";

type Table = Schemas["TableRead"];

export const tablesKey = (venueId: string) => ["tables", venueId] as const;

function QrThumb({ venueId, table }: { venueId: string; table: Table }) {
  const qr = useQuery({
    queryKey: ["table-qr", table.id, table.token_version],
    queryFn: () => fetchQr(venueId, table.id, "png", 4),
    enabled: table.is_active,
    staleTime: Infinity,
  });
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!qr.data) return undefined;
    const next = URL.createObjectURL(qr.data);
    setUrl(next);
    return () => URL.revokeObjectURL(next);
  }, [qr.data]);
  if (!table.is_active) return <div className="qr-thumb qr-thumb--off" aria-hidden="true" />;
  return url ? <img className="qr-thumb" src={url} alt={`QR code of table ${table.label}`} /> : <div className="qr-thumb" role="status" aria-label="Loading the code" />;
}

export function TableCard({ venueId, table, canManage }: { venueId: string; table: Table; canManage: boolean }) {
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: tablesKey(venueId) });
  const path = { venue_id: venueId, table_id: table.id };
  const download = useMutation({
    mutationFn: async (format: QrFormat) => saveBlob(await fetchQr(venueId, table.id, format, 16), qrFilename(table.label, format)),
  });
  const rotate = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/venues/{venue_id}/tables/{table_id}/rotate-token", { params: { path } })),
    onSuccess: () => void refresh(),
  });
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/v1/venues/{venue_id}/tables/{table_id}", { params: { path } })),
    onSuccess: () => void refresh(),
  });
  const error = download.error ?? rotate.error ?? remove.error;
  return (
    <article className="card table-card stack" aria-labelledby={`table-${table.id}`}>
      <div className="toolbar">
        <QrThumb venueId={venueId} table={table} />
        <div>
          <h3 id={`table-${table.id}`}>Table {table.label}</h3>
          <p className="muted">
            {table.seats} seats{table.area ? ` · ${table.area}` : ""}
          </p>
          <p>
            <span className={`badge ${table.is_active ? "badge--ok" : "badge--off"}`}>{table.is_active ? "In use" : "Out of use"}</span>{" "}
            <span className="muted">code #{table.token_version}</span>
          </p>
        </div>
      </div>
      {error != null && (
        <p role="alert" className="field__error">
          {describeError(error).form}
        </p>
      )}
      {rotate.isSuccess && (
        <p role="status" className="ok">
          New code issued: print it again; the old one no longer works.
        </p>
      )}
      {table.is_active && (
        <div className="toolbar">
          <button type="button" className="button--quiet button--small" onClick={() => download.mutate("png")} disabled={download.isPending} aria-label={`Download the code of table ${table.label} as PNG`}>
            PNG
          </button>
          <button type="button" className="button--quiet button--small" onClick={() => download.mutate("svg")} disabled={download.isPending} aria-label={`Download the code of table ${table.label} as SVG`}>
            SVG
          </button>
          {canManage && (
            <button
              type="button"
              className="button--quiet button--small"
              disabled={rotate.isPending}
              onClick={() => {
                if (window.confirm(`Issue a new code for table ${table.label}? Every code printed before stops working.`)) rotate.mutate();
              }}
            >
              {rotate.isPending ? "Rotating…" : "New code"}
            </button>
          )}
        </div>
      )}
      {canManage && (
        <div className="toolbar">
          <button type="button" className="button--quiet button--small" onClick={() => setEditing((e) => !e)} aria-expanded={editing} aria-label={`Edit table ${table.label}`}>
            Edit
          </button>
          <button
            type="button"
            className="button--quiet button--small"
            disabled={remove.isPending}
            aria-label={`Delete table ${table.label}`}
            onClick={() => {
              if (window.confirm(`Delete table ${table.label}?`)) remove.mutate();
            }}
          >
            Delete
          </button>
        </div>
      )}
      {editing && (
        <TableForm
          venueId={venueId}
          table={table}
          onDone={() => {
            setEditing(false);
            void refresh();
          }}
          onCancel={() => setEditing(false)}
        />
      )}
    </article>
  );
}
