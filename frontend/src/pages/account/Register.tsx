/** /register: a business account (for someone invited to a venue's team, or a new
 * venue's owner); a confirmation link is emailed. */
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useRef } from "react";
import { Link } from "react-router";

import { api, unwrap } from "../../api/client";
import { Field } from "../../components/Field";
import { FormError } from "../../components/FormError";
import { describeError } from "../../lib/errors";
import { useFocusFirstError } from "../../lib/focus";
import { AccountPage } from "./AccountPage";

const FIELDS = ["full_name", "email", "password"] as const;

export default function RegisterPage() {
  const register = useMutation({
    mutationFn: (body: { full_name: string; email: string; password: string }) =>
      unwrap(api.POST("/api/v1/auth/register", { body })),
  });
  const formRef = useRef<HTMLFormElement>(null);
  useFocusFirstError(formRef, register.error);
  if (register.isSuccess) {
    return (
      <AccountPage title="Check your inbox">
        <p role="status">{register.data.message}</p>
        <p>
          <Link to="/sign-in">Back to sign-in</Link>
        </p>
      </AccountPage>
    );
  }
  const { fields, form } = describeError(register.error, FIELDS);
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    register.mutate({
      full_name: String(data.get("full_name") ?? ""),
      email: String(data.get("email") ?? ""),
      password: String(data.get("password") ?? ""),
    });
  }
  return (
    <AccountPage title="Create a business account">
      <form ref={formRef} onSubmit={onSubmit} noValidate aria-labelledby="account-title">
        <FormError message={form} />
        <Field label="Your name" name="full_name" autoComplete="name" required error={fields.full_name} />
        <Field label="Email" name="email" type="email" autoComplete="email" required error={fields.email} />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          hint="At least 10 characters, with a letter and a digit or symbol."
          error={fields.password}
        />
        <button type="submit" disabled={register.isPending}>
          {register.isPending ? "Creating…" : "Create the account"}
        </button>
      </form>
      <p>
        Already have one? <Link to="/sign-in">Sign in</Link>
      </p>
    </AccountPage>
  );
}
