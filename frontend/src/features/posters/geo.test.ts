import { describe, expect, it } from "vitest";

import { posterCovering } from "./geo";

// Expected values printed by the backend's own app.core.geo_index.poster_covering for
// The Brew Yard (12.97876, 77.640984): the preview draws the cells the feed uses.
const BACKEND = [
  { radius: 100, resolution: 10, cells: 6, first: "8a61892ec207fff" },
  { radius: 1500, resolution: 8, cells: 19, first: "8861892535fffff" },
  { radius: 3000, resolution: 7, cells: 12, first: "876189252ffffff" },
  { radius: 8000, resolution: 6, cells: 12, first: "8660145a7ffffff" },
  { radius: 50000, resolution: 4, cells: 10, first: "8460141ffffffff" },
];

describe("the poster covering", () => {
  it.each(BACKEND)("matches the backend's for a radius of $radius m", ({ radius, resolution, cells, first }) => {
    const covering = posterCovering(12.97876, 77.640984, radius);
    expect(covering.resolution).toBe(resolution);
    expect(covering.cells).toHaveLength(cells);
    expect([...covering.cells].sort()[0]).toBe(first);
  });
});
