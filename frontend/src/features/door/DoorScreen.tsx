/** The door: pick the event and gate, scan or type codes, see the answer and who is inside. */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useRef, useState } from "react";

import { api, unwrap } from "../../api/client";
import { Field } from "../../components/Field";
import { formatTime } from "../../lib/time";
import { LoadError, Loading } from "../common/Status";
import { CameraScanner } from "./CameraScanner";
import { DoorResult } from "./DoorResult";
import { verdictOf } from "./outcomes";
import { useScans } from "./useScans";

const GATE_KEY = "socia.door.gate";

function savedGate(): string {
  try {
    return localStorage.getItem(GATE_KEY) ?? "Main";
  } catch {
    return "Main";
  }
}

export function DoorScreen({ venueId, eventId }: { venueId: string; eventId: string }) {
  const queryClient = useQueryClient();
  const [direction, setDirection] = useState<"entry" | "exit">("entry");
  const [gate, setGate] = useState(savedGate);
  const codeInput = useRef<HTMLInputElement>(null);
  const attendanceKey = ["door", venueId, eventId, "attendance"];
  const attendance = useQuery({
    queryKey: attendanceKey,
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/venues/{venue_id}/events/{event_id}/attendance", {
          params: { path: { venue_id: venueId, event_id: eventId } },
        }),
      ),
    refetchInterval: 5000,
  });
  const { answer, scan, waiting, late, upload } = useScans({
    venueId,
    eventId,
    onScanned: () => void queryClient.invalidateQueries({ queryKey: attendanceKey }),
  });

  useEffect(() => {
    try {
      localStorage.setItem(GATE_KEY, gate);
    } catch {
      // private mode: the gate is remembered for this page only
    }
  }, [gate]);

  function onTyped(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const input = codeInput.current;
    const code = input?.value.trim() ?? "";
    if (!code) return;
    void scan(code, direction, gate);
    if (input) {
      input.value = "";
      input.focus();
    }
  }

  return (
    <div className="door stack">
      <DoorResult answer={answer} />
      <p className="door-inside" aria-live="polite">
        {attendance.data ? (
          <>
            <strong>{attendance.data.guests_inside}</strong> {attendance.data.guests_inside === 1 ? "guest" : "guests"} inside now · {attendance.data.guests_checked_in} checked
            in of {attendance.data.guests_sold} sold
          </>
        ) : attendance.isError ? (
          "Guests inside: not known while offline"
        ) : (
          "Counting guests inside…"
        )}
      </p>
      {waiting > 0 && (
        <p className="notice" role="status">
          {waiting} {waiting === 1 ? "scan" : "scans"} saved offline, uploading when the connection is back.{" "}
          <button type="button" className="button--quiet" onClick={() => void upload()}>
            Upload now
          </button>
        </p>
      )}
      <div className="door-toggle" role="group" aria-label="Direction">
        <button type="button" aria-pressed={direction === "entry"} onClick={() => setDirection("entry")}>
          Coming in
        </button>
        <button type="button" aria-pressed={direction === "exit"} onClick={() => setDirection("exit")}>
          Going out
        </button>
      </div>
      <CameraScanner onCode={(code) => void scan(code, direction, gate)} />
      <form onSubmit={onTyped} className="stack" aria-label="Enter a code by hand">
        <div className="field">
          <label htmlFor="door-code">Ticket code</label>
          <input
            id="door-code"
            ref={codeInput}
            name="code"
            autoComplete="off"
            autoCapitalize="off"
            spellCheck={false}
            enterKeyHint="go"
            aria-describedby="door-code-hint"
          />
          <p id="door-code-hint" className="field__hint">
            The code printed under the QR, or its link. A handheld scanner types here too.
          </p>
        </div>
        <button type="submit">Check the code</button>
      </form>
      <Field label="Gate" name="gate" value={gate} onChange={(e) => setGate(e.target.value)} maxLength={50} hint="Which door this device is at" />
      {late.length > 0 && (
        <section aria-labelledby="late-title">
          <h2 id="late-title">Checked after coming back online</h2>
          <ul className="cards">
            {late.map(({ result }) => {
              const v = verdictOf(result);
              return (
                <li key={result.client_nonce} className={`card door-late door-late--${v.tone}`}>
                  <strong>{v.headline}</strong> · {v.detail ?? "—"} · scanned {formatTime(result.scanned_at)}
                </li>
              );
            })}
          </ul>
        </section>
      )}
    </div>
  );
}

/** The events whose door may open: the venue's events not over yet, soonest first. */
export function DoorEventPicker({
  venueId,
  eventId,
  onChange,
}: {
  venueId: string;
  eventId: string | null;
  onChange: (eventId: string) => void;
}) {
  const events = useQuery({
    queryKey: ["door", venueId, "events"],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/venues/{venue_id}/events", {
          params: { path: { venue_id: venueId }, query: { upcoming: true, status: "scheduled", limit: 50 } },
        }),
      ),
  });
  // The night whose door is open now (from an hour before its start), else the next one.
  const now = Date.now();
  const first =
    events.data?.items.find((e) => new Date(e.starts_at).getTime() - 3600_000 <= now && now < new Date(e.ends_at).getTime())?.id ??
    events.data?.items[0]?.id;
  useEffect(() => {
    if (!eventId && first) onChange(first);
  }, [eventId, first, onChange]);
  if (events.isPending) return <Loading>Loading tonight's events…</Loading>;
  if (events.isError) return <LoadError error={events.error} what="The events" />;
  if (events.data.items.length === 0) return <p className="muted">No event ahead: nothing to check in.</p>;
  return (
    <div className="field">
      <label htmlFor="door-event">Event</label>
      <select id="door-event" value={eventId ?? ""} onChange={(e) => onChange(e.target.value)}>
        {events.data.items.map((e) => (
          <option key={e.id} value={e.id}>
            {e.title} ({new Date(e.starts_at).toLocaleString("en-IN", { weekday: "short", hour: "numeric", minute: "2-digit" })})
          </option>
        ))}
      </select>
    </div>
  );
}
