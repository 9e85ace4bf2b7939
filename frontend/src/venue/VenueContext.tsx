/**
 * The venue being worked on. Screens live under /venues/:venueId/...; `useVenue()`
 * gives that venue (a `VenueBrief`), the caller's role there and every venue they
 * belong to (for the switcher). `useMyVenues()` is the list alone (any page).
 */
import { useQuery } from "@tanstack/react-query";
import { createContext, type ReactNode, useContext, useMemo } from "react";
import { useParams } from "react-router";

import { api, unwrap } from "../api/client";
import type { Schemas } from "../api/client";

export type MyVenue = Schemas["MyVenue"];
export type VenueBrief = Schemas["VenueBrief"];
export type VenueRole = Schemas["VenueRole"];

const RANK: Record<VenueRole, number> = { staff: 1, manager: 2, owner: 3 };

/** Whether `role` includes `atLeast` (owner > manager > staff). */
export function hasRole(role: VenueRole, atLeast: VenueRole): boolean {
  return RANK[role] >= RANK[atLeast];
}

export const MY_VENUES_KEY = ["venues", "mine"] as const;

async function fetchMyVenues(): Promise<MyVenue[]> {
  const all: MyVenue[] = [];
  for (let offset = 0; ; offset += 100) {
    const page = await unwrap(
      api.GET("/api/v1/venues/mine", { params: { query: { limit: 100, offset } } }),
    );
    all.push(...page.items);
    if (all.length >= page.total || page.items.length === 0) return all;
  }
}

/** Every venue the signed-in user belongs to, with their role (all pages). */
export function useMyVenues() {
  return useQuery({ queryKey: MY_VENUES_KEY, queryFn: fetchMyVenues });
}

export interface VenueContextValue {
  venueId: string;
  venue: VenueBrief;
  role: VenueRole;
  venues: MyVenue[];
}

const VenueContext = createContext<VenueContextValue | null>(null);

/** Provides `useVenue()` for the :venueId of the route; 404 text for a foreign venue. */
export function VenueProvider({ children }: { children: ReactNode }) {
  const { venueId = "" } = useParams();
  const venues = useMyVenues();
  const membership = venues.data?.find((m) => m.venue.id === venueId);
  const value = useMemo<VenueContextValue | null>(
    () =>
      membership && venues.data
        ? { venueId, venue: membership.venue, role: membership.role, venues: venues.data }
        : null,
    [membership, venueId, venues.data],
  );
  if (venues.isPending) {
    return (
      <p className="page-status" role="status">
        Loading your venues…
      </p>
    );
  }
  if (venues.isError) {
    return (
      <p className="page-status" role="alert">
        Your venues could not be loaded: {venues.error.message}
      </p>
    );
  }
  if (!value) {
    return (
      <p className="page-status" role="alert">
        This venue does not exist or you are not one of its team.
      </p>
    );
  }
  return <VenueContext.Provider value={value}>{children}</VenueContext.Provider>;
}

export function useVenue(): VenueContextValue {
  const value = useContext(VenueContext);
  if (!value) throw new Error("useVenue() outside a /venues/:venueId route");
  return value;
}
