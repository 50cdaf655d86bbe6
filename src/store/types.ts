/**
 * The Store port: what the rest of Baton may ask of persistence. One implementation (Kysely) serves both
 * dialects, PGlite (embedded) and PostgreSQL, with one set of migrations.
 */
import type { WorkspaceRecord } from "../copilot/workspace-record.ts";
import type { FlowState } from "../flow/types.ts";
import type { HandoverMachineState } from "../handover/machine/types.ts";
import type { HandoverRequest, HandoverState } from "../handover/types.ts";
import type { ConversationMessage, MessageSource } from "../protocol/messages.ts";

/** A JSON object as stored in a jsonb column. */
export type JsonObject = Record<string, unknown>;

/** Processing state of a received webhook event. */
export type WebhookEventStatus = "pending" | "processed" | "failed" | "ignored";

export interface NewWebhookEvent {
  readonly providerId: string;
  /** The provider's event id (8x8: `x-8x8-event-id`): stable across retries of one event, so it is the de-duplication key. */
  readonly eventId: string;
  readonly eventType: string;
  /** Absent on events that belong to no conversation (WEB_HOOK_VERIFY). */
  readonly conversationId: string | null;
  /** The payload's `timestamp`, epoch milliseconds (0 or absent on some events). */
  readonly eventTimestamp: number;
  /** The provider's retry count of the delivery that was stored (8x8: `x-8x8-retry`; the first one that arrived). */
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

/** A pending event as the reorder window sees it. */
export interface BacklogEvent extends StoredWebhookEvent {
  /** It arrived at least the window ago: its hold is over. */
  readonly windowPassed: boolean;
}

export interface ConversationBacklog {
  /** Pending events, in (timestamp, seq) order. */
  readonly pending: readonly BacklogEvent[];
  /** The latest payload timestamp of the conversation's events handed on (processed or failed); undefined for none. */
  readonly latestHandedOn: number | undefined;
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
  /**
   * What the reorder window of one conversation needs, from any instance: its pending events in payload
   * order (timestamp, then arrival), each marked whether it arrived at least `windowMs` ago (by the
   * database's clock, so the instances' clocks do not matter), and the latest timestamp of its events
   * already handed on. Indexed: the cost follows the pending events, not the conversation's history.
   */
  backlog(providerId: string, conversationId: string, windowMs: number): Promise<ConversationBacklog>;
  find(providerId: string, eventId: string): Promise<StoredWebhookEvent | undefined>;
  list(query?: WebhookEventQuery): Promise<StoredWebhookEvent[]>;
}

export type StoreDialect = "pglite" | "postgres";

/** Every repository, bound either to the pool or to one transaction (`Store.transaction`). */
export interface StoreRepositories {
  readonly webhookEvents: WebhookEventRepository;
  readonly endpoints: EndpointTokenRepository;
  readonly sessions: SessionRepository;
  readonly messages: MessageRepository;
  readonly handovers: HandoverRepository;
  readonly outbox: OutboxRepository;
  readonly instances: InstanceRepository;
  readonly timers: TimerRepository;
  readonly copilotWorkspaces: CopilotWorkspaceRepository;
  readonly copilotLinkKeys: CopilotLinkKeyRepository;
  readonly providerMessages: ProviderMessageRepository;
  readonly eventLog: EventLogRepository;
}

export interface Store extends StoreRepositories {
  readonly dialect: StoreDialect;
  /**
   * Runs `fn` in one database transaction: every write through `tx` commits together or not at all (for
   * example a handover update and the outbox items it causes). A throw rolls back and is rethrown.
   *
   * Inside `fn`, use only `tx`: on PGlite the single connection belongs to the transaction until it ends, so a
   * query through the outer store would wait for it forever.
   *
   * @example
   * await store.transaction(async (tx) => {
   *   const result = await tx.handovers.update(id, { state: "queued", machine }, version);
   *   if (result.ok) await tx.outbox.enqueue([{ orderingKey: `handover:${id}`, kind: "8x8.send", payload }]);
   * });
   */
  transaction<T>(fn: (tx: StoreRepositories) => Promise<T>): Promise<T>;
  /** Applies pending migrations; safe to call concurrently from several instances. */
  migrate(): Promise<{ applied: string[] }>;
  /** Throws BATON_ERR_STORE_UNAVAILABLE when the database does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------
// Endpoints

export interface EndpointTokenRepository {
  /**
   * The endpoint's URL token. A `configured` token is stored (replacing a generated one) and returned;
   * otherwise the stored token is returned, or 64 hex characters (256 random bits) are generated and stored
   * once. Atomic: instances starting together agree on one token.
   * Throws BATON_ERR_STORE_CONFLICT when `configured` already belongs to another endpoint.
   */
  ensureToken(endpointId: string, configured?: string): Promise<string>;
  /** The endpoint a URL token belongs to; compared in constant time against every stored token. */
  findByToken(token: string): Promise<string | undefined>;
}

// ---------------------------------------------------------------------------------------------------------
// Sessions

/** A flow's position as stored: FlowState without the context, which the session keeps in its own column. */
export type StoredFlowState = Omit<FlowState, "context">;

export interface SessionKey {
  readonly endpointId: string;
  readonly userId: string;
  readonly sessionId: string;
}

export interface StoredSession extends SessionKey {
  /** Baton's own id (a UUID), used by messages and handovers. */
  readonly id: string;
  readonly locale: string | null;
  /** The flow's variables (`setContext`, question answers). */
  readonly context: JsonObject;
  /** Where the flow is (owned by the flow engine); null before the flow first ran. */
  readonly flowState: StoredFlowState | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface SessionRepository {
  /** The session of (endpoint, user, session id), created if new. Atomic: concurrent calls create one. */
  getOrCreate(key: SessionKey & { readonly locale?: string }): Promise<{
    session: StoredSession;
    created: boolean;
  }>;
  get(id: string): Promise<StoredSession | undefined>;
  /** The session of (endpoint, user, session id), if it exists (never creates one). */
  find(key: SessionKey): Promise<StoredSession | undefined>;
  /** Replaces context and flow state. Throws BATON_ERR_STORE_NOT_FOUND for an unknown session. */
  updateFlow(id: string, update: { context: JsonObject; flowState: StoredFlowState | null }): Promise<void>;
  /**
   * Fences a write to the session (its flow, messages, handovers) with its lock's fencing token
   * (`HeldLock.token`): records `token` unless a higher one already wrote; the same token may write again.
   * Call it first in the transaction it guards: the row then stays locked until that transaction ends, so
   * no other writer gets in between. Throws BATON_ERR_LOCK_LOST when a higher token already wrote (another
   * holder took the lock over; the caller's transaction must roll back, nothing of it is stored) and
   * BATON_ERR_STORE_NOT_FOUND for an unknown session.
   */
  fence(id: string, token: number): Promise<void>;
  /** Most recently active first. Default limit 100. */
  list(query?: { endpointId?: string; limit?: number }): Promise<StoredSession[]>;
}

// ---------------------------------------------------------------------------------------------------------
// Messages

export type MessageDirection = "in" | "out";
export type DeliveryState = "pending" | "delivered" | "failed" | "not_applicable";

/**
 * A message to record: what a person sees (the ConversationMessage fields; `seq` and `createdAt` are
 * assigned by the store) plus where it went. `clientMessageId` makes a resend of a user message a no-op.
 */
export interface NewMessage extends Pick<
  ConversationMessage,
  "source" | "text" | "quickReplies" | "card" | "attachments" | "agentName" | "data" | "clientMessageId"
> {
  readonly direction: MessageDirection;
  /** The provider this message went to or came from (a handover's provider id). */
  readonly providerId?: string;
  /** The provider's id for the message, once known. */
  readonly providerMessageRef?: string;
  /** Default `not_applicable`. */
  readonly deliveryState?: DeliveryState;
}

/** A stored message: what the clients see plus where it went and whether it arrived. */
export interface StoredMessage extends ConversationMessage {
  readonly sessionId: string;
  readonly direction: MessageDirection;
  readonly deliveryState: DeliveryState;
  readonly providerId: string | null;
  readonly providerMessageRef: string | null;
  // clientMessageId (from ConversationMessage) is present on messages appended with one.
}

export interface MessageRepository {
  /**
   * Stores a message under the session's next sequence number (allocated in the same transaction, so
   * concurrent appends get distinct consecutive numbers). Idempotent on `clientMessageId`: a repeat returns
   * the first one's seq with `inserted: false`. Throws BATON_ERR_STORE_NOT_FOUND for an unknown session.
   */
  append(sessionId: string, message: NewMessage): Promise<{ seq: number; inserted: boolean }>;
  /** Messages with seq > `afterSeq`, ascending: what a reconnecting client missed. Default limit 500. */
  listAfter(sessionId: string, afterSeq: number, limit?: number): Promise<StoredMessage[]>;
  /** The session's messages in order; with `lastN`, only the last N (still ascending). */
  listTranscript(
    sessionId: string,
    options?: { lastN?: number; sources?: readonly MessageSource[] },
  ): Promise<StoredMessage[]>;
  /** Records the delivery outcome, and the provider's message id when one became known. */
  setDeliveryState(
    sessionId: string,
    seq: number,
    state: DeliveryState,
    providerMessageRef?: string,
  ): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------
// Handovers

export interface NewHandover {
  /** Default: a new UUID. */
  readonly id?: string;
  readonly sessionId: string;
  readonly endpointId: string;
  readonly providerId: string;
  readonly providerConversationId?: string | null;
  readonly state: HandoverState;
  /** The handover state machine's whole state. */
  readonly machine: HandoverMachineState;
  readonly request: HandoverRequest;
}

export interface StoredHandover {
  readonly id: string;
  readonly sessionId: string;
  readonly endpointId: string;
  readonly providerId: string;
  readonly providerConversationId: string | null;
  readonly state: HandoverState;
  readonly machine: HandoverMachineState;
  readonly request: HandoverRequest;
  /** Starts at 1, +1 per update: the optimistic-concurrency token for `update`. */
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Set once the handover reached a terminal state; null while it is open. */
  readonly endedAt: Date | null;
}

export interface HandoverUpdate {
  readonly state: HandoverState;
  readonly machine: HandoverMachineState;
  /** Set when the provider named its conversation; omitted keeps the stored value. */
  readonly providerConversationId?: string | null;
  /**
   * Ends the handover (frees the session for its next one). Default: now when `state` is terminal. An end
   * time once set is never changed.
   */
  readonly endedAt?: Date;
}

export type HandoverCreateResult =
  | { readonly ok: true; readonly handover: StoredHandover }
  /** The session already has an open handover (at most one per session); it is returned. */
  | { readonly ok: false; readonly reason: "open_handover_exists"; readonly open: StoredHandover };

export type HandoverUpdateResult =
  | { readonly ok: true; readonly handover: StoredHandover }
  /** Someone updated it since `expectedVersion` was read: reload `current`, re-decide, try again. */
  | { readonly ok: false; readonly reason: "version_conflict"; readonly current: StoredHandover }
  | { readonly ok: false; readonly reason: "not_found" };

export interface HandoverRepository {
  create(handover: NewHandover): Promise<HandoverCreateResult>;
  get(id: string): Promise<StoredHandover | undefined>;
  findOpenBySession(sessionId: string): Promise<StoredHandover | undefined>;
  /** The newest handover the provider knows under this conversation id. */
  findByProviderConversation(
    providerId: string,
    providerConversationId: string,
  ): Promise<StoredHandover | undefined>;
  /** Optimistic update: applies only if the stored version is still `expectedVersion`. */
  update(id: string, update: HandoverUpdate, expectedVersion: number): Promise<HandoverUpdateResult>;
  /** Every open handover, oldest first (to re-arm work after a restart). */
  listOpen(): Promise<StoredHandover[]>;
}

// ---------------------------------------------------------------------------------------------------------
// Outbox

/** `failed`: rejected for good (never retried); `dead`: gave up after the maximum attempts. */
export type OutboxStatus = "pending" | "done" | "failed" | "dead";

export interface NewOutboxItem {
  /** Items with one key run strictly one at a time, in enqueue order (a conversation id, say). */
  readonly orderingKey: string;
  /** Selects the handler. */
  readonly kind: string;
  readonly payload: JsonObject;
  /** Not before this time; default immediately. */
  readonly notBefore?: Date;
}

export interface OutboxItem {
  readonly id: number;
  readonly orderingKey: string;
  readonly kind: string;
  readonly payload: JsonObject;
  readonly status: OutboxStatus;
  /** Claims so far, including the current one. */
  readonly attempts: number;
  readonly nextAttemptAt: Date | null;
  readonly lockedUntil: Date | null;
  readonly lastError: string | null;
  readonly createdAt: Date;
  readonly doneAt: Date | null;
  /** The instance holding the claim (or that held the last one); null before the first claim. */
  readonly lockedBy: string | null;
  /**
   * An earlier attempt may have been carried out without its outcome being known (its answer was lost, or
   * the instance making it died mid-call): the handler must look at the remote side before repeating it.
   */
  readonly checkFirst: boolean;
}

/** An item as a claim returns it. */
export interface ClaimedOutboxItem extends OutboxItem {
  /**
   * Present when the previous claim never recorded an outcome (its instance crashed, hung or stopped
   * mid-call): which instance held it, null when it was not recorded.
   */
  readonly resumedFrom?: { readonly instanceId: string | null };
}

export interface OutboxClaim {
  readonly now: Date;
  readonly limit: number;
  /** Default 60 s. */
  readonly leaseMs?: number;
  /** The claiming instance (recorded as `lockedBy`); without it no running lease is ever taken over. */
  readonly instanceId?: string;
  /**
   * An item whose lease still runs is taken over when the instance holding it has no row in `instances`
   * or has not beaten for this long (the database's clock). Default: never (only the lease ends a claim).
   */
  readonly staleAfterMs?: number;
}

export interface OutboxRepository {
  /** Adds items in order. Use `store.transaction` to enqueue together with the writes that cause them. */
  enqueue(items: readonly NewOutboxItem[]): Promise<OutboxItem[]>;
  /**
   * Leases the oldest pending item of each ordering key whose time has come, never one while an older item of
   * its key is still pending, oldest keys first, at most `limit`. Each claim counts an attempt and holds the
   * item for `leaseMs` (default 60 s): a worker that crashes mid-item loses it when the lease ends, or at once
   * when its instance is gone or silent (`staleAfterMs`). A claim that finds an earlier claim unfinished sets
   * `checkFirst`. Safe across instances (`for update skip locked`).
   */
  claimNext(options: OutboxClaim): Promise<ClaimedOutboxItem[]>;
  complete(id: number): Promise<void>;
  /**
   * Releases the lease; the item is claimable again at `at`. `checkFirst: true` (the attempt may have been
   * carried out) marks it for a look at the remote side before the next attempt; the mark stays until done.
   */
  retryLater(id: number, retry: { at: Date; error: string; checkFirst?: boolean }): Promise<void>;
  /** Ends the item as `failed` (default: rejected for good) or `dead` (attempts exhausted). */
  fail(id: number, error: string, status?: "failed" | "dead"): Promise<void>;
  get(id: number): Promise<OutboxItem | undefined>;
  /** For the admin API and tests: items of one key, oldest first. */
  listByKey(orderingKey: string): Promise<OutboxItem[]>;
}

// ---------------------------------------------------------------------------------------------------------
// Instances

export interface NewInstance {
  /** Random per process start. */
  readonly id: string;
  /** The bus the instance uses: `memory` (this process only) or `redis`. */
  readonly bus: "memory" | "redis";
  /** For operators: where the process runs. */
  readonly host: string;
  readonly pid: number;
}

export interface StoredInstance extends NewInstance {
  readonly startedAt: Date;
  /** The database's clock at the instance's last beat. */
  readonly heartbeatAt: Date;
}

/** Running gateways, each refreshing its row; the outbox's claims and the bus check read them. */
export interface InstanceRepository {
  /** Adds the instance's row (or refreshes it when the id exists), heartbeat now. */
  register(instance: NewInstance): Promise<StoredInstance>;
  /** Sets the heartbeat to now; false when the row is gone (deleted as stale, or by hand). */
  beat(id: string): Promise<boolean>;
  remove(id: string): Promise<void>;
  /** Instances that beat within the last `staleAfterMs` (the database's clock), oldest start first. */
  listLive(staleAfterMs: number): Promise<StoredInstance[]>;
  /** Every registered instance, oldest start first (for operators). */
  list(): Promise<StoredInstance[]>;
  /** Deletes rows silent for longer than `silentForMs`; returns how many. */
  removeSilent(silentForMs: number): Promise<number>;
}

// ---------------------------------------------------------------------------------------------------------
// Provider messages (catch-up)

/** How a provider message reached the handover: its webhook, or a catch-up read of the conversation. */
export type ProviderMessageSource = "webhook" | "catch-up";

export interface NewProviderMessage {
  readonly handoverId: string;
  /** The stable per-message key (handover/provider-message-key.ts): the same by webhook and catch-up. */
  readonly messageKey: string;
  readonly senderId: string;
  /** When the provider says it was written, epoch ms. */
  readonly occurredAt: number;
  readonly source: ProviderMessageSource;
  /** The webhook's event id, or the catch-up's id of the message. */
  readonly eventId: string;
}

export interface StoredProviderMessage extends NewProviderMessage {
  readonly appliedAt: Date;
}

/** How far catch-up has read a handover's provider conversation. */
export interface CatchUpMark {
  readonly handoverId: string;
  /** The newest message time (epoch ms) a catch-up of the handover has read; the next one reads from near it. */
  readonly caughtUpThrough: number;
  readonly checkedAt: Date;
}

export interface ProviderMessageRepository {
  /**
   * Records that the message was applied to the handover, unless its key already was. Atomic: of two
   * writers of one key exactly one inserts. Call it inside the transaction that applies the message.
   * @returns false for a key already recorded.
   */
  recordIfNew(message: NewProviderMessage): Promise<boolean>;
  /** The handover's applied messages, oldest first. */
  listByHandover(handoverId: string): Promise<StoredProviderMessage[]>;
  getCatchUpMark(handoverId: string): Promise<CatchUpMark | undefined>;
  /** Moves the mark to `caughtUpThrough`, never backwards, and notes when it was checked. */
  setCatchUpMark(handoverId: string, caughtUpThrough: number): Promise<CatchUpMark>;
}

// ---------------------------------------------------------------------------------------------------------
// Timers

export type TimerStatus = "scheduled" | "fired" | "cancelled";

export interface StoredTimer {
  /** Chosen by the caller, deterministic (`handover:<id>:inactivity`), so scheduling again replaces. */
  readonly id: string;
  readonly kind: string;
  readonly payload: JsonObject;
  readonly dueAt: Date;
  readonly status: TimerStatus;
  /** +1 per `schedule`, so a fire that raced a re-arm cannot mark the new arming fired. */
  readonly generation: number;
  /** Claims of the current arming. */
  readonly attempts: number;
  readonly lockedUntil: Date | null;
  readonly lastError: string | null;
  readonly createdAt: Date;
}

export interface TimerRepository {
  /** Arms (or re-arms, replacing kind, due time and payload) the timer `id`. */
  schedule(id: string, kind: string, dueAt: Date, payload: JsonObject): Promise<StoredTimer>;
  /** @returns whether a scheduled timer was cancelled. */
  cancel(id: string): Promise<boolean>;
  /** Leases due scheduled timers, earliest first (`leaseMs` default 30 s), like the outbox's claim. */
  claimDue(now: Date, limit: number, leaseMs?: number): Promise<StoredTimer[]>;
  /** Marks the timer fired, unless it was re-armed since the claim that saw `generation`. */
  markFired(id: string, generation?: number): Promise<void>;
  /** Releases the lease of a failed fire; it is due again at `at` (same generation). */
  retryLater(id: string, generation: number, retry: { at: Date; error: string }): Promise<void>;
  get(id: string): Promise<StoredTimer | undefined>;
  /**
   * When the next scheduled timer becomes claimable (its due time, or the end of a running claim's lease), to
   * arm an in-process wake-up; undefined when none is scheduled.
   */
  nextDueAt(): Promise<Date | undefined>;
}

// ---------------------------------------------------------------------------------------------------------
// Copilot

export interface StoredCopilotWorkspace {
  readonly sessionId: string;
  /** The Copilot runner's record of the workspace (the store only keeps it as jsonb). */
  readonly state: WorkspaceRecord;
  /** +1 per save: a save names the version it read, so two writers cannot overwrite each other. */
  readonly version: number;
  readonly updatedAt: Date;
}

export interface CopilotWorkspaceRepository {
  get(sessionId: string): Promise<StoredCopilotWorkspace | undefined>;
  /**
   * Saves the state. `expectedVersion` null creates the row (a conflict when it exists); otherwise the row is
   * updated only if its version is still `expectedVersion`.
   */
  save(
    sessionId: string,
    state: WorkspaceRecord,
    expectedVersion: number | null,
  ): Promise<{ ok: true; version: number } | { ok: false; reason: "version_conflict" }>;
}

export interface CopilotLinkKey {
  readonly kid: string;
  /** Base64url of 32 random bytes (an HS256 key). A credential: never logged. */
  readonly secret: string;
  readonly createdAt: Date;
}

export interface CopilotLinkKeyRepository {
  /** The most recently created key. */
  newest(): Promise<CopilotLinkKey | undefined>;
  get(kid: string): Promise<CopilotLinkKey | undefined>;
  /** Adds a key made at `createdAt` (the caller's clock, which verification compares with); a kid that exists is left as it is. */
  add(kid: string, secret: string, createdAt: Date): Promise<void>;
  /** Removes keys created before `before`; returns how many. */
  deleteCreatedBefore(before: Date): Promise<number>;
}

// ---------------------------------------------------------------------------------------------------------
// Event log (observability: what came in from providers and what went out to them)

export type EventLogDirection = "in" | "out";

/**
 * One webhook delivery that reached a provider's receiver (`in`) or one HTTP attempt of a provider client
 * (`out`). Metadata only: never API keys, tokens, signatures or outbound request bodies. Inbound events keep
 * their verified body (capped), so an operator can replay them.
 */
export interface NewEventLogEntry {
  /** When it happened (the request's arrival, the attempt's start). */
  readonly at: Date;
  readonly direction: EventLogDirection;
  /** The webhook's `eventType`, or the client operation (`messages.send`). */
  readonly type: string;
  readonly providerId: string;
  /** The provider's conversation id, where the request names one. */
  readonly conversationId: string | null;
  /** The provider's event id (inbound; 8x8's `x-8x8-event-id`). */
  readonly eventId: string | null;
  /** The HTTP status answered (inbound) or received (outbound), or `network` / `timeout`. */
  readonly status: string;
  /** What became of it: accepted, duplicate, ignored, verify, rejected_signature, … (in); ok, rejected, unavailable, timeout (out). */
  readonly outcome: string;
  readonly durationMs: number;
  /** 1 for the first try: the provider's retry count + 1 inbound, the client's attempt number outbound. */
  readonly attempt: number;
  /** The catalog code of a failure. */
  readonly errorCode: string | null;
  /** Outbound: the HTTP method and the path (never the query). */
  readonly method: string | null;
  readonly path: string | null;
  /** Inbound: the verified raw body as UTF-8, cut at the configured cap (`bodyTruncated`). */
  readonly body: string | null;
  /** The body's full size in bytes, whether or not all of it was kept. */
  readonly bodyBytes: number | null;
  readonly bodyTruncated: boolean;
  /** The id of the entry this delivery replayed. */
  readonly replayOf: number | null;
}

export interface StoredEventLogEntry extends Omit<NewEventLogEntry, "body"> {
  readonly id: number;
  /** Baton's handover and session of the conversation, where Baton has one. */
  readonly handoverId: string | null;
  readonly sessionId: string | null;
  /** Whether a body is stored (lists leave it out; `get` returns it). */
  readonly hasBody: boolean;
  readonly body?: string | null;
}

/** Where a page of the log ends: the (at, id) of its last entry. */
export interface EventLogPosition {
  readonly at: Date;
  readonly id: number;
}

export interface EventLogQuery {
  readonly direction?: EventLogDirection;
  readonly type?: string;
  readonly providerId?: string;
  readonly conversationId?: string;
  readonly eventId?: string;
  /** An exact status (`200`, `network`) or a class (`4xx`). */
  readonly status?: string;
  /** Inclusive bounds on `at`. */
  readonly since?: Date;
  readonly until?: Date;
  /** Entries strictly older than this position (the next page). */
  readonly before?: EventLogPosition;
  /** Default 50. */
  readonly limit?: number;
}

export interface EventLogRepository {
  /** Stores a batch in one statement; returns how many were stored. */
  append(entries: readonly NewEventLogEntry[]): Promise<number>;
  /** Newest first (at, then id), without bodies. */
  list(query?: EventLogQuery): Promise<StoredEventLogEntry[]>;
  /** One entry with its body. */
  get(id: number): Promise<StoredEventLogEntry | undefined>;
  /** Deletes at most `limit` entries older than `before`; returns how many. */
  prune(before: Date, limit: number): Promise<number>;
}
