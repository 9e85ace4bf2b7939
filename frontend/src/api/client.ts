/**
 * The typed API client: `api.GET("/api/v1/venues/mine", ...)`, generated types from
 * openapi.json (src/api/schema.d.ts, `npm run generate`; never edit it).
 *
 * Every request carries the in-memory access token. A 401 on a signed-in request
 * refreshes the session once (one refresh for any number of requests failing at the
 * same time) and retries the request with the new token; when the refresh fails the
 * session ends (`onAccessTokenChange` listeners hear `null`).
 *
 * With TanStack Query, wrap calls in `unwrap` so errors reject as `ApiError`:
 *
 *   useQuery({ queryKey: ["venue", id], queryFn: () =>
 *     unwrap(api.GET("/api/v1/venues/{venue_id}", { params: { path: { venue_id: id } } })) })
 */
import createClient from "openapi-fetch";

import { ApiError, toApiError } from "../lib/errors";
import type { components, paths } from "./schema";
import { getAccessToken, setAccessToken } from "./session";

export type Schemas = components["schemas"];

// A 401 from these means "wrong credentials" or "no session": never refresh-and-retry.
const NO_RETRY = /\/api\/v1\/auth\/(cookie\/)?(login|refresh)(\?|$)/;

function origin(): string {
  return typeof window !== "undefined" ? window.location.origin : "";
}

function withToken(request: Request, token: string | null): Request {
  if (token) request.headers.set("Authorization", `Bearer ${token}`);
  return request;
}

/** `fetch` with the access token and one refresh-and-retry on 401. */
export async function authFetch(request: Request): Promise<Response> {
  const retry = request.clone();
  const token = getAccessToken();
  const response = await fetch(withToken(request, token));
  if (response.status !== 401 || token === null || NO_RETRY.test(request.url)) {
    return response;
  }
  // Another request may have refreshed already; otherwise refresh now.
  const fresh = getAccessToken() !== token || (await refreshSession());
  if (!fresh) return response;
  return fetch(withToken(retry, getAccessToken()));
}

export const api = createClient<paths>({ baseUrl: origin(), fetch: authFetch });

/** The data of an openapi-fetch answer, or an `ApiError` thrown. */
export async function unwrap<D>(
  call: Promise<{ data?: D; error?: unknown; response: Response }>,
): Promise<D> {
  let result: { data?: D; error?: unknown; response: Response };
  try {
    result = await call;
  } catch {
    throw new ApiError(0, "network", "The server cannot be reached; check the connection");
  }
  if (result.error !== undefined || !result.response.ok) {
    throw toApiError(result.response.status, result.error);
  }
  return result.data as D;
}

// --- the session: refresh token in an httpOnly cookie -----------------------------------
//
// The backend keeps the refresh token in the httpOnly `socia_refresh` cookie (sent only to
// /api/v1/auth/cookie/...) and sets `socia_csrf`, readable here, whose value must come
// back in the X-CSRF-Token header (a signed double submit: backend/app/core/csrf.py).

let refreshing: Promise<boolean> | null = null;

/** The value of the readable CSRF cookie (empty when there is no session cookie). */
export function csrfToken(): string {
  const match = document.cookie.match(/(?:^|;\s*)socia_csrf=([^;]*)/);
  return match?.[1] ? decodeURIComponent(match[1]) : "";
}

/** Remember the access token of a sign-in or a refresh (memory only). */
export function startSession(session: { access_token: string }): void {
  setAccessToken(session.access_token);
}

/** Forget the session locally (the server side is ended by the auth hook's signOut). */
export function endSession(): void {
  setAccessToken(null);
}

/**
 * Get a new access token with the refresh cookie; false (and signed out) when there is
 * no session any more. Concurrent callers share one request.
 */
export function refreshSession(): Promise<boolean> {
  refreshing ??= doRefresh().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function doRefresh(): Promise<boolean> {
  const csrf = csrfToken();
  if (!csrf) {
    endSession(); // never signed in in this browser, or signed out: no request needed
    return false;
  }
  try {
    const { data, response } = await api.POST("/api/v1/auth/cookie/refresh", {
      params: { header: { "X-CSRF-Token": csrf } },
    });
    if (data) {
      startSession(data);
      return true;
    }
    if (response.status === 401 || response.status === 403) {
      // The session is over (the answer removed the refresh cookie); drop the CSRF
      // cookie too, so the next start does not ask again.
      document.cookie = "socia_csrf=; Max-Age=0; Path=/; SameSite=Strict";
      endSession();
    }
    return false; // a 5xx: the cookies stay, a later try may resume the session
  } catch {
    return false; // offline: keep what we have; the next request tries again
  }
}
