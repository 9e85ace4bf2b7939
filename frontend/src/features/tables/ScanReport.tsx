/** Scans per table and day over a date range (the venue's local dates; default the last 30 days). */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";

import { api, unwrap } from "../../api/client";
import { Field } from "../../components/Field";
import { describeError } from "../../lib/errors";
import { BarChart } from "../common/BarChart";

const SCANS = [{ name: "Scans", color: "#1d4ed8" }];

export function ScanReport({ venueId }: { venueId: string }) {
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const report = useQuery({
    queryKey: ["table-scans", venueId, from, to],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/venues/{venue_id}/tables/scans", {
          params: { path: { venue_id: venueId }, query: { date_from: from || undefined, date_to: to || undefined } },
        }),
      ),
  });
  const { fields, form } = describeError(report.error, ["date_from", "date_to"]);
  const data = report.data;
  const perTable = new Map<string, number>();
  const days = new Map<string, Map<string, number>>();
  for (const row of data?.items ?? []) {
    perTable.set(row.label, (perTable.get(row.label) ?? 0) + row.count);
    const day = days.get(row.day) ?? new Map<string, number>();
    day.set(row.label, (day.get(row.label) ?? 0) + row.count);
    days.set(row.day, day);
  }
  const labels = [...perTable.keys()].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const dayList = [...days.keys()].sort();
  return (
    <section className="card stack" aria-labelledby="scans-title">
      <h2 id="scans-title">Scans</h2>
      <div className="grid-2">
        <Field label="From" name="date_from" type="date" value={from} onChange={(e) => setFrom(e.target.value)} error={fields.date_from} />
        <Field label="To" name="date_to" type="date" value={to} onChange={(e) => setTo(e.target.value)} error={fields.date_to} />
      </div>
      {form && (
        <p role="alert" className="field__error">
          {form}
        </p>
      )}
      <div className="toolbar">
        <button type="button" className="button--quiet button--small" onClick={() => void report.refetch()} disabled={report.isFetching}>
          {report.isFetching ? "Refreshing…" : "Refresh"}
        </button>
      </div>
      {report.isPending && <p role="status">Loading scans…</p>}
      {data && (
        <>
          <p>
            {data.total} scans from {data.date_from} to {data.date_to}.
          </p>
          <BarChart title="Scans per table" series={SCANS} rows={labels.map((label) => ({ label, values: [perTable.get(label) ?? 0] }))} empty="No scans in these days." />
          {dayList.length > 0 && (
            <div className="table-scroll">
              <table className="stats-table">
                <caption className="visually-hidden">Scans per table and day</caption>
                <thead>
                  <tr>
                    <th scope="col">Day</th>
                    {labels.map((label) => (
                      <th key={label} scope="col">
                        {label}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {dayList.map((day) => (
                    <tr key={day}>
                      <th scope="row">{day}</th>
                      {labels.map((label) => (
                        <td key={label}>{days.get(day)?.get(label) ?? 0}</td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}
