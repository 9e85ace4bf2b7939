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

const AUTH_ROUTES = /\/api\/v1\/auth\/(login|refresh|logout|cookie\/)/;

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
  if (response.status !== 401 || token === null || AUTH_ROUTES.test(request.url)) {
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

// --- the session's refresh -------------------------------------------------------------

let refreshToken: string | null = null; // phase 1 only: replaced by the httpOnly cookie
let refreshing: Promise<boolean> | null = null;

/** Remember the tokens of a sign-in. */
export function startSession(tokens: { access_token: string; refresh_token: string }): void {
  refreshToken = tokens.refresh_token;
  setAccessToken(tokens.access_token);
}

/** Forget the session locally (the server side is ended by `signOut`). */
export function endSession(): void {
  refreshToken = null;
  setAccessToken(null);
}

export function currentRefreshToken(): string | null {
  return refreshToken;
}

/** Get a new access token; false (and signed out) when the session is over. */
export function refreshSession(): Promise<boolean> {
  refreshing ??= doRefresh().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function doRefresh(): Promise<boolean> {
  if (!refreshToken) {
    endSession();
    return false;
  }
  try {
    const { data } = await api.POST("/api/v1/auth/refresh", {
      body: { refresh_token: refreshToken },
    });
    if (!data) {
      endSession();
      return false;
    }
    startSession(data);
    return true;
  } catch {
    return false; // offline: keep the session, the next request tries again
  }
}
