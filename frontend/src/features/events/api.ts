/** Server state of the Events screen: query keys and readers (typed client only). */
import { api, type Schemas, unwrap } from "../../api/client";

export type EventRead = Schemas["EventRead"];
export type OfferingRead = Schemas["OfferingRead"];
export type PoolRead = Schemas["PoolRead"];
export type StaffBookingRead = Schemas["StaffBookingRead"];
export type Attendance = Schemas["Attendance"];
export type OfferingKind = Schemas["OfferingKind"];

export const eventKeys = {
  list: (venueId: string, upcoming: boolean, offset: number, limit: number) =>
    ["events", venueId, "list", { upcoming, offset, limit }] as const,
  all: (venueId: string) => ["events", venueId] as const,
  one: (venueId: string, eventId: string) => ["events", venueId, "event", eventId] as const,
  offerings: (venueId: string, eventId: string) => ["events", venueId, "event", eventId, "offerings"] as const,
  pools: (venueId: string, eventId: string) => ["events", venueId, "event", eventId, "pools"] as const,
  bookings: (venueId: string, eventId: string, offset: number) =>
    ["events", venueId, "event", eventId, "bookings", offset] as const,
  attendance: (venueId: string, eventId: string) => ["events", venueId, "event", eventId, "attendance"] as const,
};

export function eventPath(venueId: string, eventId: string) {
  return { path: { venue_id: venueId, event_id: eventId } };
}

export const readEvent = (venueId: string, eventId: string) =>
  unwrap(api.GET("/api/v1/venues/{venue_id}/events/{event_id}", { params: eventPath(venueId, eventId) }));

export const readOfferings = (venueId: string, eventId: string) =>
  unwrap(api.GET("/api/v1/venues/{venue_id}/events/{event_id}/offerings", { params: eventPath(venueId, eventId) }));

export const readPools = (venueId: string, eventId: string) =>
  unwrap(api.GET("/api/v1/venues/{venue_id}/events/{event_id}/pools", { params: eventPath(venueId, eventId) }));

export const readAttendance = (venueId: string, eventId: string) =>
  unwrap(api.GET("/api/v1/venues/{venue_id}/events/{event_id}/attendance", { params: eventPath(venueId, eventId) }));

export const OFFERING_KINDS: { value: OfferingKind; label: string }[] = [
  { value: "stag", label: "Stag (one guest)" },
  { value: "couple", label: "Couple" },
  { value: "group", label: "Group" },
  { value: "table_package", label: "Table package" },
];
