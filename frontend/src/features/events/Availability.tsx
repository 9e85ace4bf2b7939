/** Live availability: passes left per offering, places per pool, guests inside (every 10 s). */
import type { Attendance, OfferingRead, PoolRead } from "./api";

function Meter({ label, used, size }: { label: string; used: number; size: number }) {
  const share = size > 0 ? Math.min(1, used / size) : 0;
  return (
    <div className="meter">
      <div className="meter__label">
        <span>{label}</span>
        <span>
          {used} / {size}
        </span>
      </div>
      <svg className="meter__bar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true">
        <rect x="0" y="0" width="100" height="8" rx="2" className="meter__track" />
        <rect x="0" y="0" width={share * 100} height="8" rx="2" className={share >= 1 ? "meter__fill meter__fill--full" : "meter__fill"} />
      </svg>
    </div>
  );
}

export function Availability({
  offerings,
  pools,
  attendance,
  updatedAt,
}: {
  offerings: OfferingRead[];
  pools: PoolRead[];
  attendance: Attendance | undefined;
  updatedAt: number;
}) {
  return (
    <section aria-labelledby="availability-title" className="stack">
      <h2 id="availability-title">Live availability</h2>
      <p className="muted">Updated {new Date(updatedAt || Date.now()).toLocaleTimeString()} (every 10 seconds).</p>
      {attendance && (
        <dl className="stats">
          <div>
            <dt>Guests inside</dt>
            <dd>{attendance.guests_inside}</dd>
          </div>
          <div>
            <dt>Checked in</dt>
            <dd>{attendance.guests_checked_in}</dd>
          </div>
          <div>
            <dt>Guests sold</dt>
            <dd>{attendance.guests_sold}</dd>
          </div>
          <div>
            <dt>Passes sold</dt>
            <dd>{attendance.passes_sold}</dd>
          </div>
        </dl>
      )}
      {pools.map((pool) => (
        <Meter key={pool.id} label={`${pool.name}: places taken`} used={pool.taken} size={pool.size} />
      ))}
      {offerings.length > 0 && (
        <div className="table-scroll">
          <table>
            <caption className="visually-hidden">Passes left per offering</caption>
            <thead>
              <tr>
                <th scope="col">Offering</th>
                <th scope="col">On sale</th>
                <th scope="col">Passes left</th>
              </tr>
            </thead>
            <tbody>
              {[...offerings]
                .sort((a, b) => a.position - b.position)
                .map((o) => (
                  <tr key={o.id}>
                    <th scope="row">{o.name}</th>
                    <td>{o.on_sale ? "yes" : "no"}</td>
                    <td>{o.available}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
