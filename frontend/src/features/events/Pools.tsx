/** An event's capacity pools: how many places, taken and left; add, resize, rename, delete. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";

import { api, unwrap } from "../../api/client";
import { Field } from "../../components/Field";
import { FormError } from "../../components/FormError";
import { describeError } from "../../lib/errors";
import { ConfirmButton } from "../common/ConfirmButton";
import { type PoolRead, eventKeys, eventPath } from "./api";

const FIELDS = ["name", "size"] as const;

function PoolForm({
  venueId,
  eventId,
  pool,
  onDone,
  onCancel,
}: {
  venueId: string;
  eventId: string;
  pool?: PoolRead;
  onDone: () => void;
  onCancel?: () => void;
}) {
  const [error, setError] = useState<unknown>(null);
  const save = useMutation({
    mutationFn: (body: { name: string; size: number }) =>
      pool
        ? unwrap(
            api.PATCH("/api/v1/venues/{venue_id}/events/{event_id}/pools/{pool_id}", {
              params: { path: { ...eventPath(venueId, eventId).path, pool_id: pool.id } },
              body,
            }),
          )
        : unwrap(
            api.POST("/api/v1/venues/{venue_id}/events/{event_id}/pools", {
              params: eventPath(venueId, eventId),
              body,
            }),
          ),
    onSuccess: onDone,
    onError: setError,
  });
  const { fields, form } = describeError(error, FIELDS);
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setError(null);
    const data = new FormData(e.currentTarget);
    const size = String(data.get("size") ?? "").trim();
    save.mutate({ name: String(data.get("name") ?? ""), size: size === "" ? Number.NaN : Number(size) });
    if (!pool) e.currentTarget.reset();
  }
  return (
    <form className="inline-form" onSubmit={onSubmit} noValidate aria-label={pool ? `Edit ${pool.name}` : "New pool"}>
      <FormError message={form} />
      <Field label="Pool name" name="name" required defaultValue={pool?.name} error={fields.name} />
      <Field label="Places" name="size" type="number" min={0} required defaultValue={pool?.size} error={fields.size} />
      <div className="actions">
        <button type="submit" disabled={save.isPending}>
          {pool ? "Save" : "Add the pool"}
        </button>
        {onCancel && (
          <button type="button" className="button--quiet" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

export function Pools({
  venueId,
  eventId,
  pools,
  canManage,
}: {
  venueId: string;
  eventId: string;
  pools: PoolRead[];
  canManage: boolean;
}) {
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: eventKeys.pools(venueId, eventId) });
    void queryClient.invalidateQueries({ queryKey: eventKeys.offerings(venueId, eventId) });
  };
  const remove = useMutation({
    mutationFn: (poolId: string) =>
      unwrap(
        api.DELETE("/api/v1/venues/{venue_id}/events/{event_id}/pools/{pool_id}", {
          params: { path: { ...eventPath(venueId, eventId).path, pool_id: poolId } },
        }),
      ),
    onMutate: () => setError(null),
    onSuccess: refresh,
    onError: setError,
  });
  return (
    <section aria-labelledby="pools-title" className="stack">
      <h2 id="pools-title">Capacity pools</h2>
      <FormError message={describeError(error).form} />
      {pools.length === 0 && <p className="muted">No pools yet. Offerings sell places out of pools.</p>}
      {pools.length > 0 && (
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Pool</th>
                <th scope="col">Places</th>
                <th scope="col">Taken</th>
                <th scope="col">Left</th>
                {canManage && <th scope="col">Change</th>}
              </tr>
            </thead>
            <tbody>
              {pools.map((pool) =>
                editing === pool.id ? (
                  <tr key={pool.id}>
                    <td colSpan={canManage ? 5 : 4}>
                      <PoolForm
                        venueId={venueId}
                        eventId={eventId}
                        pool={pool}
                        onDone={() => {
                          setEditing(null);
                          refresh();
                        }}
                        onCancel={() => setEditing(null)}
                      />
                    </td>
                  </tr>
                ) : (
                  <tr key={pool.id}>
                    <th scope="row">{pool.name}</th>
                    <td>{pool.size}</td>
                    <td>{pool.taken}</td>
                    <td>{pool.left}</td>
                    {canManage && (
                      <td className="actions">
                        <button type="button" className="button--quiet" onClick={() => setEditing(pool.id)}>
                          Edit
                        </button>
                        <ConfirmButton
                          question={`Delete ${pool.name}?`}
                          confirmLabel="Delete"
                          onConfirm={() => remove.mutate(pool.id)}
                        >
                          Delete
                        </ConfirmButton>
                      </td>
                    )}
                  </tr>
                ),
              )}
            </tbody>
          </table>
        </div>
      )}
      {canManage && (
        <div className="card">
          <h3>Add a pool</h3>
          <PoolForm venueId={venueId} eventId={eventId} onDone={refresh} />
        </div>
      )}
    </section>
  );
}
