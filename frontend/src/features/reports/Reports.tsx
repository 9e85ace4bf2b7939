/**
 * Reports: sales per night (from the venue's served and completed orders), visits and
 * spend per head (club visits at the door), and poster performance; each chart with
 * its numbers in a table beside it.
 */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";

import { api, type Schemas, unwrap } from "../../api/client";
import { formatMoney } from "../../lib/money";
import { formatDate, formatTime } from "../../lib/time";
import { LoadError, Loading } from "../common/Status";
import { BarChart, ChartWithNumbers, LineChart } from "./charts";

type NightSales = Schemas["NightSales"];
const NIGHTS = 14;

/** The last `NIGHTS` nights with sales, oldest first (the API sends the newest first). */
async function recentSales(venueId: string): Promise<NightSales[]> {
  const page = await unwrap(
    api.GET("/api/v1/venues/{venue_id}/reports/sales", {
      params: { path: { venue_id: venueId }, query: { limit: NIGHTS } },
    }),
  );
  return [...page.items].reverse();
}

function shortMoney(minor: number): string {
  const rupees = minor / 100;
  if (rupees >= 100_000) return `₹${(rupees / 100_000).toFixed(1)}L`;
  if (rupees >= 1000) return `₹${(rupees / 1000).toFixed(1)}k`;
  return `₹${Math.round(rupees)}`;
}

function Sales({ venueId, currency }: { venueId: string; currency: string }) {
  // Summed by the API per night in the venue's own time zone, however many orders.
  const sales = useQuery({ queryKey: ["reports", venueId, "sales"], queryFn: () => recentSales(venueId) });
  const rows = (sales.data ?? []).filter((r) => r.currency === currency);
  return (
    <section aria-labelledby="sales-title" className="stack">
      <h2 id="sales-title">Sales per night</h2>
      <p className="muted">
        Orders served, picked up or completed, by the night they were placed (a night runs 6 am to 6 am, venue time).
      </p>
      {sales.isPending && <Loading />}
      {sales.isError && <LoadError error={sales.error} what="The sales" />}
      {sales.data && (
        <ChartWithNumbers
          chart={<BarChart title="Sales per night" bars={rows.map((r) => ({ label: formatDate(r.night), value: r.total_minor }))} format={shortMoney} />}
          caption="Sales per night"
          head={["Night", "Orders", "Sales"]}
          rows={rows.map((r) => [formatDate(r.night), r.orders, formatMoney(r.total_minor, currency)])}
        />
      )}
    </section>
  );
}

