/** What the door needs to know, in words a doorman reads at a glance, for each outcome. */
import type { Schemas } from "../../api/client";

export type ScanResult = Schemas["ScanResult"];
export type ScanOutcome = Schemas["ScanOutcome"];
export type Tone = "ok" | "stop" | "warn" | "queued" | "idle";

export interface Verdict {
  tone: Tone;
  headline: string;
  detail: string | null;
  note: string | null;
}

const REFUSED: Record<Exclude<ScanOutcome, "ok">, { tone: Tone; headline: string; why: string }> = {
  already_inside: { tone: "stop", headline: "Already inside", why: "This pass is inside now. Do not let it in again." },
  not_inside: { tone: "warn", headline: "Not inside", why: "This pass was not checked in, so it cannot go out." },
  no_reentry: { tone: "stop", headline: "No re-entry", why: "This pass went out once and does not allow coming back." },
  void: { tone: "stop", headline: "Refunded / void", why: "The booking was cancelled or refunded. The pass is not valid." },
  wrong_event: { tone: "stop", headline: "Wrong event", why: "This ticket is for another event." },
  not_open_yet: { tone: "warn", headline: "Not open yet", why: "The door is not open for this event yet." },
  event_over: { tone: "stop", headline: "Event over", why: "This event has ended." },
  event_cancelled: { tone: "stop", headline: "Event cancelled", why: "This event was cancelled." },
  unknown: { tone: "stop", headline: "Not a ticket", why: "This is not one of our ticket codes." },
};

function guests(n: number | null | undefined): string | null {
  if (n == null) return null;
  return `${n} ${n === 1 ? "guest" : "guests"} on the pass`;
}

export function verdictOf(result: ScanResult): Verdict {
  const onPass = [guests(result.guests), result.offering_name].filter(Boolean).join(" · ") || null;
  const replayed = result.replayed ? "Scanned before from this device: this is the answer it got then." : null;
  if (result.outcome === "ok") {
    return {
      tone: "ok",
      headline: result.direction === "entry" ? "Let in" : "Let out",
      detail: onPass,
      note: replayed,
    };
  }
  const refused = REFUSED[result.outcome];
  return {
    tone: refused.tone,
    headline: refused.headline,
    detail: onPass,
    note: [refused.why, replayed].filter(Boolean).join(" "),
  };
}
