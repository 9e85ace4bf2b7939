/**
 * Idempotency keys for money-moving writes (refunds, cancelling an event, moving an
 * order, which may refund). One key per user action: the first press of "Refund ₹500"
 * makes a key with `crypto.randomUUID()`; pressing it again after a failure (a timeout,
 * a dropped connection) sends the same key, so the money moves once. Once the action
 * succeeded, or the person changes what they ask for (another amount), a new key.
 *
 *   const keys = useIdempotencyKeys();
 *   const key = keys.for(`refund:${booking.id}:${amount}`);
 *   await unwrap(api.POST(path, { params: { header: { "Idempotency-Key": key } }, ... }));
 *   keys.done(`refund:${booking.id}:${amount}`);
 */
import { useRef } from "react";

export function newKey(): string {
  if (typeof crypto !== "undefined" && typeof crypto.randomUUID === "function") {
    return crypto.randomUUID();
  }
  // Old browsers on plain http: random enough for a retry key.
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
}

export class IdempotencyKeys {
  private readonly keys = new Map<string, string>();

  /** The key of this action: the same one until `done(action)`. */
  for(action: string): string {
    let key = this.keys.get(action);
    if (!key) {
      key = newKey();
      this.keys.set(action, key);
    }
    return key;
  }

  /** The action went through: the next one like it is a new action. */
  done(action: string): void {
    this.keys.delete(action);
  }
}

/** Keys that live as long as the component (a retry after a failure reuses them). */
export function useIdempotencyKeys(): IdempotencyKeys {
  const ref = useRef<IdempotencyKeys | null>(null);
  ref.current ??= new IdempotencyKeys();
  return ref.current;
}
