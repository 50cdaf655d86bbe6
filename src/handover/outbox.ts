/**
 * The outbox handlers of handover items: each one makes its provider call once (the outbox retries), and
 * what a call's outcome means for the handover goes back to the service through the callbacks.
 */
import { BatonError, isBatonError, isPermanentError } from "../errors/index.ts";
import type {
  HandoverProvider,
  HandoverUser,
  MessageSendContext,
  MessageSendOutcome,
  TranscriptEntry,
} from "../providers/port.ts";
import { trailingRun, type RelayedMessage } from "../providers/resend-check.ts";
import type { OutboxHandler, OutboxHandlerContext, OutboxWork } from "../runtime/outbox-worker.ts";
import type { OutboxItem, Store, StoredHandover, StoredSession } from "../store/types.ts";
import type { Logger } from "../telemetry/logger.ts";
import {
  isHandoverOutboxKind,
  parseOutboxPayload,
  type HandoverOutboxKind,
  type ParsedOutboxPayload,
} from "./outbox-items.ts";
import type { HandoverRequest } from "./types.ts";

/** Tries before a failing create turns the handover to `error`: a user is waiting for this one. */
const createAttempts = 3;

export interface HandoverOutboxDeps {
  readonly store: Store;
  readonly providers: ReadonlyMap<string, HandoverProvider>;
  readonly logger: Logger;
  /** The provider named its conversation. */
  created(handover: StoredHandover, providerConversationId: string): Promise<void>;
  /** The create call failed for good (or too often): the handover ends in `error`. */
  createFailed(handover: StoredHandover, error: unknown): Promise<void>;
  /** A relay call of an open handover was refused for good: nothing more can reach the agent. */
  callRejected(handover: StoredHandover, operation: string, error: unknown): Promise<void>;
}

type Handlers = { readonly [K in HandoverOutboxKind]: OutboxHandler };

