/**
 * Open the printable QR sheet of every table in use. The sheet is the backend's HTML
 * page; a browser tab cannot send the bearer token, so the dashboard asks for a signed
 * link (valid a few minutes) and opens it. The tab is opened at the click (so no popup
 * blocker stops it) and sent to the link when it arrives.
 */
import { useState } from "react";

import { api, unwrap } from "../../api/client";
import { describeError } from "../../lib/errors";

/** The link on this dashboard's own origin (which serves /api), whatever host the API named. */
export function sameOrigin(url: string): string {
  const parsed = new URL(url, window.location.origin);
  return `${window.location.origin}${parsed.pathname}${parsed.search}`;
}

export function QrSheetButton({ venueId }: { venueId: string }) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [fallback, setFallback] = useState<string | null>(null);
  async function open() {
    setError(null);
    setFallback(null);
    const tab = window.open("about:blank", "_blank");
    setBusy(true);
    try {
      const link = await unwrap(api.POST("/api/v1/venues/{venue_id}/tables/sheet-link", { params: { path: { venue_id: venueId } } }));
      const url = sameOrigin(link.url);
      if (tab) {
        tab.opener = null;
        tab.location.href = url;
      } else {
        setFallback(url);
      }
    } catch (e) {
      tab?.close();
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return (
    <span className="stack">
      <button type="button" onClick={() => void open()} disabled={busy}>
        {busy ? "Opening…" : "Print QR sheet"}
      </button>
      {fallback && (
        <a href={fallback} target="_blank" rel="noreferrer noopener">
          Open the QR sheet
        </a>
      )}
      {error != null && (
        <span role="alert" className="field__error">
          {describeError(error).form}
        </span>
      )}
    </span>
  );
}
