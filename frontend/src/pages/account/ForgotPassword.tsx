/** /forgot-password: ask for a reset link (the answer is the same for any address). */
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useRef } from "react";
import { Link } from "react-router";

import { api, unwrap } from "../../api/client";
import { Field } from "../../components/Field";
import { FormError } from "../../components/FormError";
import { describeError } from "../../lib/errors";
import { useFocusFirstError } from "../../lib/focus";
import { AccountPage } from "./AccountPage";

export default function ForgotPasswordPage() {
  const forgot = useMutation({
    mutationFn: (email: string) => unwrap(api.POST("/api/v1/auth/password/forgot", { body: { email } })),
  });
  const formRef = useRef<HTMLFormElement>(null);
  useFocusFirstError(formRef, forgot.error);
  if (forgot.isSuccess) {
    return (
      <AccountPage title="Check your inbox">
        <p role="status">{forgot.data.message}</p>
        <p>
          <Link to="/sign-in">Back to sign-in</Link>
        </p>
      </AccountPage>
    );
  }
  const { fields, form } = describeError(forgot.error, ["email"]);
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    forgot.mutate(String(new FormData(event.currentTarget).get("email") ?? ""));
  }
  return (
    <AccountPage title="Forgot your password?">
      <form ref={formRef} onSubmit={onSubmit} noValidate aria-labelledby="account-title">
        <FormError message={form} />
        <Field label="Email" name="email" type="email" autoComplete="email" required error={fields.email} />
        <button type="submit" disabled={forgot.isPending}>
          {forgot.isPending ? "Sending…" : "Email me a reset link"}
        </button>
      </form>
      <p>
        <Link to="/sign-in">Back to sign-in</Link>
      </p>
    </AccountPage>
  );
}
