/** /verify-email?token=: the link of the confirmation email. Opening it spends nothing
 * (a mail scanner may fetch it); the button confirms. */
import { useMutation } from "@tanstack/react-query";
import { Link, useSearchParams } from "react-router";

import { api, unwrap } from "../../api/client";
import { FormError } from "../../components/FormError";
import { describeError } from "../../lib/errors";
import { AccountPage, linkToken } from "./AccountPage";

export default function VerifyEmailPage() {
  const [search] = useSearchParams();
  const token = linkToken(search);
  const verify = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/auth/email/verify", { body: { token } })),
  });
  if (verify.isSuccess) {
    return (
      <AccountPage title="Address confirmed">
        <p role="status">{verify.data.email} is confirmed.</p>
        <p>
          <Link to="/sign-in">Sign in</Link>
        </p>
      </AccountPage>
    );
  }
  const { form } = describeError(verify.error);
  return (
    <AccountPage title="Confirm your email address">
      <FormError message={token ? form : "This link has no token: open the link from the email again."} />
      <p>Press the button to confirm the address you signed up with.</p>
      <button type="button" disabled={!token || verify.isPending} onClick={() => verify.mutate()}>
        {verify.isPending ? "Confirming…" : "Confirm my address"}
      </button>
    </AccountPage>
  );
}
