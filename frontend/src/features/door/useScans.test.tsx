import { act, renderHook, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { ScanResult } from "./outcomes";
import { readQueue } from "./queue";
import { useScans } from "./useScans";

const VENUE = "11111111-1111-4111-8111-111111111111";
const EVENT = "22222222-2222-4222-8222-222222222222";

function answer(nonce: string, outcome: ScanResult["outcome"] = "ok"): ScanResult {
  return {
    client_nonce: nonce,
    direction: "entry",
    outcome,
    replayed: false,
    ticket_id: "33333333-3333-4333-8333-333333333333",
    guests: 1,
    offering_name: "Stag entry",
    inside: true,
    scanned_at: "2026-12-03T14:05:00Z",
    recorded_at: "2026-12-03T14:06:00Z",
  };
}

afterEach(() => localStorage.clear());

describe("door scans without a connection", () => {
  it("keeps a scan that could not be sent and uploads it, with its nonce, when back online", async () => {
    const posted: { scans: { client_nonce: string; token: string; gate: string | null }[] }[] = [];
    let offline = true;
    vi.stubGlobal(
      "fetch",
      vi.fn(async (request: Request) => {
        if (offline) throw new TypeError("Failed to fetch");
        const body = (await request.json()) as (typeof posted)[number];
        posted.push(body);
        return new Response(JSON.stringify({ results: body.scans.map((s) => answer(s.client_nonce)) }), {
          status: 200,
          headers: { "Content-Type": "application/json" },
        });
      }),
    );
    const { result } = renderHook(() => useScans({ venueId: VENUE, eventId: EVENT }));

    await act(() => result.current.scan("https://socia.app/t/TICKET", "entry", "VIP"));
    expect(result.current.answer).toEqual({ kind: "queued", waiting: 1 });
    expect(result.current.waiting).toBe(1);
    const [queued] = readQueue();
    expect(queued?.scan).toMatchObject({ token: "https://socia.app/t/TICKET", gate: "VIP", direction: "entry" });
    const nonce = queued?.scan.client_nonce;
    expect(nonce).toBeTruthy();

    offline = false;
    act(() => {
      window.dispatchEvent(new Event("online"));
    });
    await waitFor(() => expect(result.current.waiting).toBe(0));
    expect(posted).toHaveLength(1);
    expect(posted[0]?.scans[0]?.client_nonce).toBe(nonce);
    expect(result.current.late.map((l) => l.result.outcome)).toEqual(["ok"]);
    expect(readQueue()).toEqual([]);
  });

  it("shows a refused scan's answer at once when online", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async (request: Request) => {
        const body = (await request.json()) as { scans: { client_nonce: string }[] };
        return new Response(JSON.stringify({ results: [answer(body.scans[0]?.client_nonce ?? "", "already_inside")] }), {
          status: 200,
          headers: { "Content-Type": "application/json" },
        });
      }),
    );
    const { result } = renderHook(() => useScans({ venueId: VENUE, eventId: EVENT }));
    await act(() => result.current.scan("TICKET", "entry", "Main"));
    expect(result.current.answer).toMatchObject({ kind: "result", result: { outcome: "already_inside" } });
    expect(result.current.waiting).toBe(0);
  });
});