function Visits({ venueId }: { venueId: string }) {
  const [night, setNight] = useState<string | null>(null);
  const nights = useQuery({
    queryKey: ["reports", venueId, "nights"],
    queryFn: () =>
      unwrap(api.GET("/api/v1/venues/{venue_id}/visits/nights", { params: { path: { venue_id: venueId }, query: { limit: 14 } } })),
  });
  const chosen = night ?? nights.data?.items[0]?.night ?? null;
  const detail = useQuery({
    queryKey: ["reports", venueId, "night", chosen],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/venues/{venue_id}/visits", {
          params: { path: { venue_id: venueId }, query: { night: chosen ?? undefined } },
        }),
      ),
    enabled: chosen !== null,
  });
  const list = [...(nights.data?.items ?? [])].reverse();
  const d = detail.data;
  const money = (minor: number) => formatMoney(minor, d?.currency ?? "INR");
  return (
    <section aria-labelledby="visits-title" className="stack">
      <h2 id="visits-title">Visits and spend per head</h2>
      {nights.isPending && <Loading />}
      {nights.isError && <LoadError error={nights.error} what="The nights" />}
      {nights.data && nights.data.items.length === 0 && <p className="muted">No visits yet: guests count once they are let in at the door.</p>}
      {nights.data && nights.data.items.length > 0 && (
        <>
          <ChartWithNumbers
            chart={
              <BarChart
                title="Guests per night, new and returning"
                bars={list.map((n) => ({ label: formatDate(n.night), value: n.new_guests, extra: n.returning_guests }))}
                legend={["New guests", "Returning guests"]}
              />
            }
            caption="Guests per night"
            head={["Night", "Visits", "New guests", "Returning guests", "Cover charge"]}
            rows={list.map((n) => [formatDate(n.night), n.visits, n.new_guests, n.returning_guests, formatMoney(n.cover_charge_minor)])}
          />
          <div className="field">
            <label htmlFor="report-night">Night</label>
            <select id="report-night" value={chosen ?? ""} onChange={(e) => setNight(e.target.value)}>
              {nights.data.items.map((n) => (
                <option key={n.night} value={n.night}>
                  {formatDate(n.night)} ({n.guests} guests)
                </option>
              ))}
            </select>
          </div>
        </>
      )}
      {detail.isError && <LoadError error={detail.error} what="The night" />}
      {d && (
        <>
          <dl className="stats">
            <div>
              <dt>Guests</dt>
              <dd>{d.guests}</dd>
            </div>
            <div>
              <dt>Spend per head</dt>
              <dd>{money(d.spend_per_head_minor)}</dd>
            </div>
            <div>
              <dt>Spent in all</dt>
              <dd>{money(d.spend.total_minor)}</dd>
            </div>
            <div>
              <dt>Cover charge</dt>
              <dd>{money(d.cover_charge_minor)}</dd>
            </div>
          </dl>
          <p className="muted">
            Paid by cover credit {money(d.spend.credit_minor)} · group wallets {money(d.spend.wallet_minor)} · card and UPI{" "}
            {money(d.spend.gateway_minor)}
            {d.events.length > 0 && <> · {d.events.map((e) => e.title).join(", ")}</>}
          </p>
          <ChartWithNumbers
            chart={<LineChart title="Guests inside through the night" points={d.inside_curve.map((p) => ({ label: formatTime(p.at), value: p.inside }))} />}
            caption="Guests inside every 15 minutes"
            head={["Time", "In", "Out", "Inside"]}
            rows={d.inside_curve.filter((p) => p.entered || p.exited || p.inside).map((p) => [formatTime(p.at), p.entered, p.exited, p.inside])}
          />
        </>
      )}
    </section>
  );
}

function Posters({ venueId }: { venueId: string }) {
  const stats = useQuery({
    queryKey: ["reports", venueId, "posters"],
    queryFn: async () => {
      const posters = await unwrap(
        api.GET("/api/v1/venues/{venue_id}/posters", { params: { path: { venue_id: venueId }, query: { limit: 20 } } }),
      );
      return Promise.all(
        posters.items.map(async (poster) => ({
          poster,
          stats: await unwrap(
            api.GET("/api/v1/venues/{venue_id}/posters/{poster_id}/stats", {
              params: { path: { venue_id: venueId, poster_id: poster.id } },
            }),
          ),
        })),
      );
    },
  });
  const rows = stats.data ?? [];
  return (
    <section aria-labelledby="posters-title" className="stack">
      <h2 id="posters-title">Poster performance (last 30 days)</h2>
      {stats.isPending && <Loading />}
      {stats.isError && <LoadError error={stats.error} what="The posters' numbers" />}
      {stats.data && rows.length === 0 && <p className="muted">No posters yet.</p>}
      {rows.length > 0 && (
        <ChartWithNumbers
          chart={
            <BarChart
              title="Impressions and taps per poster"
              bars={rows.map(({ poster, stats: s }) => ({
                label: (poster.title ?? "Poster").slice(0, 14),
                value: s.totals.impressions,
                extra: s.totals.taps,
              }))}
              legend={["Impressions", "Taps"]}
            />
          }
          caption="Impressions and taps per poster"
          head={["Poster", "Impressions", "Taps", "Tap rate"]}
          rows={rows.map(({ poster, stats: s }) => [
            poster.title ?? "Poster",
            s.totals.impressions,
            s.totals.taps,
            s.totals.impressions > 0 ? `${((100 * s.totals.taps) / s.totals.impressions).toFixed(1)}%` : "—",
          ])}
        />
      )}
    </section>
  );
}

export function Reports({ venueId, currency }: { venueId: string; currency: string }) {
  return (
    <div className="stack">
      <Sales venueId={venueId} currency={currency} />
      <Visits venueId={venueId} />
      <Posters venueId={venueId} />
    </div>
  );
}
