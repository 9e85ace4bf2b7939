/**
 * Plain SVG charts with their numbers beside them (a table a screen reader reads and a
 * person can copy). No chart library: bars and a line are a few rectangles and a path.
 */
import type { ReactNode } from "react";

export interface Bar {
  label: string;
  value: number;
  /** A second series stacked on the first (e.g. returning guests over new ones). */
  extra?: number;
}

const W = 600;
const H = 220;
const PAD = { top: 16, right: 8, bottom: 36, left: 8 };

function scale(max: number): number {
  return max > 0 ? (H - PAD.top - PAD.bottom) / max : 0;
}

export function BarChart({
  title,
  bars,
  format = String,
  legend,
}: {
  title: string;
  bars: Bar[];
  format?: (value: number) => string;
  legend?: [string, string];
}) {
  const max = Math.max(0, ...bars.map((b) => b.value + (b.extra ?? 0)));
  const k = scale(max);
  const step = bars.length > 0 ? (W - PAD.left - PAD.right) / bars.length : 0;
  const width = Math.min(64, Math.max(2, step * 0.7));
  const base = H - PAD.bottom;
  const every = Math.max(1, Math.ceil(bars.length / 12)); // label at most 12 bars
  return (
    <figure className="stack" style={{ margin: 0 }}>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${title} (the numbers are in the table beside it)`}>
        <title>{title}</title>
        <line x1={PAD.left} x2={W - PAD.right} y1={base} y2={base} className="chart__axis" />
        {bars.map((bar, i) => {
          const x = PAD.left + i * step + (step - width) / 2;
          const h1 = bar.value * k;
          const h2 = (bar.extra ?? 0) * k;
          return (
            <g key={`${bar.label}-${i}`}>
              <rect x={x} y={base - h1} width={width} height={h1} className="chart__bar">
                <title>{`${bar.label}: ${format(bar.value)}`}</title>
              </rect>
              {h2 > 0 && (
                <rect x={x} y={base - h1 - h2} width={width} height={h2} className="chart__bar chart__bar--alt">
                  <title>{`${bar.label}: ${format(bar.extra ?? 0)}`}</title>
                </rect>
              )}
              {bars.length <= 16 && (
                <text x={x + width / 2} y={base - h1 - h2 - 4} textAnchor="middle" className="chart__value">
                  {format(bar.value + (bar.extra ?? 0))}
                </text>
              )}
              {i % every === 0 && (
                <text x={x + width / 2} y={base + 14} textAnchor="middle" className="chart__label">
                  {bar.label}
                </text>
              )}
            </g>
          );
        })}
        {bars.length === 0 && (
          <text x={W / 2} y={H / 2} textAnchor="middle" className="chart__label">
            Nothing to show yet
          </text>
        )}
      </svg>
      {legend && (
        <figcaption className="legend">
          <span>{legend[0]}</span>
          <span className="legend--alt">{legend[1]}</span>
        </figcaption>
      )}
    </figure>
  );
}

export interface Point {
  label: string;
  value: number;
}

export function LineChart({ title, points }: { title: string; points: Point[] }) {
  const max = Math.max(1, ...points.map((p) => p.value));
  const k = scale(max);
  const base = H - PAD.bottom;
  const step = points.length > 1 ? (W - PAD.left - PAD.right) / (points.length - 1) : 0;
  const xy = points.map((p, i) => [PAD.left + i * step, base - p.value * k] as const);
  const d = xy.map(([x, y], i) => `${i === 0 ? "M" : "L"}${x.toFixed(1)},${y.toFixed(1)}`).join(" ");
  const every = Math.max(1, Math.ceil(points.length / 8));
  return (
    <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${title} (the numbers are in the table beside it)`}>
      <title>{title}</title>
      <line x1={PAD.left} x2={W - PAD.right} y1={base} y2={base} className="chart__axis" />
      {points.length > 0 && <path d={d} className="chart__line" />}
      {xy.map(([x, y], i) =>
        i % every === 0 ? (
          <g key={i}>
            <circle cx={x} cy={y} r={2.5} className="chart__bar" />
            <text x={x} y={base + 14} textAnchor="middle" className="chart__label">
              {points[i]?.label}
            </text>
            <text x={x} y={y - 6} textAnchor="middle" className="chart__value">
              {points[i]?.value}
            </text>
          </g>
        ) : null,
      )}
      {points.length === 0 && (
        <text x={W / 2} y={H / 2} textAnchor="middle" className="chart__label">
          Nothing to show yet
        </text>
      )}
    </svg>
  );
}

/** A chart and its numbers side by side (stacked on a phone). */
export function ChartWithNumbers({
  chart,
  caption,
  head,
  rows,
}: {
  chart: ReactNode;
  caption: string;
  head: string[];
  rows: (string | number)[][];
}) {
  return (
    <div className="chart">
      {chart}
      <div className="table-scroll">
        <table>
          <caption className="visually-hidden">{caption}</caption>
          <thead>
            <tr>
              {head.map((h, i) => (
                <th key={h} scope="col" className={i > 0 ? "num" : undefined}>
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row, r) => (
              <tr key={r}>
                {row.map((cell, i) =>
                  i === 0 ? (
                    <th key={i} scope="row">
                      {cell}
                    </th>
                  ) : (
                    <td key={i} className="num">
                      {cell}
                    </td>
                  ),
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
