import { afterEach, describe, expect, it } from "vitest";

import { batches, dequeue, enqueue, readQueue } from "./queue";

function scan(nonce: string, eventId = "e1") {
  return {
    venueId: "v1",
    eventId,
    scan: { token: `t-${nonce}`, direction: "entry" as const, gate: "Main", client_nonce: nonce, scanned_at: "2026-12-03T14:05:00Z" },
  };
}

afterEach(() => localStorage.clear());

describe("the offline queue of door scans", () => {
  it("keeps scans across reloads, once per nonce, and forgets the uploaded ones", () => {
    enqueue(scan("a"));
    enqueue(scan("a"));
    expect(enqueue(scan("b"))).toBe(2);
    expect(readQueue().map((q) => q.scan.client_nonce)).toEqual(["a", "b"]);
    expect(dequeue(["a"])).toBe(1);
    expect(readQueue().map((q) => q.scan.client_nonce)).toEqual(["b"]);
  });

  it("uploads in batches of one event, at most 200 scans each", () => {
    const queue = [...Array.from({ length: 201 }, (_, i) => scan(`n${i}`)), scan("x", "e2")];
    const out = batches(queue);
    expect(out.map((b) => b.length)).toEqual([200, 1, 1]);
    expect(out[2]?.[0]?.eventId).toBe("e2");
  });
});
