/**
 * Scans waiting to upload, kept in localStorage so a reload or a dead battery loses
 * none. Each scan carries its client nonce: uploading one twice (the answer was lost)
 * is harmless, the API answers it from its record.
 */
import type { Schemas } from "../../api/client";

export type ScanIn = Schemas["ScanIn"];

export interface QueuedScan {
  venueId: string;
  eventId: string;
  scan: ScanIn;
}

const KEY = "socia.door.queue";

function storage(): Storage | null {
  try {
    return typeof localStorage !== "undefined" ? localStorage : null;
  } catch {
    return null;
  }
}

export function readQueue(): QueuedScan[] {
  const raw = storage()?.getItem(KEY);
  if (!raw) return [];
  try {
    const parsed = JSON.parse(raw) as unknown;
    return Array.isArray(parsed) ? (parsed as QueuedScan[]) : [];
  } catch {
    return [];
  }
}

function write(queue: QueuedScan[]): void {
  const store = storage();
  if (!store) return;
  if (queue.length === 0) store.removeItem(KEY);
  else store.setItem(KEY, JSON.stringify(queue));
}

export function enqueue(item: QueuedScan): number {
  const queue = readQueue();
  if (!queue.some((q) => q.scan.client_nonce === item.scan.client_nonce)) queue.push(item);
  write(queue);
  return queue.length;
}

/** Forget the scans whose nonces were uploaded. */
export function dequeue(nonces: Iterable<string>): number {
  const done = new Set(nonces);
  const queue = readQueue().filter((q) => !done.has(q.scan.client_nonce));
  write(queue);
  return queue.length;
}

/** The queue as batches of one event each, at most `size` scans per batch (the API takes 200). */
export function batches(queue: QueuedScan[], size = 200): QueuedScan[][] {
  const byEvent = new Map<string, QueuedScan[]>();
  for (const item of queue) {
    const key = `${item.venueId}/${item.eventId}`;
    byEvent.set(key, [...(byEvent.get(key) ?? []), item]);
  }
  const out: QueuedScan[][] = [];
  for (const items of byEvent.values()) {
    for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  }
  return out;
}