export function createHandoverOutbox(deps: HandoverOutboxDeps): OutboxWork {
  const { store, logger } = deps;

  /** A handler that parses its payload first: a malformed payload fails for good, before any call. */
  function handler<K extends HandoverOutboxKind>(
    kind: K,
    run: (payload: ParsedOutboxPayload<K>, context: OutboxHandlerContext) => Promise<void>,
  ): OutboxHandler {
    return (payload, context) => run(parseOutboxPayload(kind, payload), context);
  }

  async function target(handoverId: string, options: { evenIfEnded?: boolean } = {}) {
    const handover = await store.handovers.get(handoverId);
    if (handover === undefined || handover.providerConversationId === null) {
      logger.info({ handoverId }, "no provider conversation (the request failed); nothing sent");
      return undefined;
    }
    if (handover.endedAt !== null && options.evenIfEnded !== true) return undefined;
    return {
      handover,
      provider: requireProvider(handover.providerId),
      conversationId: handover.providerConversationId,
    };
  }

  function requireProvider(providerId: string): HandoverProvider {
    const provider = deps.providers.get(providerId);
    if (provider === undefined) throw new BatonError("BATON_ERR_PROVIDER_UNKNOWN", { providerId });
    return provider;
  }

  async function transcriptFor(session: StoredSession, request: HandoverRequest): Promise<TranscriptEntry[]> {
    if (request.transcript.mode === "none") return [];
    const messages = await store.messages.listTranscript(session.id, {
      ...(request.transcript.mode === "last" ? { lastN: request.transcript.count } : {}),
      sources: ["user", "bot", "system"],
    });
    return messages
      .filter((m) => (m.text !== undefined && m.text !== "") || (m.attachments?.length ?? 0) > 0)
      .map((m) => ({
        source: m.source,
        text: m.text ?? "",
        at: m.createdAt,
        ...(m.attachments !== undefined && m.attachments.length > 0
          ? { attachments: m.attachments.map((a) => a.name) }
          : {}),
      }));
  }

  /** A text posted to the agent as the bot, checked at the provider first when an earlier try may have landed. */
  async function sayAsBot(
    { handoverId, text }: { readonly handoverId: string; readonly text: string },
    context: OutboxHandlerContext,
  ): Promise<void> {
    const found = await target(handoverId);
    if (found === undefined) return;
    const message = { author: "bot", text, attachments: 0 } as const;
    const outcome = await found.provider.handover.notifyAgent(
      found.conversationId,
      text,
      await sendContext(context, message),
    );
    logAlreadyThere(context, outcome);
  }

  const handlers: Handlers = {
    "handover.create": handler("handover.create", async ({ handoverId }, context) => {
      const handover = await store.handovers.get(handoverId);
      if (handover === undefined || handover.endedAt !== null || handover.providerConversationId !== null)
        return;
      const provider = requireProvider(handover.providerId);
      const session = await store.sessions.get(handover.sessionId);
      if (session === undefined) return;
      let providerConversationId: string;
      try {
        ({ providerConversationId } = await provider.handover.createConversation({
          handoverId: handover.id,
          user: userOf(session),
          routing: routingOf(handover.request),
          transcript: await transcriptFor(session, handover.request),
        }));
      } catch (error) {
        // A user waits for this one: after a few quick attempts the handover fails visibly instead of
        // retrying for minutes (the flow can offer something else).
        if (isBatonError(error) && !isPermanentError(error) && context.attempt < createAttempts) throw error;
        await deps.createFailed(handover, error);
        return;
      }
      await deps.created(handover, providerConversationId);
    }),
    "handover.send": handler("handover.send", async ({ handoverId, text, attachments }, context) => {
      const found = await target(handoverId);
      if (found === undefined) return;
      const message = { author: "user", text: text ?? "", attachments: attachments.length } as const;
      const outcome = await found.provider.handover.sendUserMessage(
        found.conversationId,
        { ...(text !== undefined ? { text } : {}), attachments: attachments.map(fromDataUrl) },
        await sendContext(context, message),
      );
      logAlreadyThere(context, outcome);
    }),
    // Baton's notices and the flow's words for the agent are both bot messages in the conversation.
    "handover.notifyAgent": handler("handover.notifyAgent", (payload, context) => sayAsBot(payload, context)),
    "handover.botToAgent": handler("handover.botToAgent", (payload, context) => sayAsBot(payload, context)),
    "handover.userLeaves": handler("handover.userLeaves", async ({ handoverId }) => {
      const found = await target(handoverId, { evenIfEnded: true });
      if (found !== undefined) await found.provider.handover.userLeaves(found.conversationId);
    }),
  };

  /**
   * The context of a message send. When an earlier attempt may have landed, the provider is told how many
   * equal messages this side completed right before this one (resend-check.ts): the items of one handover
   * share a key and run strictly in order, so they are exactly what the provider should show before it.
   */
  async function sendContext(
    context: OutboxHandlerContext,
    message: RelayedMessage,
  ): Promise<MessageSendContext | undefined> {
    if (!context.checkFirst) return undefined;
    const earlier = (await store.outbox.listByKey(context.orderingKey))
      .filter((item) => item.id < context.id && item.status === "done")
      .reverse()
      .flatMap((item) => relayedBy(item));
    return { checkFirst: { identicalBefore: trailingRun(earlier, message) } };
  }

  function logAlreadyThere(context: OutboxHandlerContext, outcome: MessageSendOutcome | void): void {
    if (outcome?.alreadyThere !== true) return;
    logger.info(
      { id: context.id, kind: context.kind, orderingKey: context.orderingKey, attempt: context.attempt },
      "an earlier attempt of this message had reached the contact center; not sent again",
    );
  }

  /** Told by the outbox worker when an item failed for good or ran out of attempts. */
  async function onFailed(item: OutboxItem, error: unknown): Promise<void> {
    if (!isHandoverOutboxKind(item.kind)) return;
    const handoverId = item.payload.handoverId;
    const handover = typeof handoverId === "string" ? await store.handovers.get(handoverId) : undefined;
    if (handover === undefined) return;
    if (item.kind === "handover.create") {
      await deps.createFailed(handover, error);
      return;
    }
    // A refusal for good of a relay call while the handover is open: the provider will take nothing more for
    // this conversation (it is gone, or access was refused), so the handover must end rather than leave the
    // user waiting on an agent who never hears them.
    if (isPermanentError(error) && handover.endedAt === null && item.kind !== "handover.userLeaves") {
      await deps.callRejected(handover, operationOf[item.kind], error);
      return;
    }
    // Out of its retry budget (an outage longer than `outbox.retryForMinutes`): the agent never got this, and
    // the user must not go on writing to nobody. The handover ends as after a refusal: the user is told the
    // connection was lost and the flow continues.
    if (item.status === "dead" && handover.endedAt === null && item.kind !== "handover.userLeaves") {
      logger.error(
        {
          handoverId: handover.id,
          kind: item.kind,
          attempts: item.attempts,
          code: isBatonError(error) ? error.code : undefined,
        },
        "a message could not be delivered to the contact center within the retry budget; ending the handover and telling the user",
      );
      await deps.callRejected(handover, operationOf[item.kind], error);
      return;
    }
    logger.error(
      { handoverId: handover.id, kind: item.kind, code: isBatonError(error) ? error.code : undefined },
      "a message could not be delivered to the contact center",
    );
  }

  return { handlers, onFailed };
}

