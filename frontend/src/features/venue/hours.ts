/** Opening hours as the form edits them, and their checks (the API's rules, said early). */
import type { Schemas } from "../../api/client";

export type OpeningHours = Schemas["OpeningHours"];

export const WEEKDAYS = [
  "monday",
  "tuesday",
  "wednesday",
  "thursday",
  "friday",
  "saturday",
  "sunday",
] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export const WEEKDAY_LABEL: Record<Weekday, string> = {
  monday: "Monday",
  tuesday: "Tuesday",
  wednesday: "Wednesday",
  thursday: "Thursday",
  friday: "Friday",
  saturday: "Saturday",
  sunday: "Sunday",
};

export interface HoursRow {
  key: string;
  weekday: Weekday;
  opens: string;
  closes: string;
}

let nextKey = 0;
export function newRowKey(): string {
  nextKey += 1;
  return `h${nextKey}`;
}

export function weekdayName(value: OpeningHours["weekday"]): Weekday {
  return typeof value === "number" ? (WEEKDAYS[value] ?? "monday") : value;
}

export function toRows(hours: readonly OpeningHours[]): HoursRow[] {
  return hours.map((h) => ({ key: newRowKey(), weekday: weekdayName(h.weekday), opens: h.opens, closes: h.closes }));
}

function minutes(hhmm: string): number {
  const [h = "0", m = "0"] = hhmm.split(":");
  return Number(h) * 60 + Number(m);
}

/** How an interval reads: "closes next day at 02:00", "24 hours", "". */
export function describeInterval(opens: string, closes: string): string {
  if (!/^\d\d:\d\d$/.test(opens) || !/^\d\d:\d\d$/.test(closes)) return "";
  if (opens === closes) return "Open 24 hours";
  return minutes(closes) < minutes(opens) ? `Closes the next day at ${closes}` : "";
}

/** Hours of a weekday in the venue's order (Monday first), for the API. */
export function toApi(rows: readonly HoursRow[]): OpeningHours[] {
  return rows.map(({ weekday, opens, closes }) => ({ weekday, opens, closes }));
}
