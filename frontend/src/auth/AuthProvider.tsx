/**
 * Who is signed in. `useAuth()` gives the user, `signIn(email, password)` and
 * `signOut()`; `<RequireAuth>` sends signed-out visitors to /sign-in and back after.
 */
import { useQueryClient } from "@tanstack/react-query";
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
} from "react";
import { Navigate, useLocation } from "react-router";

import { api, csrfToken, endSession, refreshSession, startSession, unwrap } from "../api/client";
import type { Schemas } from "../api/client";
import { onAccessTokenChange } from "../api/session";

export type User = Schemas["UserRead"];

type Status = "loading" | "signedOut" | "signedIn";

export interface Auth {
  status: Status;
  user: User | null;
  /** Throws `ApiError` (401 `invalid_credentials`, 422 with field errors, ...). */
  signIn: (email: string, password: string) => Promise<User>;
  /** End this session (server side too) and forget it here. */
  signOut: () => Promise<void>;
  /** End every session of the account, on every device. */
  signOutEverywhere: () => Promise<void>;
}

const AuthContext = createContext<Auth | null>(null);

async function loadMe(): Promise<User> {
  return unwrap(api.GET("/api/v1/users/me"));
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<Status>("loading");
  const [user, setUser] = useState<User | null>(null);

  // On start: resume the session if the refresh works.
  useEffect(() => {
    let cancelled = false;
    void (async () => {
      const resumed = await refreshSession();
      if (cancelled) return;
      if (!resumed) {
        setStatus("signedOut");
        return;
      }
      try {
        const me = await loadMe();
        if (!cancelled) {
          setUser(me);
          setStatus("signedIn");
        }
      } catch {
        if (!cancelled) setStatus("signedOut");
      }
    })();
    return () => {
      cancelled = true;
    };
  }, []);

  // A failed refresh (session revoked elsewhere, expired) signs out here too.
  useEffect(
    () =>
      onAccessTokenChange((token) => {
        if (token === null) {
          setUser(null);
          setStatus("signedOut");
          queryClient.clear();
        }
      }),
    [queryClient],
  );

  const signIn = useCallback(async (email: string, password: string) => {
    const session = await unwrap(api.POST("/api/v1/auth/cookie/login", { body: { email, password } }));
    startSession(session);
    const me = await loadMe();
    setUser(me);
    setStatus("signedIn");
    return me;
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api.POST("/api/v1/auth/cookie/logout", {
        params: { header: { "X-CSRF-Token": csrfToken() } },
      });
    } finally {
      endSession();
    }
  }, []);

  const signOutEverywhere = useCallback(async () => {
    try {
      await unwrap(api.POST("/api/v1/auth/cookie/logout/all"));
    } finally {
      endSession();
    }
  }, []);

  const value = useMemo<Auth>(
    () => ({ status, user, signIn, signOut, signOutEverywhere }),
    [status, user, signIn, signOut, signOutEverywhere],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error("useAuth() outside <AuthProvider>");
  return auth;
}

/** Render children when signed in; otherwise go to /sign-in (and come back after). */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { status } = useAuth();
  const location = useLocation();
  if (status === "loading") {
    return (
      <p className="page-status" role="status">
        Loading…
      </p>
    );
  }
  if (status === "signedOut") {
    const next = location.pathname + location.search;
    return <Navigate to={`/sign-in?next=${encodeURIComponent(next)}`} replace />;
  }
  return <>{children}</>;
}
