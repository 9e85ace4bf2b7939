/** /reset-password?token=: the link of the password reset email. */
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router";

import { api, unwrap } from "../../api/client";
import { Field } from "../../components/Field";
import { FormError } from "../../components/FormError";
import { describeError } from "../../lib/errors";
import { useFocusFirstError } from "../../lib/focus";
import { AccountPage, linkToken } from "./AccountPage";

const FIELDS = ["new_password"] as const;

export default function ResetPasswordPage() {
  const [search] = useSearchParams();
  const token = linkToken(search);
  const [mismatch, setMismatch] = useState(false);
  const reset = useMutation({
    mutationFn: (new_password: string) =>
      unwrap(api.POST("/api/v1/auth/password/reset", { body: { token, new_password } })),
  });
  const formRef = useRef<HTMLFormElement>(null);
  useFocusFirstError(formRef, reset.error);

  if (reset.isSuccess) {
    return (
      <AccountPage title="Password changed">
        <p role="status">{reset.data.message}</p>
        <p>
          <Link to="/sign-in">Sign in</Link>
        </p>
      </AccountPage>
    );
  }

  const { fields, form } = describeError(reset.error, FIELDS);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const password = String(data.get("new_password") ?? "");
    const same = password === String(data.get("confirm_password") ?? "");
    setMismatch(!same);
    if (same) reset.mutate(password);
  }

  return (
    <AccountPage title="Choose a new password">
      <form ref={formRef} onSubmit={onSubmit} noValidate aria-labelledby="account-title">
        <FormError message={token ? form : "This link has no token: open the link from the email again."} />
        <Field
          label="New password"
          name="new_password"
          type="password"
          autoComplete="new-password"
          required
          hint="At least 10 characters, with a letter and a digit or symbol."
          error={fields.new_password}
        />
        <Field
          label="The same password again"
          name="confirm_password"
          type="password"
          autoComplete="new-password"
          required
          error={mismatch ? "The two passwords are not the same" : null}
        />
        <button type="submit" disabled={!token || reset.isPending}>
          {reset.isPending ? "Saving…" : "Change my password"}
        </button>
      </form>
    </AccountPage>
  );
}
