/**
 * The poster's covering, computed as the backend computes it (backend/app/core/geo_index.py):
 * the resolution is the finest at which radius <= RADIUS_TO_EDGE x the average hexagon
 * edge; the cells are every cell at that resolution whose centre lies within
 * radius + its circumradius (+1 m) of the centre, walked breadth-first from the centre's
 * cell. Distances are haversine on the mean Earth radius (backend/app/core/geo.py).
 */
import { cellToBoundary, cellToLatLng, getHexagonEdgeLengthAvg, gridDisk, latLngToCell, UNITS } from "h3-js";

export const EARTH_RADIUS_M = 6_371_008.8;
export const RADIUS_TO_EDGE = 3.0;
export const SLACK_M = 1.0;
export const FINEST_RESOLUTION = 13;
export const MIN_RADIUS_M = 100;
export const MAX_RADIUS_M = 50_000;

const rad = (deg: number) => (deg * Math.PI) / 180;

export function haversineM(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const p1 = rad(lat1);
  const p2 = rad(lat2);
  const dp = p2 - p1;
  const dl = rad(lng2 - lng1);
  const a = Math.sin(dp / 2) ** 2 + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

export function resolutionForRadius(radiusM: number): number {
  for (let res = FINEST_RESOLUTION; res >= 0; res -= 1) {
    if (radiusM <= RADIUS_TO_EDGE * getHexagonEdgeLengthAvg(res, UNITS.m)) return res;
  }
  return 0;
}

function circumradiusM(cell: string, lat: number, lng: number): number {
  return Math.max(...cellToBoundary(cell).map(([bLat, bLng]) => haversineM(lat, lng, bLat, bLng)));
}

export function circleCovering(lat: number, lng: number, radiusM: number, resolution: number): string[] {
  const start = latLngToCell(lat, lng, resolution);
  const covering = new Set([start]);
  const seen = new Set([start]);
  const frontier = [start];
  while (frontier.length > 0) {
    const cell = frontier.pop() as string;
    for (const neighbour of gridDisk(cell, 1)) {
      if (seen.has(neighbour)) continue;
      seen.add(neighbour);
      const [cLat, cLng] = cellToLatLng(neighbour);
      const reach = radiusM + circumradiusM(neighbour, cLat, cLng) + SLACK_M;
      if (haversineM(lat, lng, cLat, cLng) <= reach) {
        covering.add(neighbour);
        frontier.push(neighbour);
      }
    }
  }
  return [...covering];
}

export interface Covering {
  resolution: number;
  cells: string[];
}

/** The resolution chosen for this radius and the covering cells at it. */
export function posterCovering(lat: number, lng: number, radiusM: number): Covering {
  const resolution = resolutionForRadius(radiusM);
  return { resolution, cells: circleCovering(lat, lng, radiusM, resolution) };
}

/** Metres east and north of (lat0, lng0): a local flat projection, fine at city scale. */
export function project(lat0: number, lng0: number, lat: number, lng: number): { x: number; y: number } {
  const x = rad(lng - lng0) * Math.cos(rad(lat0)) * EARTH_RADIUS_M;
  const y = rad(lat - lat0) * EARTH_RADIUS_M;
  return { x, y };
}
