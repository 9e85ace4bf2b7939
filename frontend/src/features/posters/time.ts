/** `datetime-local` inputs (the browser's local time) to and from the API's ISO times. */

const pad = (n: number) => String(n).padStart(2, "0");

/** ISO -> "2026-12-05T20:00" in local time. */
export function isoToLocalInput(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "2026-12-05T20:00" (local) -> ISO with a zone; "" -> null; unreadable -> undefined. */
export function localInputToIso(value: string): string | null | undefined {
  if (value.trim() === "") return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export function formatWhen(iso: string): string {
  return new Date(iso).toLocaleString("en-IN", { dateStyle: "medium", timeStyle: "short" });
}
