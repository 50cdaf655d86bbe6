import { z } from "zod";
import { BatonError, isBatonError } from "../../errors/index.ts";
import { parseUntrustedJson } from "../../utils/text-hygiene.ts";
import type {
  ParticipantRole,
  ProviderAttachment,
  ProviderCard,
  ProviderEvent,
  ProviderUserInfo,
} from "../port.ts";

/**
 * The wire schema of 8x8 Chat Gateway v1 webhook events and their mapping to the provider-neutral
 * ProviderEvent union (events as in https://developer.8x8.com/actions-events/docs/webhooks-events-reference).
 * Schemas are tolerant: unknown fields are ignored, ids may be numbers (every id is treated as an opaque
 * string), enum-like values are compared in lower case (8x8's docs spell states both CREATED and created),
 * and absent optional arrays/texts become empty.
 *
 * Three outcomes per event (`WebhookEventDisposition`):
 * - relay: a domain event to hand on;
 * - ignore: deliberately not handed on (echo, user/bot-authored message, unknown eventType or ACTIVITY
 *   name — those are still answered 2xx, since any other answer only makes 8x8 retry);
 * - unreadable: a known eventType whose data does not match the documented shape. Still answered 2xx and
 *   stored (marked failed, body kept for replay): 8x8 resending the same bytes would not make it readable.
 */

/** Every eventType of Chat Gateway v1. Legacy Chat API v2 types (AGENT_JOINED, TEXT, …) are not among them. */
export const webhookEventTypes = [
  "CONVERSATION_UPDATE",
  "QUEUED",
  "MEMBERS_CHANGED",
  "TRANSFER",
  "MESSAGE",
  "ACTIVITY",
  "WEB_HOOK_VERIFY",
] as const;

export type WebhookEventType = (typeof webhookEventTypes)[number];

/** The parts of the body common to every event except WEB_HOOK_VERIFY. */
export interface WebhookEnvelope {
  /** As received; matched case-insensitively. */
  readonly eventType: string;
  /** Absent on WEB_HOOK_VERIFY (and tolerated as absent on unknown types). */
  readonly conversationId: string | null;
  /** Epoch ms when the event happened; 0 when absent or unreadable (older examples show 0). */
  readonly timestamp: number;
  readonly data: unknown;
}

export type WebhookEventDisposition =
  | { readonly action: "relay"; readonly event: ProviderEvent }
  | { readonly action: "ignore"; readonly reason: string; readonly level: "debug" | "info" }
  | { readonly action: "unreadable"; readonly reason: string };

export interface WebhookEventContext {
  readonly providerId: string;
  /** `x-8x8-event-id` of the delivery. */
  readonly eventId: string;
}

// ---------------------------------------------------------------------------------------------- primitives

const lower = (value: string): string => value.toLowerCase();

/** Opaque id: a non-empty string, or a number some 8x8 responses use for numeric-looking ids. */
const idSchema = z.union([z.string().min(1), z.number().finite()]).transform(String);

/** Optional text field; numbers are stringified and null means absent. */
const optionalText = z
  .union([z.string(), z.number().finite()])
  .nullish()
  .transform((value) => (value === null || value === undefined ? undefined : String(value)));

const textOr = (fallback: string) => optionalText.transform((value) => value ?? fallback);

const lowerEnum = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.string().transform(lower).pipe(z.enum(values));

const roleSchema = lowerEnum(["user", "agent", "bot", "system"]);

// Bounded to safe integers: a larger "timestamp" (a forged or broken body can carry 2.8e169) would fail the
// store's bigint column, and an event the store refuses is answered 503, which 8x8 retries forever.
const epochMillisSchema = z.union([
  z.number().finite().nonnegative().max(Number.MAX_SAFE_INTEGER).transform(Math.trunc),
  z
    .string()
    .regex(/^\d{1,16}$/)
    .transform(Number)
    .refine((value) => value <= Number.MAX_SAFE_INTEGER),
]);

const participantRefSchema = z.object({ id: textOr(""), type: roleSchema });

// ----------------------------------------------------------------------------------------------- envelope

const envelopeSchema = z.object({
  eventType: z.string().trim().min(1),
  conversationId: idSchema.nullish().catch(undefined),
  timestamp: epochMillisSchema.nullish().catch(undefined),
  data: z.unknown().optional(),
});

// ------------------------------------------------------------------------------------------- event data