const operationOf: { readonly [K in HandoverOutboxKind]: string } = {
  "handover.create": "createConversation",
  "handover.send": "sendUserMessage",
  "handover.notifyAgent": "notifyAgent",
  "handover.botToAgent": "notifyAgent",
  "handover.userLeaves": "userLeaves",
};

function routingOf(request: HandoverRequest) {
  const { channelId, queueId, jsonProperties } = request.provider;
  return {
    ...(channelId !== undefined ? { channelId } : {}),
    ...(queueId !== undefined ? { queueId } : {}),
    ...(jsonProperties !== undefined ? { properties: jsonProperties } : {}),
  };
}

/** What the session's context knows about the user, for the agent (name, email, …). */
function userOf(session: StoredSession): HandoverUser {
  const profile = session.context.user;
  const known: Record<string, unknown> =
    typeof profile === "object" && profile !== null ? { ...profile } : {};
  const pick = (key: "name" | "email" | "phone" | "company" | "caseId") =>
    typeof known[key] === "string" ? { [key]: known[key] } : {};
  return {
    id: session.userId,
    ...pick("name"),
    ...pick("email"),
    ...pick("phone"),
    ...pick("company"),
    ...pick("caseId"),
    ...(session.locale !== null ? { language: session.locale } : {}),
  };
}

/**
 * The message an item of a handover posted, for the items that post one. A user message with neither text
 * nor files is never posted, so it is no part of what the provider shows either.
 */
function relayedBy(item: OutboxItem): RelayedMessage[] {
  const { payload } = item;
  const text = typeof payload.text === "string" ? payload.text : "";
  switch (item.kind) {
    case "handover.send": {
      const attachments = Array.isArray(payload.attachments) ? payload.attachments.length : 0;
      return text.trim() === "" && attachments === 0 ? [] : [{ author: "user", text, attachments }];
    }
    case "handover.notifyAgent":
    case "handover.botToAgent":
      return [{ author: "bot", text, attachments: 0 }];
    default:
      return [];
  }
}

function fromDataUrl(file: { name: string; url: string; contentType: string }) {
  const comma = file.url.indexOf(",");
  const base64 = file.url.startsWith("data:") && comma > 0 ? file.url.slice(comma + 1) : "";
  return { name: file.name, contentType: file.contentType, bytes: Buffer.from(base64, "base64") };
}
