import type { Logger } from "pino";
import type { z } from "zod";
import type { Delivery } from "./delivery.ts";
import {
  badMessageRequest,
  badRequest,
  forbiddenTenant,
  invalidParameter,
  resourceNotFound,
  resourceNotFoundObject,
  type GatewayProblem,
} from "./errors.ts";
import {
  cardActionBody,
  channelBody,
  createConversationBody,
  describeIssues,
  messageContent,
  patchConversationBody,
  postAgentAssignmentBody,
  putConversationBody,
  readReceiptBody,
  typingBody,
  userLeavesBody,
  verifyBody,
  webhookBody,
  thinkingBody,
  EVENT_VERSION,
} from "./gateway-schemas.ts";
import type { IncomingMessage, Lifecycle } from "./lifecycle.ts";
import { halPage, matchesFilter, parseListQuery, sortItems, type ListOptions } from "./list-query.ts";
import { parseMultipart } from "./multipart.ts";
import { emptyReply, halReply, type Reply } from "./reply.ts";
import { InvalidJsonError, readBody, readJson } from "./request-body.ts";
import type { RequestContext, Router } from "./router.ts";
import { newId, type SimulatorState } from "./state.ts";
import type {
  Assignment,
  Attachment,
  Card,
  Channel,
  Conversation,
  ExternalAuthorType,
  Message,
  Webhook,
} from "./types.ts";

export type ChatGatewayDeps = {
  state: SimulatorState;
  lifecycle: Lifecycle;
  delivery: Delivery;
  logger: Logger;
  baseUrl(): string;
  /** How long an integration typing indicator stays visible in the console (no stop call exists). */
  typingTimeoutMs: number;
};

export const API_PREFIX = "/chat-gateway/v1";
/** The two card actions live outside `/chat-gateway/v1`, with the tenant in the path. */
export const CARD_ACTIONS_PREFIX = "/api/v1";
const MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;

/** Which error shape a body failure maps to: each operation in 8x8's OpenAPI declares its own. */
type ProblemFactory = (message: string) => GatewayProblem;
const genericProblem: ProblemFactory = (message) => badRequest("invalid_parameter", message);
const messageProblem: ProblemFactory = (message) => badMessageRequest(message);

/**
 * Registers every Chat Gateway v1 operation except the public JWK endpoint: `/chat-gateway/v1/...` and the
 * two card actions under `/api/v1/tenant/{tenantId}/...`.
 */
