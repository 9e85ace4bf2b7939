/** A table's code as an image, fetched with the session (the image routes need the bearer token). */
import { api } from "../../api/client";
import { toApiError } from "../../lib/errors";

export type QrFormat = "png" | "svg";

export async function fetchQr(venueId: string, tableId: string, format: QrFormat, scale = 10): Promise<Blob> {
  const params = { path: { venue_id: venueId, table_id: tableId }, query: { scale } };
  const result =
    format === "png"
      ? await api.GET("/api/v1/venues/{venue_id}/tables/{table_id}/qr.png", { params, parseAs: "blob" })
      : await api.GET("/api/v1/venues/{venue_id}/tables/{table_id}/qr.svg", { params, parseAs: "blob" });
  if (!result.response.ok || !(result.data instanceof Blob)) throw toApiError(result.response.status, result.error);
  return result.data;
}

/** Save a blob as a file (an <a download> clicked). */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function qrFilename(label: string, format: QrFormat): string {
  const slug = label.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "") || "table";
  return `table-${slug}.${format}`;
}
