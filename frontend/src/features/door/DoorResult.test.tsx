import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { DoorResult } from "./DoorResult";
import type { ScanResult } from "./outcomes";

function result(overrides: Partial<ScanResult>): ScanResult {
  return {
    client_nonce: "door-1",
    direction: "entry",
    outcome: "ok",
    replayed: false,
    ticket_id: "7f0c8f3e-0000-4000-8000-000000000001",
    guests: 2,
    offering_name: "Couple entry",
    inside: true,
    scanned_at: "2026-12-03T14:05:00Z",
    recorded_at: "2026-12-03T14:05:01Z",
    ...overrides,
  };
}

describe("the door's result panel", () => {
  it("says to let the pass in, with its guests, in a live region", () => {
    render(<DoorResult answer={{ kind: "result", result: result({}) }} />);
    const panel = screen.getByRole("status");
    expect(panel).toHaveAttribute("aria-live", "assertive");
    expect(panel).toHaveAttribute("data-tone", "ok");
    expect(panel).toHaveTextContent("Let in");
    expect(panel).toHaveTextContent("2 guests on the pass · Couple entry");
  });

  it.each([
    ["already_inside", "Already inside", "stop"],
    ["void", "Refunded / void", "stop"],
    ["wrong_event", "Wrong event", "stop"],
    ["not_open_yet", "Not open yet", "warn"],
    ["no_reentry", "No re-entry", "stop"],
    ["unknown", "Not a ticket", "stop"],
  ] as const)("refuses %s as “%s”", (outcome, headline, tone) => {
    render(<DoorResult answer={{ kind: "result", result: result({ outcome, inside: outcome === "already_inside" }) }} />);
    const panel = screen.getByRole("status");
    expect(panel).toHaveTextContent(headline);
    expect(panel).toHaveAttribute("data-tone", tone);
    expect(panel).not.toHaveTextContent("Let in");
  });

  it("says an exit is let out", () => {
    render(<DoorResult answer={{ kind: "result", result: result({ direction: "exit", inside: false }) }} />);
    expect(screen.getByRole("status")).toHaveTextContent("Let out");
  });

  it("says when a scan was answered from the record (uploaded twice)", () => {
    render(<DoorResult answer={{ kind: "result", result: result({ outcome: "already_inside", replayed: true }) }} />);
    expect(screen.getByRole("status")).toHaveTextContent("Scanned before from this device");
  });

  it("says a scan was saved offline and how many wait", () => {
    render(<DoorResult answer={{ kind: "queued", waiting: 3 }} />);
    const panel = screen.getByRole("status");
    expect(panel).toHaveTextContent("Saved offline");
    expect(panel).toHaveTextContent("3 scans waiting to upload");
  });

  it("is ready before the first scan", () => {
    render(<DoorResult answer={null} />);
    expect(screen.getByRole("status")).toHaveTextContent("Ready to scan");
  });
});
