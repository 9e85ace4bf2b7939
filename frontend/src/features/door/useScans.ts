/**
 * Posting door scans: one at a time as they happen, or, without a connection, into the
 * queue (localStorage) that uploads by itself when the device is back online (and every
 * 15 seconds while anything waits). The API dedupes by client nonce.
 */
import { useCallback, useEffect, useRef, useState } from "react";

import { api, unwrap } from "../../api/client";
import { ApiError } from "../../lib/errors";
import { newKey } from "../../lib/idempotency";
import type { DoorAnswer } from "./DoorResult";
import type { ScanResult } from "./outcomes";
import { type QueuedScan, batches, dequeue, enqueue, readQueue } from "./queue";

const RETRY_MS = 15_000;

export interface LateResult {
  result: ScanResult;
  token: string;
}

async function post(venueId: string, eventId: string, scans: QueuedScan["scan"][]): Promise<ScanResult[]> {
  const answer = await unwrap(
    api.POST("/api/v1/venues/{venue_id}/events/{event_id}/scans", {
      params: { path: { venue_id: venueId, event_id: eventId } },
      body: { scans },
    }),
  );
  return answer.results;
}

/** No answer, or one that may change on a retry (5xx): keep the scan for later. */
function worthKeeping(error: unknown): boolean {
  return !(error instanceof ApiError) || error.status === 0 || error.status >= 500;
}

/** A phone in a pocket-loud club: one short buzz to let in, a long double one to stop. */
function buzz(pattern: number[]): void {
  try {
    if (typeof navigator !== "undefined" && typeof navigator.vibrate === "function") navigator.vibrate(pattern);
  } catch {
    // no vibration: the screen says it
  }
}

function online(): boolean {
  return typeof navigator === "undefined" || navigator.onLine !== false;
}

export function useScans({ venueId, eventId, onScanned }: { venueId: string; eventId: string; onScanned?: () => void }) {
  const [answer, setAnswer] = useState<DoorAnswer | null>(null);
  const [waiting, setWaiting] = useState(() => readQueue().length);
  const [late, setLate] = useState<LateResult[]>([]);
  const uploading = useRef(false);
  const scanned = useRef(onScanned);
  scanned.current = onScanned;

  const upload = useCallback(async () => {
    if (uploading.current || !online()) return;
    uploading.current = true;
    try {
      for (const batch of batches(readQueue())) {
        const first = batch[0];
        if (!first) continue;
        let results: ScanResult[];
        try {
          results = await post(first.venueId, first.eventId, batch.map((q) => q.scan));
        } catch (error) {
          if (worthKeeping(error)) break; // still offline: try again later
          // Refused as a whole (a 4xx): these scans will never go through as they are.
          setWaiting(dequeue(batch.map((q) => q.scan.client_nonce)));
          continue;
        }
        setWaiting(dequeue(results.map((r) => r.client_nonce)));
        const tokens = new Map(batch.map((q) => [q.scan.client_nonce, q.scan.token]));
        setLate((prev) => [...results.map((r) => ({ result: r, token: tokens.get(r.client_nonce) ?? "" })), ...prev].slice(0, 50));
        scanned.current?.();
      }
    } finally {
      uploading.current = false;
    }
  }, []);

  useEffect(() => {
    void upload();
    const onOnline = () => void upload();
    window.addEventListener("online", onOnline);
    const timer = setInterval(() => {
      if (readQueue().length > 0) void upload();
    }, RETRY_MS);
    return () => {
      window.removeEventListener("online", onOnline);
      clearInterval(timer);
    };
  }, [upload]);

  const scan = useCallback(
    async (token: string, direction: "entry" | "exit", gate: string) => {
      const item: QueuedScan = {
        venueId,
        eventId,
        scan: {
          token: token.trim(),
          direction,
          gate: gate.trim() || null,
          client_nonce: newKey(),
          scanned_at: new Date().toISOString(),
        },
      };
      if (!online()) {
        setWaiting(enqueue(item));
        setAnswer({ kind: "queued", waiting: readQueue().length });
        return;
      }
      setAnswer({ kind: "checking" });
      try {
        const [result] = await post(venueId, eventId, [item.scan]);
        setAnswer(result ? { kind: "result", result } : { kind: "error", message: "The server gave no answer" });
        if (result) buzz(result.outcome === "ok" ? [80] : [200, 80, 200]);
        scanned.current?.();
      } catch (error) {
        if (worthKeeping(error)) {
          const count = enqueue(item);
          setWaiting(count);
          setAnswer({ kind: "queued", waiting: count });
        } else {
          setAnswer({ kind: "error", message: error instanceof Error ? error.message : String(error) });
        }
      }
    },
    [venueId, eventId],
  );

  return { answer, scan, waiting, late, upload };
}
