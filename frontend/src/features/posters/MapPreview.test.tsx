import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { MapPreview } from "./MapPreview";

describe("the poster's map preview", () => {
  it("draws the venue, the radius circle to scale and the covering's hexagons, offline", () => {
    const { container } = render(<MapPreview lat={12.97876} lng={77.640984} radiusM={3000} label="The Brew Yard" />);
    const map = screen.getByRole("img", { name: /Map preview: The Brew Yard at the centre, shown within 3 km, covered by 12 H3 cells at resolution 7/ });
    expect(map.tagName.toLowerCase()).toBe("svg");

    const hexagons = container.querySelectorAll("polygon[data-cell]");
    expect(hexagons).toHaveLength(12);
    for (const hexagon of hexagons) {
      // H3 cells are hexagons (pentagons only far from any city)
      expect(hexagon.getAttribute("points")?.trim().split(" ")).toHaveLength(6);
    }

    const circle = container.querySelector("circle[data-testid='radius']");
    const r = Number(circle?.getAttribute("r"));
    // To scale: the circle fits inside the drawing, and the cells reach beyond it
    expect(r).toBeGreaterThan(50);
    expect(r).toBeLessThan(160);
    expect(container.querySelector("circle[data-testid='venue']")).not.toBeNull();
    // Nothing fetched from outside: no <image>, no tiles
    expect(container.querySelector("image")).toBeNull();
    expect(screen.getByText(/12 cells at H3 resolution 7/)).toBeInTheDocument();
  });

  it("redraws for another radius (a club night further out: fewer, bigger cells)", () => {
    const { container, rerender } = render(<MapPreview lat={12.97876} lng={77.640984} radiusM={1500} />);
    expect(container.querySelectorAll("polygon[data-cell]")).toHaveLength(19);
    rerender(<MapPreview lat={12.97876} lng={77.640984} radiusM={8000} />);
    expect(container.querySelectorAll("polygon[data-cell]")).toHaveLength(12);
    expect(container.querySelector("svg")?.getAttribute("data-resolution")).toBe("6");
  });

  it("says what radius it needs instead of drawing an impossible one", () => {
    const { container } = render(<MapPreview lat={12.97876} lng={77.640984} radiusM={20} />);
    expect(container.querySelector("svg")).toBeNull();
    expect(screen.getByRole("status")).toHaveTextContent("between 100 m and 50 km");
  });
});
