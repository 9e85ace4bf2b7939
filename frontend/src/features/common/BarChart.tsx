/**
 * A plain SVG bar chart: one row per label, one horizontal bar per series, each with
 * its number beside it (readable at 390px, no chart library). The same numbers are in
 * a table under "Numbers" for screen readers and copying.
 */
import { useId } from "react";

export interface Series {
  name: string;
  color: string;
}

export interface BarRow {
  label: string;
  values: number[];
}

interface Props {
  title: string;
  series: readonly Series[];
  rows: readonly BarRow[];
  /** Shown instead of the chart when there are no rows. */
  empty?: string;
}

const WIDTH = 360;
const LABEL_W = 92;
const NUMBER_W = 48;
const BAR_H = 14;
const GAP = 10;

export function BarChart({ title, series, rows, empty = "Nothing counted yet." }: Props) {
  const id = useId();
  if (rows.length === 0) return <p className="muted">{empty}</p>;
  const max = Math.max(1, ...rows.flatMap((r) => r.values));
  const rowH = series.length * (BAR_H + 2) + GAP;
  const height = rows.length * rowH + 24;
  const barSpace = WIDTH - LABEL_W - NUMBER_W;
  return (
    <figure className="chart-figure">
      <figcaption id={`${id}-title`}>
        <strong>{title}</strong>{" "}
        <span className="chart-legend">
          {series.map((s) => (
            <span key={s.name} className="chart-legend__item">
              <svg width="12" height="12" aria-hidden="true">
                <rect width="12" height="12" fill={s.color} />
              </svg>{" "}
              {s.name}
            </span>
          ))}
        </span>
      </figcaption>
      <svg className="chart" viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-labelledby={`${id}-title`}>
        {rows.map((row, r) => {
          const y0 = r * rowH + 8;
          return (
            <g key={row.label} data-row={row.label}>
              <text x={LABEL_W - 6} y={y0 + (series.length * (BAR_H + 2)) / 2 + 4} textAnchor="end">
                {row.label}
              </text>
              {series.map((s, i) => {
                const value = row.values[i] ?? 0;
                const w = value === 0 ? 0 : Math.max(2, (value / max) * barSpace);
                const y = y0 + i * (BAR_H + 2);
                return (
                  <g key={s.name}>
                    <rect x={LABEL_W} y={y} width={w} height={BAR_H} fill={s.color} rx="2">
                      <title>
                        {row.label}, {s.name}: {value}
                      </title>
                    </rect>
                    <text x={LABEL_W + w + 4} y={y + BAR_H - 3}>
                      {value}
                    </text>
                  </g>
                );
              })}
            </g>
          );
        })}
      </svg>
      <details>
        <summary>Numbers</summary>
        <div className="table-scroll">
          <table className="stats-table">
            <thead>
              <tr>
                <th scope="col"> </th>
                {series.map((s) => (
                  <th key={s.name} scope="col">
                    {s.name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.label}>
                  <th scope="row">{row.label}</th>
                  {series.map((s, i) => (
                    <td key={s.name}>{row.values[i] ?? 0}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
