/**
 * The answer to the last scan, big and high-contrast, announced to screen readers at
 * once (`aria-live="assertive"`): let in / let out, or why not, with the guests on the
 * pass. A scan saved while offline says so (it is checked when the device is back).
 */
import { type ScanResult, type Verdict, verdictOf } from "./outcomes";

export type DoorAnswer =
  | { kind: "result"; result: ScanResult }
  | { kind: "queued"; waiting: number }
  | { kind: "error"; message: string }
  | { kind: "checking" };

function verdictFor(answer: DoorAnswer | null): Verdict {
  if (answer === null) {
    return { tone: "idle", headline: "Ready to scan", detail: "Point the camera at a ticket, or type its code.", note: null };
  }
  switch (answer.kind) {
    case "result":
      return verdictOf(answer.result);
    case "queued":
      return {
        tone: "queued",
        headline: "Saved offline",
        detail: "No connection: the scan is kept and checked when the device is back online.",
        note: `${answer.waiting} ${answer.waiting === 1 ? "scan" : "scans"} waiting to upload. Check the pass by eye meanwhile.`,
      };
    case "error":
      return { tone: "warn", headline: "Could not check", detail: answer.message, note: null };
    case "checking":
      return { tone: "idle", headline: "Checking…", detail: null, note: null };
  }
}

export function DoorResult({ answer }: { answer: DoorAnswer | null }) {
  const verdict = verdictFor(answer);
  return (
    <div
      className={`door-result door-result--${verdict.tone}`}
      role="status"
      aria-live="assertive"
      aria-atomic="true"
      data-tone={verdict.tone}
    >
      <p className="door-result__headline">{verdict.headline}</p>
      {verdict.detail && <p className="door-result__detail">{verdict.detail}</p>}
      {verdict.note && <p className="door-result__note">{verdict.note}</p>}
    </div>
  );
}
