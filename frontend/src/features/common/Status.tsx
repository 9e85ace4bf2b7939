/** Loading and error lines for a query, the same everywhere. */
import type { ReactNode } from "react";

export function Loading({ children = "Loading…" }: { children?: ReactNode }) {
  return (
    <p className="muted" role="status">
      {children}
    </p>
  );
}

export function LoadError({ error, what }: { error: unknown; what: string }) {
  const message = error instanceof Error ? error.message : String(error);
  return (
    <p className="form-error" role="alert">
      {what} could not be loaded: {message}
    </p>
  );
}

/** A small coloured label: `<Badge tone="ok">on sale</Badge>`. */
export function Badge({ tone = "neutral", children }: { tone?: "ok" | "warn" | "danger" | "neutral"; children: ReactNode }) {
  return <span className={`badge badge--${tone}`}>{children}</span>;
}
