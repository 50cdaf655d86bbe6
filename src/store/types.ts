/**
 * The Store port: what the rest of Baton may ask of persistence. One implementation (Kysely) serves both
 * dialects, PGlite (embedded) and PostgreSQL, with one set of migrations.
 */

/** Processing state of a received webhook event. */
export type WebhookEventStatus = "pending" | "processed" | "failed" | "ignored";

export interface NewWebhookEvent {
  readonly providerId: string;
  /** `x-8x8-event-id`: stable across 8x8's retries of one event, so it is the de-duplication key. */
  readonly eventId: string;
  readonly eventType: string;
  /** Absent on events that belong to no conversation (WEB_HOOK_VERIFY). */
  readonly conversationId: string | null;
  /** The payload's `timestamp`, epoch milliseconds (0 or absent on some events). */
  readonly eventTimestamp: number;
  /** `x-8x8-retry` of the delivery that was stored (the first one that arrived). */
  readonly retry: number;
  /** The exact body bytes as UTF-8 text, kept for audit and replay. */
  readonly body: string;
}

export interface StoredWebhookEvent extends NewWebhookEvent {
  /** Monotonic insertion order; ties on `eventTimestamp` are broken by it. */
  readonly seq: number;
  readonly status: WebhookEventStatus;
  readonly receivedAt: Date;
  readonly processedAt: Date | null;
  readonly error: string | null;
  /** How many later deliveries of the same event id were seen and dropped. */
  readonly duplicates: number;
}

export interface WebhookEventQuery {
  readonly providerId?: string;
  readonly conversationId?: string;
  readonly status?: WebhookEventStatus;
  /** At most this many, newest first. Default 100. */
  readonly limit?: number;
}

export interface WebhookEventRepository {
  /**
   * Records the event unless one with the same (providerId, eventId) exists. Atomic, so concurrent
   * deliveries of one event (8x8 retries, several instances) store it exactly once.
   * @returns `inserted: false` for a duplicate (its duplicate counter is incremented).
   */
  recordIfNew(event: NewWebhookEvent): Promise<{ inserted: boolean; seq: number }>;
  /** Sets the final status of an event after it was handed on (or deliberately ignored). */
  markDone(
    providerId: string,
    eventId: string,
    status: Exclude<WebhookEventStatus, "pending">,
    error?: string,
  ): Promise<void>;
  /** Events not yet processed, oldest first: the ones to hand on again after a restart. */
  listPending(providerId: string): Promise<StoredWebhookEvent[]>;
  find(providerId: string, eventId: string): Promise<StoredWebhookEvent | undefined>;
  list(query?: WebhookEventQuery): Promise<StoredWebhookEvent[]>;
}

export type StoreDialect = "pglite" | "postgres";

export interface Store {
  readonly dialect: StoreDialect;
  readonly webhookEvents: WebhookEventRepository;
  /** Applies pending migrations; safe to call concurrently from several instances. */
  migrate(): Promise<{ applied: string[] }>;
  /** Throws BATON_ERR_STORE_UNAVAILABLE when the database does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