export function registerChatGatewayRoutes(router: Router, deps: ChatGatewayDeps): void {
  const { state, lifecycle, delivery } = deps;
  const path = (suffix: string) => `${API_PREFIX}${suffix}`;

  // --- helpers bound to this simulator -------------------------------------------------------------

  function selfHref(ctx: RequestContext): string {
    return `${deps.baseUrl()}${ctx.url.pathname}${ctx.url.search}`;
  }

  function listReply<T extends object>(
    ctx: RequestContext,
    collection: string,
    items: readonly T[],
    options: ListOptions,
    withLinks = true,
  ): Reply {
    const query = parseListQuery(ctx.url.searchParams, options);
    const filtered = items.filter((item) => matchesFilter(item, query.filter));
    const sorted = sortItems(filtered, query.sort);
    return halReply(200, halPage(collection, sorted, query, withLinks ? selfHref(ctx) : undefined));
  }

  async function parseBody<S extends z.ZodType>(
    ctx: RequestContext,
    schema: S,
    problem: ProblemFactory,
  ): Promise<z.output<S>> {
    let raw: unknown;
    try {
      raw = await readJson(ctx.req);
    } catch (error) {
      if (error instanceof InvalidJsonError) throw problem(error.message);
      throw error;
    }
    const result = schema.safeParse(raw ?? {});
    if (!result.success) throw problem(describeIssues(result.error));
    return result.data;
  }

  function param(ctx: RequestContext, name: string): string {
    return ctx.params[name] ?? "";
  }

  function webhookOr404(id: string): Webhook {
    const webhook = state.webhooks.get(id);
    if (webhook === undefined) throw resourceNotFound("WebHook", id);
    return webhook;
  }

  function channelOr404(id: string): Channel {
    const channel = state.channels.get(id);
    if (channel === undefined) throw resourceNotFound("Channel", id);
    return channel;
  }

  function conversationOr404(ctx: RequestContext): Conversation {
    const id = param(ctx, "conversationId");
    const conversation = state.conversations.get(id);
    if (conversation === undefined) throw resourceNotFound("Conversation", id);
    return conversation;
  }

  /** typing/thinking/read-receipt/post-agent-assignment use the object-shaped 404. */
  function conversationOr404Object(ctx: RequestContext): Conversation {
    const id = param(ctx, "conversationId");
    const conversation = state.conversations.get(id);
    if (conversation === undefined) throw resourceNotFoundObject("Conversation", id);
    return conversation;
  }

  function requireQueue(id: string): void {
    if (!state.queues.has(id)) throw badRequest("invalid_queue", `Queue ID ${id} is invalid.`);
  }

  function requireAssignment(assignment: { type: "queue" | "script"; id: string } | undefined): void {
    if (assignment?.type === "queue") requireQueue(assignment.id);
  }

  function requireChannel(id: string): Channel {
    const channel = state.channels.get(id);
    if (channel === undefined) throw badRequest("invalid_channel", `Channel ID ${id} is invalid.`);
    return channel;
  }

  function validateChannel(body: z.output<typeof channelBody>): void {
    if (!state.webhooks.has(body.webHookId)) {
      throw badRequest("invalid_webhook", `WebHook ID ${body.webHookId} is invalid.`);
    }
    requireQueue(body.routingOptions.id);
    // Only Chat API channels can be created through the API (8x8 documents this).
    if (body.type !== undefined && body.type !== "ChatAPI") {
      throw badRequest("invalid_channel_type", `Channel type ${body.type} cannot be created; use ChatAPI.`);
    }
  }

  /**
   * Validates one message body. `authorType` is checked first because 8x8 answers it with a specific
   * message; the rest comes from the schema. `problem` picks the error shape of the calling operation.
   */
  function toIncomingMessage(raw: unknown, problem: ProblemFactory, where = ""): IncomingMessage {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      throw problem(`${where || "body"}: must be a JSON object`);
    }
    const authorType = (raw as Record<string, unknown>)["authorType"];
    if (authorType !== "user" && authorType !== "bot") {
      const shown = typeof authorType === "string" ? authorType : JSON.stringify(authorType ?? null);
      throw problem(`${where}Invalid authorType=${shown}, has to be one of user, bot`);
    }
    const result = messageContent.safeParse(raw);
    if (!result.success) throw problem(`${where}${describeIssues(result.error)}`);
    const { text, externalProvider, attachments, cards } = result.data;
    return {
      authorType,
      attachments,
      cards,
      ...(text === undefined ? {} : { text }),
      ...(externalProvider === undefined ? {} : { externalProvider }),
    };
  }

  // --- webhooks ------------------------------------------------------------------------------------

  router.add("GET", path("/webhooks"), (ctx) =>
    listReply(ctx, "webhooks", [...state.webhooks.values()], {
      defaultSort: "id:asc",
      sortable: ["id", "name", "uri"],
      filterable: true,
    }),
  );

  router.add("POST", path("/webhooks/verify"), async (ctx) => {
    const body = await parseBody(ctx, verifyBody, genericProblem);
    if (await delivery.verify(body.uri)) return emptyReply(204);
    throw badRequest(
      "webhook_verification_failed",
      `The webhook ${body.uri} did not answer WEB_HOOK_VERIFY with 2xx.`,
    );
  });

  router.add("POST", path("/webhooks"), async (ctx) => {
    const body = await parseBody(ctx, webhookBody, genericProblem);
    const webhook: Webhook = { id: newId(), name: body.name, uri: body.uri, version: EVENT_VERSION };
    state.webhooks.set(webhook.id, webhook);
    // Adding a webhook sends WEB_HOOK_VERIFY; whether a failure blocks creation 8x8 does not
    // say, so the simulator creates it regardless and logs the attempt. A failed attempt resolves false
    // (it is in the attempt log); only an unexpected error rejects, and that must not go unnoticed.
    delivery.verify(webhook.uri).catch((error: unknown) => {
      deps.logger.error({ err: error, webhookId: webhook.id }, "webhook verify failed");
    });
    return halReply(200, webhook);
  });

  router.add("GET", path("/webhooks/:webhookId"), (ctx) =>
    halReply(200, webhookOr404(param(ctx, "webhookId"))),
  );

  router.add("PUT", path("/webhooks/:webhookId"), async (ctx) => {
    const webhook = webhookOr404(param(ctx, "webhookId"));
    const body = await parseBody(ctx, webhookBody, genericProblem);
    Object.assign(webhook, { name: body.name, uri: body.uri });
    return halReply(200, webhook);
  });

  router.add("DELETE", path("/webhooks/:webhookId"), (ctx) => {
    const webhook = webhookOr404(param(ctx, "webhookId"));
    // Channels still pointing at it keep their id (unconfirmed behaviour); their events are then logged
    // as "no-webhook" instead of delivered.
    state.webhooks.delete(webhook.id);
    return emptyReply(204);
  });

  // --- channels ------------------------------------------------------------------------------------

  router.add("GET", path("/channels"), (ctx) =>
    listReply(ctx, "channels", [...state.channels.values()], {
      defaultSort: "id:asc",
      sortable: ["id", "name", "type", "webHookId"],
      filterable: true,
    }),
  );

  router.add("POST", path("/channels"), async (ctx) => {
    const body = await parseBody(ctx, channelBody, genericProblem);
    validateChannel(body);
    const channel: Channel = {
      id: newId(),
      name: body.name,
      type: "ChatAPI",
      webHookId: body.webHookId,
      routingOptions: { type: "queue", id: body.routingOptions.id },
    };
    state.channels.set(channel.id, channel);
    return halReply(200, channel);
  });

  router.add("GET", path("/channels/:channelId"), (ctx) =>
    halReply(200, channelOr404(param(ctx, "channelId"))),
  );

  router.add("PUT", path("/channels/:channelId"), async (ctx) => {
    const channel = channelOr404(param(ctx, "channelId"));
    const body = await parseBody(ctx, channelBody, genericProblem);
    validateChannel(body);
    Object.assign(channel, {
      name: body.name,
      webHookId: body.webHookId,
      routingOptions: { type: "queue", id: body.routingOptions.id },
    });
    return halReply(200, channel);
  });

  router.add("DELETE", path("/channels/:channelId"), (ctx) => {
    state.channels.delete(channelOr404(param(ctx, "channelId")).id);
    return emptyReply(204);
  });

  // --- conversations -------------------------------------------------------------------------------

  router.add("GET", path("/conversations"), (ctx) =>
    listReply(ctx, "conversations", [...state.conversations.values()].map(conversationResult), {
      defaultSort: "id:asc",
      sortable: ["id", "channelId", "state"],
      filterable: true,
    }),
  );

  router.add("POST", path("/conversations"), async (ctx) => {
    const body = await parseBody(ctx, createConversationBody, genericProblem);
    const channel = requireChannel(body.channelId);
    requireAssignment(body.assignment);
    const history = (body.history?.messages ?? []).map((item, index) =>
      toIncomingMessage(item, genericProblem, `history.messages[${index}]: `),
    );
    // Without an assignment the channel's routing queue is used (8x8 only says the channel's queue can be
    // overridden per conversation; using it by default is our reading).
    const assignment: Assignment = body.assignment ?? { type: "queue", id: channel.routingOptions.id };
    const conversation = lifecycle.create({ channelId: channel.id, user: body.user, assignment, history });
    return halReply(202, { conversationId: conversation.id, createdAt: conversation.createdAt });
  });

  router.add("GET", path("/conversations/:conversationId"), (ctx) =>
    halReply(200, conversationResult(conversationOr404(ctx))),
  );

  router.add("PUT", path("/conversations/:conversationId"), async (ctx) => {
    const conversation = conversationOr404(ctx);
    const body = await parseBody(ctx, putConversationBody, genericProblem);
    if (body.channelId !== undefined) requireChannel(body.channelId);
    requireAssignment(body.assignment);
    lifecycle.update(conversation, body);
    return halReply(202, conversationResult(conversation));
  });

  router.add("PATCH", path("/conversations/:conversationId"), async (ctx) => {
    const conversation = conversationOr404(ctx);
    const body = await parseBody(ctx, patchConversationBody, genericProblem);
    requireAssignment(body.assignment);
    lifecycle.update(conversation, body);
    return halReply(202, conversationResult(conversation));
  });

  router.add("GET", path("/conversations/:conversationId/interactions"), (ctx) => {
    const interactions = conversationOr404(ctx).interactions.map(({ id, startTime, endTime }) => ({
      id,
      startTime,
      ...(endTime === undefined ? {} : { endTime }),
    }));
    return listReply(ctx, "interactions", interactions, {
      defaultSort: "startTime:asc",
      sortable: ["startTime"],
      filterable: false,
    });
  });

  router.add("POST", path("/conversations/:conversationId/post-agent-assignment"), async (ctx) => {
    const conversation = conversationOr404Object(ctx);
    const body = await parseBody(ctx, postAgentAssignmentBody, (message) =>
      invalidParameter(conversation.id, message),
    );
    if (!state.webhooks.has(body.id)) throw resourceNotFoundObject("WebHook", body.id);
    // Stored and shown in the console; the hand-back routing itself is not simulated.
    conversation.postAgentAssignment = body;
    return emptyReply(201);
  });

  router.add("POST", path("/conversations/:conversationId/typing"), async (ctx) => {
    const conversation = conversationOr404Object(ctx);
    const body = await parseBody(ctx, typingBody, (message) => invalidParameter(conversation.id, message));
    // Typing goes to the agent side only (no webhook event); it shows in the console until it expires.
    const until = Date.now() + deps.typingTimeoutMs;
    if (body.authorType === "user") conversation.userTypingUntil = until;
    else conversation.botTypingUntil = until;
    return emptyReply(204);
  });

  router.add("POST", path("/conversations/:conversationId/thinking"), async (ctx) => {
    const conversation = conversationOr404Object(ctx);
    const body = await parseBody(ctx, thinkingBody, (message) => invalidParameter(conversation.id, message));
    conversation.botThinkingUntil = Date.now() + body.maxThinkingTimeSeconds * 1000;
    return emptyReply(204);
  });

  router.add("POST", path("/conversations/:conversationId/read-receipt"), async (ctx) => {
    const conversation = conversationOr404Object(ctx);
    const body = await parseBody(ctx, readReceiptBody, (message) =>
      invalidParameter(conversation.id, message),
    );
    conversation.readReceipts.push(body);
    return emptyReply(204);
  });

  router.add("GET", path("/conversations/:conversationId/participants"), (ctx) =>
    listReply(
      ctx,
      "participants",
      conversationOr404(ctx).participants.map((p) => ({ ...p })),
      {
        defaultSort: "id:asc",
        sortable: ["id"],
        filterable: false,
      },
    ),
  );

  router.add("PATCH", path("/conversations/:conversationId/participants/user"), async (ctx) => {
    const conversation = conversationOr404(ctx);
    await parseBody(ctx, userLeavesBody, genericProblem);
    lifecycle.userLeaves(conversation);
    return emptyReply(204);
  });

  router.add("GET", path("/conversations/:conversationId/messages"), (ctx) => {
    const conversation = conversationOr404(ctx);
    const query = parseListQuery(ctx.url.searchParams, {
      defaultSort: "createdAt:desc",
      sortable: ["createdAt"],
      filterable: false,
    });
    // Sort by the sequence, which orders like createdAt but never ties within one millisecond.
    const sorted = [...conversation.messages].sort((a, b) =>
      query.sort.direction === "asc" ? a.seq - b.seq : b.seq - a.seq,
    );
    // 8x8's messages list schema declares no `_links`.
    return halReply(200, halPage("messages", sorted.map(messageResult), query, undefined));
  });

  router.add("POST", path("/conversations/:conversationId/messages"), async (ctx) => {
    const conversation = conversationOr404(ctx);
    let raw: unknown;
    try {
      raw = await readJson(ctx.req);
    } catch (error) {
      if (error instanceof InvalidJsonError) throw messageProblem(error.message);
      throw error;
    }
    const incoming = toIncomingMessage(raw, messageProblem);
    const unknown = incoming.attachments.find(({ id }) => !conversation.attachments.some((a) => a.id === id));
    if (unknown !== undefined)
      throw badMessageRequest(`Attachment ${unknown.id} does not belong to this conversation`);
    const channel = state.channels.get(conversation.channelId);
    lifecycle.postMessage(conversation, incoming, channel?.routingOptions.id);
    return emptyReply(202);
  });

  router.add("GET", path("/conversations/:conversationId/messages/:messageId"), (ctx) => {
    const message = messageOr404(conversationOr404(ctx), param(ctx, "messageId"));
    return halReply(200, messageResult(message));
  });

  router.add("GET", path("/conversations/:conversationId/messages/:messageId/cards"), (ctx) => {
    const message = messageOr404(conversationOr404(ctx), param(ctx, "messageId"));
    const query = parseListQuery(ctx.url.searchParams, {
      defaultSort: "createdAt:desc",
      sortable: ["createdAt"],
      filterable: false,
    });
    // Cards of one message share its createdAt; "desc" reverses their posted order.
    const cards = message.cards.map((card) => ({ ...card }));
    if (query.sort.direction === "desc") cards.reverse();
    return halReply(200, halPage("cards", cards, query, selfHref(ctx)));
  });

  // --- card actions --------------------------------------------------------------------------------

  /**
   * The tenant comes from the path here, so it is checked whatever the simulator's tenant option says; the
   * 404s use the object shape (`ResourceNotFoundExceptionPayload`, as 8x8's OpenAPI declares for them).
   */
  function cardOr404(ctx: RequestContext): Card {
    if (param(ctx, "tenantId") !== state.tenantId) {
      throw forbiddenTenant(state.customerId, "Path parameter tenantId");
    }
    const conversation = conversationOr404Object(ctx);
    const cardId = param(ctx, "cardId");
    const card = conversation.messages.flatMap((message) => message.cards).find((c) => c.id === cardId);
    if (card === undefined) throw resourceNotFoundObject("Card", cardId);
    return card;
  }

  const cardActions = [
    ["action-submit", "actionSubmitted"],
    ["action-execute", "actionExecuted"],
  ] as const;
  for (const [action, flag] of cardActions) {
    const pattern = `${CARD_ACTIONS_PREFIX}/tenant/:tenantId/conversations/:conversationId/cards/:cardId/${action}`;
    router.add("PUT", pattern, async (ctx) => {
      const card = cardOr404(ctx);
      await parseBody(ctx, cardActionBody, genericProblem);
      // 8x8 also "sends the activity notification" without saying to whom; the simulator
      // only sets the flag, which GET …/messages/{id}/cards shows.
      card[flag] = true;
      return emptyReply(204);
    });
  }

  // --- attachments ---------------------------------------------------------------------------------

  router.add("GET", path("/conversations/:conversationId/attachments"), (ctx) =>
    listReply(ctx, "attachments", conversationOr404(ctx).attachments.map(attachmentResult), {
      defaultSort: "id:asc",
      sortable: ["id", "filename", "createdAt", "sizeInBytes"],
      filterable: true,
    }),
  );

  router.add("POST", path("/conversations/:conversationId/attachments"), async (ctx) => {
    const conversation = conversationOr404(ctx);
    const raw = await readBody(ctx.req, MAX_ATTACHMENT_BYTES);
    const parts = parseMultipart(ctx.req.headers["content-type"], raw);
    if (parts === undefined) throw badRequest("invalid_parameter", "body must be multipart/form-data");
    const file = parts.find((part) => part.name === "attachment");
    if (file === undefined)
      throw badRequest("invalid_parameter", "the multipart part 'attachment' is required");
    const authorTypeText =
      parts
        .find((part) => part.name === "authorType")
        ?.data.toString("utf8")
        .trim() || "user";
    if (authorTypeText !== "user" && authorTypeText !== "bot") {
      throw badRequest(
        "invalid_parameter",
        `Invalid authorType=${authorTypeText}, has to be one of user, bot`,
      );
    }
    const attachment: Attachment = {
      id: newId(),
      filename: file.filename ?? "attachment",
      contentType: file.contentType ?? "application/octet-stream",
      sizeInBytes: file.data.length,
      createdAt: new Date().toISOString(),
      authorType: authorTypeText satisfies ExternalAuthorType,
      content: file.data,
    };
    conversation.attachments.push(attachment);
    return halReply(200, attachmentResult(attachment));
  });

  router.add("GET", path("/conversations/:conversationId/attachments/:attachmentId"), (ctx) =>
    halReply(200, attachmentResult(attachmentOr404(conversationOr404(ctx), param(ctx, "attachmentId")))),
  );

  router.add("GET", path("/conversations/:conversationId/attachments/:attachmentId/content"), (ctx) =>
    attachmentContentReply(attachmentOr404(conversationOr404(ctx), param(ctx, "attachmentId"))),
  );
}