const userSchema = z.object({
  name: optionalText,
  userId: optionalText,
  email: optionalText,
  phone: optionalText,
  company: optionalText,
  caseId: optionalText,
  language: optionalText,
  additionalProperties: z
    .array(z.object({ key: z.union([z.string(), z.number()]).transform(String), value: textOr("") }))
    .nullish(),
});

/** CONVERSATION_UPDATE. `state` is lower-cased: create's 202 text spells CREATED/ACTIVE, events lower case. */
const conversationUpdateSchema = z.object({
  state: lowerEnum(["created", "active", "idle"]),
  assignment: z.object({ type: z.string().transform(lower), id: idSchema }).nullish(),
  user: userSchema.nullish(),
  channel: optionalText,
});

/** QUEUED */
const queuedSchema = z.object({ queueId: idSchema, queueName: optionalText });

/** MEMBERS_CHANGED */
const membersChangedSchema = z.object({
  memberType: lowerEnum(["user", "agent"]),
  change: lowerEnum(["joined", "left"]),
  id: idSchema,
});

/** MESSAGE. `sender.type` stays a free string here; which senders are relayed is decided in mapMessage. */
const messageSchema = z.object({
  isEcho: z
    .union([z.boolean(), z.enum(["true", "false"]).transform((value) => value === "true")])
    .nullish()
    .transform((value) => value ?? false),
  sender: z.object({ id: textOr(""), type: z.string().transform(lower) }),
  text: textOr(""),
  attachments: z
    .array(
      z.object({
        id: idSchema,
        type: textOr("file"),
        preSignedUrl: textOr(""),
        fileName: textOr(""),
      }),
    )
    .nullish(),
  cards: z.array(z.object({ contentType: z.string(), content: z.unknown().optional() })).nullish(),
});

/** ACTIVITY: the subtype is `data.name`, its payload `data.value`. */
const activitySchema = z.object({ name: z.string(), value: z.unknown().optional() });

const typingValueSchema = z.object({ users: z.array(participantRefSchema).nullish() });

const adaptiveCardValueSchema = z.object({ type: z.string(), data: z.unknown().optional() });

/**
 * Quick replies are sent with `data.postback` but reported back as `data.payload` (8x8 does not
 * confirm the mapping). Either is accepted and exposed as `payload`, the rest of `data` is kept.
 */
const quickReplyValueSchema = z.object({
  type: textOr("postback"),
  data: z
    .looseObject({ title: optionalText, payload: optionalText, postback: optionalText })
    .nullish()
    .transform((data) => (data ? { ...data, payload: data.payload ?? data.postback } : {})),
});

/** ACTIVITY read-receipts: `value` is an array, unlike every other ACTIVITY. 8x8: no channel emits it yet. */
const readReceiptsValueSchema = z.array(
  z.object({ timestamp: epochMillisSchema, users: z.array(participantRefSchema).nullish() }),
);

// ---------------------------------------------------------------------------------------------- parsing

/**
 * Reads the envelope of an (already verified) webhook body.
 * @throws BatonError BATON_ERR_WEBHOOK_BODY_INVALID when the body is not a JSON object with an eventType.
 */
export function parseWebhookEnvelope(rawBody: Uint8Array | string): WebhookEnvelope {
  const json = parseJson(rawBody);
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new BatonError("BATON_ERR_WEBHOOK_BODY_INVALID", { expected: "a JSON object" });
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) {
    throw new BatonError("BATON_ERR_WEBHOOK_BODY_INVALID", {
      field: "eventType",
      expected: "a non-empty string",
    });
  }
  return {
    eventType: parsed.data.eventType,
    conversationId: parsed.data.conversationId ?? null,
    timestamp: parsed.data.timestamp ?? 0,
    data: parsed.data.data,
  };
}

/**
 * Whether a body is WEB_HOOK_VERIFY. Used before signature verification (see webhook-receiver.ts), so it
 * never throws and reads nothing else from the unverified body.
 */
export function isVerifyEvent(rawBody: Uint8Array | string): boolean {
  try {
    const json = parseJson(rawBody) as { eventType?: unknown } | null;
    return typeof json === "object" && json !== null && json.eventType === "WEB_HOOK_VERIFY";
  } catch {
    return false;
  }
}

/**
 * A bounded metric label for an eventType: a known type as itself, anything else as "other", so that a
 * sender cannot grow the metric's label set.
 */
export function eventTypeLabel(eventType: string): string {
  return knownEventType(eventType) ?? "other";
}

function knownEventType(eventType: string): WebhookEventType | undefined {
  const upper = eventType.toUpperCase();
  return webhookEventTypes.find((known) => known === upper);
}

