/** /invites/accept?token=: the link of a staff invitation (signed in with the invited
 * address; signed-out visitors sign in first and come back here). */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useNavigate, useSearchParams } from "react-router";

import { api, unwrap } from "../../api/client";
import { useAuth } from "../../auth/AuthProvider";
import { FormError } from "../../components/FormError";
import { describeError } from "../../lib/errors";
import { venuePath } from "../../nav";
import { MY_VENUES_KEY } from "../../venue/VenueContext";
import { AccountPage, linkToken } from "./AccountPage";

export default function AcceptInvitePage() {
  const [search] = useSearchParams();
  const token = linkToken(search);
  const { user } = useAuth();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const accept = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/invites/accept", { body: { token } })),
    onSuccess: async (membership) => {
      await queryClient.invalidateQueries({ queryKey: MY_VENUES_KEY });
      navigate(venuePath(membership.venue_id), { replace: true });
    },
  });
  const { form } = describeError(accept.error);
  return (
    <AccountPage title="Join a venue's team">
      <FormError message={token ? form : "This link has no token: open the link from the email again."} />
      <p>
        You are signed in as <strong>{user?.email}</strong>. The invitation must have been sent to this
        address.
      </p>
      <button type="button" disabled={!token || accept.isPending} onClick={() => accept.mutate()}>
        {accept.isPending ? "Joining…" : "Accept the invitation"}
      </button>
    </AccountPage>
  );
}
