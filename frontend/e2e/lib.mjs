// Helpers for e2e scenarios (see e2e/README.md): the demo logins, direct API calls
// against the backend the run started, and small waits.
import assert from "node:assert/strict";

export { assert };

/** Every demo login's password (backend/app/seed/people.py). */
export const DEMO_PASSWORD = "socia-demo-2026";

/** Demo business logins (backend/app/seed/venues.py: manager.<slug>@demo.socia.app, ...). */
export const DEMO = {
  admin: "admin@socia.app",
  owner: "owner.toit@demo.socia.app",
  manager: "manager.the-brew-yard@demo.socia.app",
  managerVenue: "The Brew Yard",
  doorStaff: "staff.bassline@demo.socia.app",
};

/**
 * A tiny client for the backend itself (not through the browser), for setting up
 * and checking what the screens did: `const api = backendApi(ctx.backendUrl)`,
 * `const token = await api.login(DEMO.manager)`, `await api.get("/api/v1/venues/mine", token)`.
 */
export function backendApi(baseUrl) {
  async function call(method, path, { token, body, headers = {} } = {}) {
    const response = await fetch(baseUrl + path, {
      method,
      headers: {
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) {
      const error = new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
      error.status = response.status;
      error.body = data;
      throw error;
    }
    return data;
  }
  return {
    call,
    get: (path, token, options = {}) => call("GET", path, { ...options, token }),
    post: (path, body, token, options = {}) => call("POST", path, { ...options, body, token }),
    patch: (path, body, token, options = {}) => call("PATCH", path, { ...options, body, token }),
    delete: (path, token, options = {}) => call("DELETE", path, { ...options, token }),
    /** An access token for a business login (the token route, as the mobile app uses). */
    async login(email, password = DEMO_PASSWORD) {
      const response = await fetch(`${baseUrl}/api/v1/auth/login`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ username: email, password }),
      });
      if (!response.ok) throw new Error(`login ${email}: ${response.status} ${await response.text()}`);
      return (await response.json()).access_token;
    },
  };
}

/** Sign in through the dashboard's sign-in page and wait for the venue switcher. */
export async function signIn(page, email = DEMO.manager, password = DEMO_PASSWORD) {
  await page.goto("/sign-in");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("combobox", { name: "Venue" }).waitFor();
}

/** Poll `check` (async, truthy when done) until it passes or `timeoutMs` elapses. */
export async function eventually(check, { timeoutMs = 10_000, intervalMs = 100, what = "condition" } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * The link of the last email sent to `to` whose URL contains `path` (the run's backend
 * writes emails to its log: EMAIL_BACKEND=console), polled until the job has sent it.
 */
export async function emailedLink(ctx, { to, path, after = 0 }) {
  const pattern = new RegExp(`https?://[^\\s"'<>]*${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\?token=[A-Za-z0-9_.~=%-]+`);
  return eventually(
    () => {
      const log = ctx.backendLog().slice(after);
      const start = log.lastIndexOf(`email to ${to}:`);
      if (start < 0) return null;
      return log.slice(start).match(pattern)?.[0] ?? null;
    },
    { timeoutMs: 20_000, what: `an email to ${to} with a ${path} link` },
  );
}