/**
 * The body as JSON under the input-hygiene rule (src/utils/text-hygiene.ts): refused when nested too deeply
 * (BATON_ERR_INPUT_TOO_DEEP), and NUL / lone surrogates in every string replaced by U+FFFD. An agent's
 * message with a NUL thus still reaches the user, cleaned, instead of failing in the store every time it is
 * handed on. Done here, in the parse, so stored bodies re-mapped after a restart are cleaned the same way.
 */
function parseJson(rawBody: Uint8Array | string): unknown {
  const text = typeof rawBody === "string" ? rawBody : Buffer.from(rawBody).toString("utf8");
  try {
    return parseUntrustedJson(text);
  } catch (error) {
    if (isBatonError(error)) throw error;
    throw new BatonError("BATON_ERR_WEBHOOK_BODY_INVALID", { expected: "JSON" }, { cause: error });
  }
}

// ---------------------------------------------------------------------------------------------- mapping

type EventBase = Pick<ProviderEvent, "providerId" | "conversationId" | "eventId" | "occurredAt" | "replayOf">;

/**
 * Maps one event to what Baton does with it. Pure: the same body always maps the same way, which is what
 * lets `start()` re-map stored bodies after a crash.
 */
/**
 * The id an operator's forced replay stores an event under: the original id with `:replay:` and 8 hex digits
 * (webhook-receiver.ts). Read from the id, so an event re-mapped from the store (after a restart, or by
 * another instance) is still known as a replay.
 */
export function replayEventId(eventId: string, suffix: string): string {
  return `${eventId}:replay:${suffix}`;
}

/** The original event id of a forced replay's id, or undefined for any other id. */
export function replayedEventId(eventId: string): string | undefined {
  return /^(.+):replay:[0-9a-f]{8}$/.exec(eventId)?.[1];
}

export function mapWebhookEvent(
  envelope: WebhookEnvelope,
  context: WebhookEventContext,
): WebhookEventDisposition {
  const eventType = knownEventType(envelope.eventType);
  if (eventType === undefined) return ignore(`unknown eventType ${envelope.eventType}`, "info");
  if (eventType === "WEB_HOOK_VERIFY")
    return ignore("WEB_HOOK_VERIFY carries no conversation event", "debug");
  if (envelope.conversationId === null) return { action: "unreadable", reason: "conversationId is missing" };
  const replayOf = replayedEventId(context.eventId);
  const base: EventBase = {
    providerId: context.providerId,
    conversationId: envelope.conversationId,
    eventId: context.eventId,
    occurredAt: envelope.timestamp,
    ...(replayOf !== undefined ? { replayOf } : {}),
  };
  switch (eventType) {
    case "CONVERSATION_UPDATE":
      return withData(conversationUpdateSchema, envelope.data, (data) =>
        relay(mapConversationUpdate(base, data)),
      );
    case "QUEUED":
      return withData(queuedSchema, envelope.data, (data) =>
        relay({
          ...base,
          kind: "conversation.queued",
          queueId: data.queueId,
          ...defined({ queueName: data.queueName }),
        }),
      );
    case "MEMBERS_CHANGED":
      return withData(membersChangedSchema, envelope.data, (data) =>
        relay({
          ...base,
          kind: data.change === "joined" ? "participant.joined" : "participant.left",
          role: data.memberType,
          participantId: data.id,
        }),
      );
    case "TRANSFER":
      // TRANSFER has no data; whatever comes is ignored.
      return relay({ ...base, kind: "conversation.transferred" });
    case "MESSAGE":
      return withData(messageSchema, envelope.data, (data) => mapMessage(base, data));
    case "ACTIVITY":
      return withData(activitySchema, envelope.data, (data) => mapActivity(base, data));
  }
}

function mapConversationUpdate(
  base: EventBase,
  data: z.output<typeof conversationUpdateSchema>,
): ProviderEvent {
  return {
    ...base,
    kind: "conversation.state",
    state: data.state,
    ...defined({
      assignment: data.assignment ?? undefined,
      user: data.user ? mapUser(data.user) : undefined,
      channel: data.channel,
    }),
  };
}

function mapUser(user: z.output<typeof userSchema>): ProviderUserInfo {
  return defined({
    name: user.name,
    userId: user.userId,
    email: user.email,
    phone: user.phone,
    company: user.company,
    caseId: user.caseId,
    language: user.language,
    additionalProperties: user.additionalProperties ?? undefined,
  });
}

