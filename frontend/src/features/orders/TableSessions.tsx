/**
 * Open table sessions and their bills: issue a session's bill, read it (lines, taxes,
 * service charge, what is paid, being paid and left), the shares guests split it into
 * and what paid them; take the service charge off; close a settled session.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { api, type Schemas, unwrap } from "../../api/client";
import { ApiError } from "../../lib/errors";
import { formatMoney } from "../../lib/money";
import { formatTime } from "../../lib/time";
import { ConfirmButton } from "../common/ConfirmButton";
import { messageOf } from "../common/messages";
import { Badge, LoadError, Loading } from "../common/Status";
import { boardKeys } from "./OrderBoard";

type TableSessionRead = Schemas["TableSessionRead"];
type BillRead = Schemas["BillRead"];

const SHARE_LABEL: Record<Schemas["BillShareMethod"], string> = {
  full: "Everything left",
  equal: "Equal share",
  items: "Some items",
  custom: "An amount",
};
const TENDER_LABEL: Record<string, string> = { cover_credit: "Cover credit", wallet: "Group wallet", gateway: "Card / UPI" };

function Bill({ venueId, bill }: { venueId: string; bill: BillRead }) {
  const queryClient = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const removeCharge = useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/v1/bills/{bill_id}/service-charge", { params: { path: { bill_id: bill.id } } })),
    onMutate: () => setError(null),
    onSuccess: (updated) => queryClient.setQueryData(boardKeys.bill(venueId, bill.session_id), updated),
    onError: (e) =>
      setError(
        e instanceof ApiError && e.status === 404
          ? "Only a guest at the table can take the service charge off (from their phone): the API does not let staff do it."
          : messageOf(e),
      ),
  });
  const money = (minor: number) => formatMoney(minor, bill.currency);
  return (
    <div className="stack">
      <p>
        Bill {bill.invoice_number} · issued {formatTime(bill.issued_at)} ·{" "}
        <Badge tone={bill.status === "paid" ? "ok" : bill.status === "void" ? "danger" : "warn"}>{bill.status}</Badge>
      </p>
      <div className="table-scroll">
        <table>
          <caption className="visually-hidden">Lines of bill {bill.invoice_number}</caption>
          <thead>
            <tr>
              <th scope="col">Item</th>
              <th scope="col" className="num">Qty</th>
              <th scope="col" className="num">Amount</th>
              <th scope="col">Paid by a share</th>
            </tr>
          </thead>
          <tbody>
            {bill.lines.map((line) => (
              <tr key={line.id}>
                <th scope="row">
                  {line.name}
                  {line.variant_name && ` (${line.variant_name})`}
                </th>
                <td className="num">{line.quantity}</td>
                <td className="num">{money(line.amount_minor)}</td>
                <td>{line.share_id ? "yes" : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <dl className="stats">
        <div>
          <dt>Subtotal</dt>
          <dd>{money(bill.subtotal_minor)}</dd>
        </div>
        <div>
          <dt>Tax</dt>
          <dd>{money(bill.tax_minor)}</dd>
        </div>
        <div>
          <dt>Service charge{bill.service_charge_removed ? " (taken off)" : ""}</dt>
          <dd>{money(bill.service_charge_minor)}</dd>
        </div>
        <div>
          <dt>Total</dt>
          <dd>{money(bill.total_minor)}</dd>
        </div>
        <div>
          <dt>Paid</dt>
          <dd>{money(bill.paid_minor)}</dd>
        </div>
        <div>
          <dt>Being paid</dt>
          <dd>{money(bill.pending_minor)}</dd>
        </div>
        <div>
          <dt>Left</dt>
          <dd>{money(bill.left_minor)}</dd>
        </div>
      </dl>
      {bill.taxes.length > 0 && (
        <p className="muted">{bill.taxes.map((t) => `${t.name}: ${money(t.tax_minor)}`).join(" · ")}</p>
      )}
      <h4>Split between guests</h4>
      {bill.shares.length === 0 ? (
        <p className="muted">No share paid or being paid yet.</p>
      ) : (
        <ul>
          {bill.shares.map((share) => (
            <li key={share.id}>
              {SHARE_LABEL[share.method]}: {money(share.amount_minor)} · {share.status}
              {share.credit_minor > 0 && ` (${money(share.credit_minor)} cover credit)`}
              {share.line_ids.length > 0 && ` · ${share.line_ids.length} items`}
            </li>
          ))}
        </ul>
      )}
      {(bill.tenders ?? []).length > 0 && (
        <p>Paid with: {(bill.tenders ?? []).map((t) => `${TENDER_LABEL[t.kind] ?? t.kind} ${money(t.amount_minor)}`).join(" · ")}</p>
      )}
      {error && (
        <p className="field__error" role="alert">
          {error}
        </p>
      )}
      {bill.status === "open" && bill.service_charge_minor > 0 && !bill.service_charge_removed && (
        <div className="actions">
          <ConfirmButton
            question="Take the service charge off this bill?"
            confirmLabel="Take it off"
            danger={false}
            disabled={removeCharge.isPending || bill.paid_minor > 0 || bill.pending_minor > 0}
            onConfirm={() => removeCharge.mutate()}
          >
            Remove the service charge
          </ConfirmButton>
        </div>
      )}
    </div>
  );
}

function SessionCard({ venueId, session }: { venueId: string; session: TableSessionRead }) {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const atEnd = session.payment_mode === "at_end";
  const path = { venue_id: venueId, session_id: session.id };
  const bill = useQuery({
    queryKey: boardKeys.bill(venueId, session.id),
    queryFn: async () => {
      try {
        return await unwrap(api.GET("/api/v1/venues/{venue_id}/table-sessions/{session_id}/bill", { params: { path } }));
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) return null; // no bill yet
        throw e;
      }
    },
    enabled: open && atEnd,
  });
  const issue = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/venues/{venue_id}/table-sessions/{session_id}/bill", { params: { path } })),
    onMutate: () => setError(null),
    onSuccess: (issued) => queryClient.setQueryData(boardKeys.bill(venueId, session.id), issued),
    onError: (e) => setError(messageOf(e)),
  });
  const close = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/venues/{venue_id}/table-sessions/{session_id}/close", { params: { path } })),
    onMutate: () => setError(null),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: boardKeys.sessions(venueId) }),
    onError: (e) => setError(messageOf(e)),
  });
  return (
    <li className="card stack">
      <div className="offering__head">
        <h3>Table {session.table_label}</h3>
        <Badge>{atEnd ? "pays at the end" : "pays per order"}</Badge>
      </div>
      <p className="muted">
        Open since {formatTime(session.opened_at)} · {session.members} {session.members === 1 ? "guest" : "guests"} joined
      </p>
      <div className="actions">
        {atEnd && (
          <button type="button" className="button--quiet" aria-expanded={open} onClick={() => setOpen(!open)}>
            {open ? "Hide the bill" : "The bill"}
          </button>
        )}
        <ConfirmButton question={`Close table ${session.table_label}'s session?`} confirmLabel="Close it" onConfirm={() => close.mutate()}>
          Close the session
        </ConfirmButton>
      </div>
      {error && (
        <p className="field__error" role="alert">
          {error}
        </p>
      )}
      {open && atEnd && (
        <>
          {bill.isPending && <Loading>Loading the bill…</Loading>}
          {bill.isError && <LoadError error={bill.error} what="The bill" />}
          {bill.data === null && (
            <div className="actions">
              <p className="muted">No bill yet.</p>
              <button type="button" disabled={issue.isPending} onClick={() => issue.mutate()}>
                Issue the bill
              </button>
            </div>
          )}
          {bill.data && <Bill venueId={venueId} bill={bill.data} />}
        </>
      )}
    </li>
  );
}

export function TableSessions({ venueId }: { venueId: string }) {
  const sessions = useQuery({
    queryKey: boardKeys.sessions(venueId),
    queryFn: () => unwrap(api.GET("/api/v1/venues/{venue_id}/table-sessions", { params: { path: { venue_id: venueId } } })),
  });
  return (
    <section aria-labelledby="sessions-title" className="stack">
      <h2 id="sessions-title">Tables and bills</h2>
      {sessions.isPending && <Loading />}
      {sessions.isError && <LoadError error={sessions.error} what="The table sessions" />}
      {sessions.data && sessions.data.length === 0 && <p className="muted">No table is open.</p>}
      {sessions.data && (
        <ul className="cards">
          {sessions.data.map((s) => (
            <SessionCard key={s.id} venueId={venueId} session={s} />
          ))}
        </ul>
      )}
    </section>
  );
}
