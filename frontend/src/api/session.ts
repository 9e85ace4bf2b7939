/**
 * The signed-in session, in memory only: the access token is never written to
 * localStorage, sessionStorage or a readable cookie. After a reload the app asks the
 * backend for a new access token with the refresh cookie (see `refreshSession`).
 */

let accessToken: string | null = null;
const listeners = new Set<(token: string | null) => void>();

export function getAccessToken(): string | null {
  return accessToken;
}

export function setAccessToken(token: string | null): void {
  if (token === accessToken) return;
  accessToken = token;
  for (const listener of listeners) listener(token);
}

/** Called whenever the token changes (null: signed out, e.g. the refresh failed). */
export function onAccessTokenChange(listener: (token: string | null) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