/**
 * Only agent- and system-authored messages are relayed.
 * - `isEcho: true` is a message our side posted, coming back (8x8's definition of an echo).
 * - `sender.type: "user"` is never relayed whatever `isEcho` says: the integration posts the end user's
 *   messages itself, and whether those echo — and with which flag — 8x8 does not say. Relaying one
 *   would show the user their own message twice.
 * - `sender.type: "bot"` is our own bot's output, likewise.
 */
function mapMessage(base: EventBase, data: z.output<typeof messageSchema>): WebhookEventDisposition {
  if (data.isEcho) return ignore("echo of a message this integration sent", "debug");
  const role = roleSchema.safeParse(data.sender.type);
  if (!role.success) return { action: "unreadable", reason: `unknown sender.type ${data.sender.type}` };
  if (!isRelayedSender(role.data)) return ignore(`${role.data}-authored message is not relayed`, "debug");
  const attachments: ProviderAttachment[] = (data.attachments ?? []).map((attachment) => ({
    id: attachment.id,
    kind: attachment.type,
    fileName: attachment.fileName,
    url: attachment.preSignedUrl,
  }));
  const cards: ProviderCard[] = (data.cards ?? []).map((card) => ({
    contentType: card.contentType,
    content: card.content,
  }));
  return relay({
    ...base,
    kind: "message.received",
    sender: { id: data.sender.id, role: role.data },
    text: data.text,
    attachments,
    cards,
  });
}

/**
 * Whose messages are handed on, by webhook and by catch-up alike (reconcile.ts lists messages through the
 * REST API): agents' and contact-center notices, never the user's or the bot's own (see mapMessage).
 */
export function isRelayedSender(role: ParticipantRole): role is "agent" | "system" {
  return role === "agent" || role === "system";
}

/** A participant or sender type as a role, case-insensitively; undefined for one 8x8 has not documented. */
export function participantRole(type: string): ParticipantRole | undefined {
  const parsed = roleSchema.safeParse(type);
  return parsed.success ? parsed.data : undefined;
}

function mapActivity(base: EventBase, activity: z.output<typeof activitySchema>): WebhookEventDisposition {
  // Names are compared in lower case; CPaaS channels add their own names (e.g. interactive/reply), which
  // are acknowledged and ignored.
  switch (activity.name.toLowerCase()) {
    case "typing":
      return withData(typingValueSchema, activity.value, (value) =>
        relay({ ...base, kind: "typing", typists: (value.users ?? []).map(toParticipant) }),
      );
    case "adaptivecard/action":
      return withData(adaptiveCardValueSchema, activity.value, (value) =>
        relay({
          ...base,
          kind: "card.action",
          cardKind: "adaptiveCard",
          actionType: value.type,
          data: value.data,
        }),
      );
    case "quickreply/action":
      return withData(quickReplyValueSchema, activity.value, (value) =>
        relay({
          ...base,
          kind: "card.action",
          cardKind: "quickReply",
          actionType: value.type,
          data: value.data,
        }),
      );
    case "read-receipts":
      return withData(readReceiptsValueSchema, activity.value, (value) =>
        relay({
          ...base,
          kind: "read.receipt",
          receipts: value.map((receipt) => ({
            readAt: receipt.timestamp,
            readers: (receipt.users ?? []).map(toParticipant),
          })),
        }),
      );
    default:
      return ignore(`unknown ACTIVITY name ${activity.name}`, "info");
  }
}

function toParticipant(ref: z.output<typeof participantRefSchema>): { id: string; role: ParticipantRole } {
  return { id: ref.id, role: ref.type };
}

function withData<S extends z.ZodType>(
  schema: S,
  data: unknown,
  map: (data: z.output<S>) => WebhookEventDisposition,
): WebhookEventDisposition {
  const parsed = schema.safeParse(data);
  if (!parsed.success) return { action: "unreadable", reason: describeIssues(parsed.error) };
  return map(parsed.data);
}

/** Paths and zod's messages only: never the offending values, which may be user content. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `data${issue.path.map((part) => `.${String(part)}`).join("")}: ${issue.message}`)
    .join("; ");
}

function relay(event: ProviderEvent): WebhookEventDisposition {
  return { action: "relay", event };
}

function ignore(reason: string, level: "debug" | "info"): WebhookEventDisposition {
  return { action: "ignore", reason, level };
}

/** Drops undefined members, so mapped events carry only what 8x8 sent. */
function defined<T extends Record<string, unknown>>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