function messageOr404(conversation: Conversation, messageId: string): Message {
  const message = conversation.messages.find((m) => m.id === messageId);
  if (message === undefined) throw resourceNotFound("Message", messageId);
  return message;
}

function attachmentOr404(conversation: Conversation, attachmentId: string): Attachment {
  const attachment = conversation.attachments.find((a) => a.id === attachmentId);
  if (attachment === undefined) throw resourceNotFound("Attachment", attachmentId);
  return attachment;
}

/** Raw bytes (`application/octet-stream`) with the filename in Content-Disposition, as 8x8 sends them. */
export function attachmentContentReply(attachment: Attachment): Reply {
  const asciiName = attachment.filename.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return {
    status: 200,
    contentType: "application/octet-stream",
    headers: {
      "content-disposition": `attachment; filename="${asciiName}"; filename*=UTF-8''${encodeURIComponent(attachment.filename)}`,
    },
    body: attachment.content,
  };
}

export function conversationResult(conversation: Conversation): Record<string, unknown> {
  return {
    id: conversation.id,
    channelId: conversation.channelId,
    state: conversation.state,
    ...(conversation.assignment === undefined ? {} : { assignment: { ...conversation.assignment } }),
    user: structuredClone(conversation.user),
  };
}

export function messageResult(message: Message): Record<string, unknown> {
  return {
    id: message.id,
    text: message.text,
    createdAt: message.createdAt,
    author: { id: message.author.id, removed: message.author.removed, type: message.author.type },
    ...(message.externalProvider === undefined ? {} : { externalProvider: { ...message.externalProvider } }),
    attachments: message.attachments.map(({ id }) => ({ id })),
    cards: message.cards.map((card) => ({ ...card })),
  };
}

function attachmentResult(attachment: Attachment): Record<string, unknown> {
  return {
    id: attachment.id,
    filename: attachment.filename,
    sizeInBytes: attachment.sizeInBytes,
    createdAt: attachment.createdAt,
  };
}
