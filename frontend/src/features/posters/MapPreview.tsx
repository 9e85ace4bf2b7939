/**
 * Where a poster is shown, drawn offline: no map tiles, a plain background with the
 * venue at the centre, the radius circle to scale and the H3 cells of the poster's
 * covering as hexagons (the cells the feed looks posters up by), with a scale bar.
 */
import { useMemo } from "react";
import { cellToBoundary } from "h3-js";

import { MAX_RADIUS_M, MIN_RADIUS_M, posterCovering, project } from "./geo";

interface Props {
  lat: number;
  lng: number;
  radiusM: number;
  label?: string;
}

const SIZE = 320;

function niceScale(metres: number): number {
  const steps = [50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 25000, 50000];
  return [...steps].reverse().find((s) => s <= metres) ?? 50;
}

function formatDistance(m: number): string {
  return m >= 1000 ? `${(m / 1000).toLocaleString("en-IN", { maximumFractionDigits: 1 })} km` : `${Math.round(m)} m`;
}

export function MapPreview({ lat, lng, radiusM, label = "The venue" }: Props) {
  const valid = Number.isFinite(lat) && Number.isFinite(lng) && Number.isFinite(radiusM) && radiusM >= MIN_RADIUS_M && radiusM <= MAX_RADIUS_M;
  const drawing = useMemo(() => {
    if (!valid) return null;
    const { resolution, cells } = posterCovering(lat, lng, radiusM);
    const hexagons = cells.map((cell) => ({
      cell,
      points: cellToBoundary(cell).map(([bLat, bLng]) => project(lat, lng, bLat, bLng)),
    }));
    const extent = Math.max(radiusM, ...hexagons.flatMap((h) => h.points.map((p) => Math.max(Math.abs(p.x), Math.abs(p.y)))));
    return { resolution, hexagons, extent: extent * 1.08 };
  }, [lat, lng, radiusM, valid]);

  if (!drawing) {
    return (
      <p className="muted" role="status">
        The map appears with a radius between {MIN_RADIUS_M} m and {formatDistance(MAX_RADIUS_M)}.
      </p>
    );
  }
  const scale = SIZE / 2 / drawing.extent; // pixels per metre
  const toSvg = (p: { x: number; y: number }) => `${(SIZE / 2 + p.x * scale).toFixed(1)},${(SIZE / 2 - p.y * scale).toFixed(1)}`;
  const bar = niceScale(drawing.extent / 2);
  const n = drawing.hexagons.length;
  return (
    <figure className="chart-figure">
      <svg
        className="map-preview"
        viewBox={`0 0 ${SIZE} ${SIZE}`}
        role="img"
        aria-label={`Map preview: ${label} at the centre, shown within ${formatDistance(radiusM)}, covered by ${n} H3 cells at resolution ${drawing.resolution}`}
        data-resolution={drawing.resolution}
      >
        <rect width={SIZE} height={SIZE} fill="#f3f4f6" />
        <g data-testid="cells">
          {drawing.hexagons.map((h) => (
            <polygon key={h.cell} data-cell={h.cell} points={h.points.map(toSvg).join(" ")} fill="#dbeafe" fillOpacity="0.7" stroke="#60a5fa" strokeWidth="1" />
          ))}
        </g>
        <circle data-testid="radius" cx={SIZE / 2} cy={SIZE / 2} r={radiusM * scale} fill="#1d4ed8" fillOpacity="0.08" stroke="#1d4ed8" strokeWidth="2" />
        <circle data-testid="venue" cx={SIZE / 2} cy={SIZE / 2} r="5" fill="#b91c1c" stroke="#fff" strokeWidth="2" />
        <text x={SIZE / 2} y={SIZE / 2 - 10} textAnchor="middle" fontSize="12" fill="#111827">
          {label}
        </text>
        <g transform={`translate(12 ${SIZE - 16})`}>
          <line x1="0" y1="0" x2={bar * scale} y2="0" stroke="#111827" strokeWidth="2" />
          <line x1="0" y1="-4" x2="0" y2="4" stroke="#111827" strokeWidth="2" />
          <line x1={bar * scale} y1="-4" x2={bar * scale} y2="4" stroke="#111827" strokeWidth="2" />
          <text x={bar * scale + 6} y="4" fontSize="11" fill="#111827">
            {formatDistance(bar)}
          </text>
        </g>
      </svg>
      <figcaption className="field__hint">
        Shown within {formatDistance(radiusM)} of the venue: {n} cells at H3 resolution {drawing.resolution}.
      </figcaption>
    </figure>
  );
}
