/** An event's offerings in display order: edit, move up and down, retire (managers). */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { api, unwrap } from "../../api/client";
import { FormError } from "../../components/FormError";
import { describeError } from "../../lib/errors";
import { formatMoney } from "../../lib/money";
import { formatDateTime } from "../../lib/time";
import { ConfirmButton } from "../common/ConfirmButton";
import { Badge } from "../common/Status";
import { OFFERING_KINDS, type OfferingRead, type PoolRead, eventKeys, eventPath } from "./api";
import { OfferingForm } from "./OfferingForm";

const KIND_LABEL = Object.fromEntries(OFFERING_KINDS.map((k) => [k.value, k.label]));

export function Offerings({
  venueId,
  eventId,
  offerings,
  pools,
  canManage,
}: {
  venueId: string;
  eventId: string;
  offerings: OfferingRead[];
  pools: PoolRead[];
  canManage: boolean;
}) {
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<string | "new" | null>(null);
  const [error, setError] = useState<unknown>(null);
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: eventKeys.offerings(venueId, eventId) });
    void queryClient.invalidateQueries({ queryKey: eventKeys.pools(venueId, eventId) });
  };
  const ordered = [...offerings].sort((a, b) => a.position - b.position);

  const reorder = useMutation({
    mutationFn: (ids: string[]) =>
      unwrap(
        api.PUT("/api/v1/venues/{venue_id}/events/{event_id}/offerings/order", {
          params: eventPath(venueId, eventId),
          body: { ids },
        }),
      ),
    onMutate: () => setError(null),
    onSuccess: (list) => queryClient.setQueryData(eventKeys.offerings(venueId, eventId), list),
    onError: setError,
  });
  const retire = useMutation({
    mutationFn: (offeringId: string) =>
      unwrap(
        api.POST("/api/v1/venues/{venue_id}/events/{event_id}/offerings/{offering_id}/retire", {
          params: { path: { ...eventPath(venueId, eventId).path, offering_id: offeringId } },
        }),
      ),
    onMutate: () => setError(null),
    onSuccess: refresh,
    onError: setError,
  });

  function move(index: number, by: -1 | 1) {
    const ids = ordered.map((o) => o.id);
    const target = index + by;
    if (target < 0 || target >= ids.length) return;
    [ids[index], ids[target]] = [ids[target] as string, ids[index] as string];
    reorder.mutate(ids);
  }

  return (
    <section aria-labelledby="offerings-title" className="stack">
      <div className="section-head">
        <h2 id="offerings-title">Offerings</h2>
        {canManage && editing === null && (
          <button type="button" onClick={() => setEditing("new")}>
            Add an offering
          </button>
        )}
      </div>
      <FormError message={describeError(error).form} />
      {editing === "new" && (
        <OfferingForm
          venueId={venueId}
          eventId={eventId}
          pools={pools}
          onDone={() => {
            setEditing(null);
            refresh();
          }}
          onCancel={() => setEditing(null)}
        />
      )}
      {ordered.length === 0 && <p className="muted">No offerings yet.</p>}
      <ol className="cards">
        {ordered.map((offering, index) =>
          editing === offering.id ? (
            <li key={offering.id}>
              <OfferingForm
                venueId={venueId}
                eventId={eventId}
                offering={offering}
                pools={pools}
                onDone={() => {
                  setEditing(null);
                  refresh();
                }}
                onCancel={() => setEditing(null)}
              />
            </li>
          ) : (
            <li key={offering.id} className="card offering">
              <div className="offering__head">
                <h3>{offering.name}</h3>
                <span className="badges">
                  {offering.status === "retired" ? (
                    <Badge tone="danger">retired</Badge>
                  ) : offering.status === "hidden" ? (
                    <Badge tone="warn">hidden</Badge>
                  ) : offering.on_sale ? (
                    <Badge tone="ok">on sale</Badge>
                  ) : (
                    <Badge>not on sale now</Badge>
                  )}
                </span>
              </div>
              <p className="offering__facts">
                <strong>{formatMoney(offering.price_minor, offering.currency)}</strong> ·{" "}
                {KIND_LABEL[offering.kind] ?? offering.kind} · {offering.guests_per_pass}{" "}
                {offering.guests_per_pass === 1 ? "guest" : "guests"} per pass
                {offering.cover_credit_minor > 0 && <> · {formatMoney(offering.cover_credit_minor)} bar credit</>}
                {!offering.reentry_allowed && <> · no re-entry</>}
              </p>
              <p className="muted">
                Sale: {offering.sale_starts_at ? formatDateTime(offering.sale_starts_at) : "now"} –{" "}
                {offering.sale_ends_at ? formatDateTime(offering.sale_ends_at) : "the event"} · up to{" "}
                {offering.max_per_booking} per booking · <strong>{offering.available}</strong> passes left
              </p>
              {offering.pools.length > 0 && (
                <p className="muted">
                  Draws from:{" "}
                  {offering.pools.map((d) => `${d.name} (${d.places_per_pass}/pass, ${d.left} of ${d.size} left)`).join("; ")}
                </p>
              )}
              {canManage && (
                <div className="actions">
                  <button
                    type="button"
                    className="button--quiet"
                    aria-label={`Move ${offering.name} up`}
                    disabled={index === 0 || reorder.isPending}
                    onClick={() => move(index, -1)}
                  >
                    ↑ Up
                  </button>
                  <button
                    type="button"
                    className="button--quiet"
                    aria-label={`Move ${offering.name} down`}
                    disabled={index === ordered.length - 1 || reorder.isPending}
                    onClick={() => move(index, 1)}
                  >
                    ↓ Down
                  </button>
                  {offering.status !== "retired" && (
                    <>
                      <button type="button" className="button--quiet" onClick={() => setEditing(offering.id)}>
                        Edit
                      </button>
                      <ConfirmButton
                        question={`Stop selling ${offering.name} for good? Passes sold stay valid.`}
                        confirmLabel="Retire it"
                        disabled={retire.isPending}
                        onConfirm={() => retire.mutate(offering.id)}
                      >
                        Retire
                      </ConfirmButton>
                    </>
                  )}
                </div>
              )}
            </li>
          ),
        )}
      </ol>
    </section>
  );
}
