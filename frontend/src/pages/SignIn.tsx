/** Sign-in for business accounts (email and password). */
import { type FormEvent, useRef, useState } from "react";
import { Link, Navigate, useNavigate, useSearchParams } from "react-router";

import { useAuth } from "../auth/AuthProvider";
import { Field } from "../components/Field";
import { FormError } from "../components/FormError";
import { describeError } from "../lib/errors";
import { useFocusFirstError } from "../lib/focus";

const FIELDS = ["email", "password"] as const;

/** Only same-site paths: never an open redirect. */
function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export default function SignInPage() {
  const { status, signIn } = useAuth();
  const navigate = useNavigate();
  const [search] = useSearchParams();
  const next = safeNext(search.get("next"));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  useFocusFirstError(formRef, error);

  if (status === "signedIn") return <Navigate to={next} replace />;

  const { fields, form } = describeError(error, FIELDS);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      await signIn(String(data.get("email") ?? ""), String(data.get("password") ?? ""));
      navigate(next, { replace: true });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="sign-in">
      <form ref={formRef} className="card" onSubmit={onSubmit} noValidate aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in to Socia</h1>
        <p className="muted">For venue owners, managers and staff.</p>
        <FormError message={form} />
        <Field label="Email" name="email" type="email" autoComplete="username" required error={fields.email} />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          error={fields.password}
        />
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p className="sign-in__links">
          <Link to="/forgot-password">Forgot your password?</Link>
          <Link to="/register">Create an account</Link>
        </p>
      </form>
    </main>
  );
}
