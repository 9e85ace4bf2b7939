/**
 * The venue's team: members with their roles, invitations by email, role changes and
 * removal (owners), pending invitations (owners). The API protects the last owner (a
 * 409 `venue_needs_owner`); its message is shown where the change was asked for.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";

import { api, type Schemas, unwrap } from "../../api/client";
import { useAuth } from "../../auth/AuthProvider";
import { Field } from "../../components/Field";
import { FormError } from "../../components/FormError";
import { describeError } from "../../lib/errors";
import { formatDateTime } from "../../lib/time";
import { type VenueRole, hasRole } from "../../venue/VenueContext";
import { ConfirmButton } from "../common/ConfirmButton";
import { messageOf } from "../common/messages";
import { Badge, LoadError, Loading } from "../common/Status";

type MemberRead = Schemas["MemberRead"];

const ROLES: { value: VenueRole; label: string }[] = [
  { value: "staff", label: "Staff (door, floor, bar)" },
  { value: "manager", label: "Manager" },
  { value: "owner", label: "Owner" },
];

const keys = {
  members: (venueId: string) => ["staff", venueId, "members"] as const,
  invites: (venueId: string) => ["staff", venueId, "invites"] as const,
};

function InviteForm({ venueId }: { venueId: string }) {
  const queryClient = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const [sent, setSent] = useState<string | null>(null);
  const invite = useMutation({
    mutationFn: (body: { email: string; role: VenueRole }) =>
      unwrap(api.POST("/api/v1/venues/{venue_id}/invites", { params: { path: { venue_id: venueId } }, body })),
    onSuccess: (made) => {
      setSent(`Invitation sent to ${made.email} as ${made.role}.`);
      void queryClient.invalidateQueries({ queryKey: keys.invites(venueId) });
    },
    onError: setError,
  });
  const { fields, form } = describeError(error, ["email", "role"]);
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setError(null);
    setSent(null);
    const data = new FormData(e.currentTarget);
    const target = e.currentTarget;
    invite.mutate(
      { email: String(data.get("email") ?? "").trim(), role: String(data.get("role")) as VenueRole },
      { onSuccess: () => target.reset() },
    );
  }
  return (
    <form className="card stack" onSubmit={onSubmit} noValidate aria-labelledby="invite-title">
      <h2 id="invite-title">Invite someone</h2>
      <FormError message={form} />
      <p role="status" aria-live="polite" className={sent ? "notice" : "visually-hidden"}>
        {sent}
      </p>
      <div className="grid-2">
        <Field label="Email" name="email" type="email" autoComplete="off" required error={fields.email} />
        <Field label="Role" name="role" error={fields.role}>
          {(control) => (
            <select {...control} defaultValue="staff">
              {ROLES.map((r) => (
                <option key={r.value} value={r.value}>
                  {r.label}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <p className="muted">They get a link by email, valid for 7 days. Inviting the same address again replaces it.</p>
      <button type="submit" disabled={invite.isPending}>
        {invite.isPending ? "Sending…" : "Send the invitation"}
      </button>
    </form>
  );
}

function MemberRow({ venueId, member, isOwner, isMe }: { venueId: string; member: MemberRead; isOwner: boolean; isMe: boolean }) {
  const queryClient = useQueryClient();
  const [role, setRole] = useState<VenueRole>(member.role);
  const [error, setError] = useState<string | null>(null);
  const path = { venue_id: venueId, user_id: member.user_id };
  const refresh = () => void queryClient.invalidateQueries({ queryKey: keys.members(venueId) });
  const change = useMutation({
    mutationFn: (to: VenueRole) =>
      unwrap(api.PATCH("/api/v1/venues/{venue_id}/members/{user_id}", { params: { path }, body: { role: to } })),
    onMutate: () => setError(null),
    onSuccess: refresh,
    onError: (e) => {
      setError(messageOf(e));
      setRole(member.role);
    },
  });
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/v1/venues/{venue_id}/members/{user_id}", { params: { path } })),
    onMutate: () => setError(null),
    onSuccess: refresh,
    onError: (e) => setError(messageOf(e)),
  });
  const name = member.full_name || member.email || "A member";
  const errorId = `member-error-${member.user_id}`;
  return (
    <li className="card stack">
      <div className="offering__head">
        <h3>
          {name}
          {isMe && <span className="muted"> (you)</span>}
        </h3>
        <Badge tone={member.role === "owner" ? "ok" : "neutral"}>{member.role}</Badge>
      </div>
      {member.email && member.full_name && <p className="muted">{member.email}</p>}
      <p className="muted">Since {formatDateTime(member.created_at)}</p>
      {isOwner && (
        <div className="actions">
          <label className="visually-hidden" htmlFor={`role-${member.user_id}`}>
            Role of {name}
          </label>
          <select
            id={`role-${member.user_id}`}
            value={role}
            aria-describedby={error ? errorId : undefined}
            aria-invalid={error ? true : undefined}
            onChange={(e) => setRole(e.target.value as VenueRole)}
            style={{ width: "auto" }}
          >
            {ROLES.map((r) => (
              <option key={r.value} value={r.value}>
                {r.value}
              </option>
            ))}
          </select>
          <button type="button" disabled={role === member.role || change.isPending} onClick={() => change.mutate(role)}>
            Change the role
          </button>
          <ConfirmButton question={`Remove ${name} from the venue?`} confirmLabel="Remove" onConfirm={() => remove.mutate()} disabled={remove.isPending}>
            Remove
          </ConfirmButton>
        </div>
      )}
      {error && (
        <p id={errorId} className="field__error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}

export function StaffScreen({ venueId, role }: { venueId: string; role: VenueRole }) {
  const { user } = useAuth();
  const queryClient = useQueryClient();
  const isOwner = role === "owner";
  const members = useQuery({
    queryKey: keys.members(venueId),
    queryFn: () => unwrap(api.GET("/api/v1/venues/{venue_id}/members", { params: { path: { venue_id: venueId } } })),
    enabled: hasRole(role, "manager"),
  });
  const invites = useQuery({
    queryKey: keys.invites(venueId),
    queryFn: () => unwrap(api.GET("/api/v1/venues/{venue_id}/invites", { params: { path: { venue_id: venueId } } })),
    enabled: isOwner,
  });
  const [inviteError, setInviteError] = useState<string | null>(null);
  const revoke = useMutation({
    mutationFn: (inviteId: string) =>
      unwrap(api.DELETE("/api/v1/venues/{venue_id}/invites/{invite_id}", { params: { path: { venue_id: venueId, invite_id: inviteId } } })),
    onMutate: () => setInviteError(null),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys.invites(venueId) }),
    onError: (e) => setInviteError(messageOf(e)),
  });

  if (!hasRole(role, "manager")) {
    return <p className="muted">The team is for the venue's managers and owners. Ask one of them to change your role.</p>;
  }
  const owners = members.data?.filter((m) => m.role === "owner").length ?? 0;
  return (
    <div className="stack">
      {isOwner ? <InviteForm venueId={venueId} /> : <p className="muted">Only owners invite people and change roles.</p>}
      <section aria-labelledby="members-title" className="stack">
        <h2 id="members-title">The team{members.data ? ` (${members.data.length})` : ""}</h2>
        {owners === 1 && isOwner && (
          <p className="muted">The venue has one owner: make someone else owner before that owner leaves or changes role.</p>
        )}
        {members.isPending && <Loading />}
        {members.isError && <LoadError error={members.error} what="The team" />}
        {members.data && (
          <ul className="cards">
            {members.data.map((m) => (
              <MemberRow key={m.user_id} venueId={venueId} member={m} isOwner={isOwner} isMe={m.user_id === user?.id} />
            ))}
          </ul>
        )}
      </section>
      {isOwner && (
        <section aria-labelledby="invites-title" className="stack">
          <h2 id="invites-title">Invitations waiting</h2>
          {inviteError && (
            <p className="form-error" role="alert">
              {inviteError}
            </p>
          )}
          {invites.isPending && <Loading />}
          {invites.isError && <LoadError error={invites.error} what="The invitations" />}
          {invites.data && invites.data.length === 0 && <p className="muted">No invitation waiting.</p>}
          {invites.data && invites.data.length > 0 && (
            <ul className="cards">
              {invites.data.map((inv) => (
                <li key={inv.id} className="card offering__head">
                  <span>
                    <strong>{inv.email}</strong> as {inv.role} · until {formatDateTime(inv.expires_at)}
                  </span>
                  <ConfirmButton question={`Withdraw the invitation to ${inv.email}?`} confirmLabel="Withdraw" onConfirm={() => revoke.mutate(inv.id)}>
                    Withdraw
                  </ConfirmButton>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
    </div>
  );
}
