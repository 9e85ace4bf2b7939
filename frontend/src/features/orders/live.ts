/**
 * A venue's live board over Server-Sent Events (backend/app/api/routes/live.py).
 *
 * An EventSource sends no headers, so each connection starts with a short-lived stream
 * token (`POST /api/v1/live/tokens`), whose answer has the stream's URL. When the
 * stream ends (the server closes it after LIVE_STREAM_MAX_SECONDS) or drops, the
 * browser's own reconnect would reuse an expired token, so this closes it and opens a
 * new one with a fresh token and `last_event_id` (what the browser would send as
 * Last-Event-ID): the server replays what was missed. After a reconnect the caller
 * refetches the board too (`onResync`), in case the log no longer held everything.
 * An `end` event (the user's role was taken away, the account closed, every session
 * signed out) stops it for good: no reconnect.
 */

/** What an EventSource offers that this uses (a fake one in tests). */
export interface EventSourceLike {
  addEventListener(type: string, listener: (event: MessageEvent) => void): void;
  close(): void;
  onopen: ((event: Event) => void) | null;
  onerror: ((event: Event) => void) | null;
}

export type EventSourceFactory = (url: string) => EventSourceLike;

export const browserEventSource: EventSourceFactory = (url) => new EventSource(url);

/** One event of the stream: `data` is the JSON the server sent (see `_STREAM_DOC`). */
export interface LiveEvent {
  id: number;
  kind: "order" | "session" | "bill";
  venue_id: string;
  parent_venue_id: string | null;
  session_id: string | null;
  order_id: string | null;
  created_at: string;
  data: Record<string, unknown>;
}

/** `ended`: the server said this user may no longer follow the stream (`event: end`). */
export type LiveStatus = "connecting" | "live" | "reconnecting" | "ended";

export interface LiveOptions {
  /** A fresh stream URL (with its token), resuming after `lastEventId` when given. */
  streamUrl: (lastEventId: number | null) => Promise<string>;
  onEvent: (event: LiveEvent) => void;
  onStatus?: (status: LiveStatus) => void;
  /** Called when a connection opens again after one was lost: refetch what is shown. */
  onResync?: () => void;
  createEventSource?: EventSourceFactory;
  /** Wait before reconnect number `attempt` (1, 2, ...), in ms. */
  backoff?: (attempt: number) => number;
}

const KINDS = ["order", "session", "bill"] as const;

export function defaultBackoff(attempt: number): number {
  return Math.min(15_000, 500 * 2 ** Math.min(attempt - 1, 5));
}

export class LiveConnection {
  private source: EventSourceLike | null = null;
  private lastEventId: number | null = null;
  private attempt = 0;
  private lostOnce = false;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly options: Required<Omit<LiveOptions, "onStatus" | "onResync">> &
    Pick<LiveOptions, "onStatus" | "onResync">;

  constructor(options: LiveOptions) {
    this.options = { createEventSource: browserEventSource, backoff: defaultBackoff, ...options };
  }

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.source?.close();
    this.source = null;
  }

  /** The last event id seen (where a new connection resumes). */
  get position(): number | null {
    return this.lastEventId;
  }

  private status(status: LiveStatus) {
    this.options.onStatus?.(status);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.status(this.lostOnce ? "reconnecting" : "connecting");
    let url: string;
    try {
      url = await this.options.streamUrl(this.lastEventId);
    } catch {
      this.retry();
      return;
    }
    if (this.stopped) return;
    const source = this.options.createEventSource(url);
    this.source = source;
    source.onopen = () => {
      if (this.source !== source) return;
      this.attempt = 0;
      this.status("live");
      if (this.lostOnce) this.options.onResync?.();
    };
    source.onerror = () => {
      if (this.source !== source) return;
      // Ended or dropped: never let the browser retry with the old token.
      source.close();
      this.source = null;
      this.lostOnce = true;
      this.retry();
    };
    source.addEventListener("end", () => {
      if (this.source !== source) return;
      this.stop();
      this.status("ended");
    });
    source.addEventListener("ready", (message) => {
      const id = Number(message.lastEventId);
      if (Number.isFinite(id)) this.lastEventId = id;
    });
    for (const kind of KINDS) {
      source.addEventListener(kind, (message) => {
        if (this.source !== source) return;
        const id = Number(message.lastEventId);
        if (Number.isFinite(id) && message.lastEventId !== "") this.lastEventId = id;
        let event: LiveEvent;
        try {
          event = JSON.parse(String(message.data)) as LiveEvent;
        } catch {
          return;
        }
        this.options.onEvent(event);
      });
    }
  }

  private retry(): void {
    if (this.stopped) return;
    this.attempt += 1;
    this.status("reconnecting");
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, this.options.backoff(this.attempt));
  }
}

/** The stream URL of a venue's board, with a new token (and where to resume). */
export async function venueStreamUrl(
  createToken: () => Promise<{ url: string }>,
  lastEventId: number | null,
): Promise<string> {
  const { url } = await createToken();
  return lastEventId === null ? url : `${url}${url.includes("?") ? "&" : "?"}last_event_id=${lastEventId}`;
}
