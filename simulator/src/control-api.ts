import { attachmentContentReply, messageResult } from "./chat-gateway-api.ts";
import type { Delivery } from "./delivery.ts";
import { ControlError, invalidControlInput } from "./errors.ts";
import type { FaultState } from "./faults.ts";
import { attachmentKind, type AgentFile, type Lifecycle } from "./lifecycle.ts";
import type { PresignedUrls } from "./presigned-urls.ts";
import { emptyReply, jsonReply, type Reply } from "./reply.ts";
import type { RequestLog } from "./request-log.ts";
import { InvalidJsonError, readJson } from "./request-body.ts";
import type { RequestContext, Router } from "./router.ts";
import type { KeyStore } from "./signing.ts";
import type { SimulatorState } from "./state.ts";
import type { Conversation, Message, QueueConfig } from "./types.ts";

export type ControlDeps = {
  state: SimulatorState;
  lifecycle: Lifecycle;
  delivery: Delivery;
  faults: FaultState;
  keys: KeyStore;
  presigned: PresignedUrls;
  requestLog: RequestLog;
  /** The same time-limited link MESSAGE events carry (absolute, on the simulator's base URL). */
  attachmentUrl(conversationId: string, attachmentId: string): string;
};

/** Files an agent may send with one message through the control API. */
export const MAX_AGENT_FILES = 5;
export const MAX_AGENT_FILE_BYTES = 5 * 1024 * 1024;
/** Five files of 5 MB as base64 (4/3), plus room for the text and the JSON around them. */
const MAX_MESSAGE_BODY_BYTES = Math.ceil((MAX_AGENT_FILES * MAX_AGENT_FILE_BYTES * 4) / 3) + 1_048_576;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const MIME_TYPE = /^[\w.+-]+\/[\w.+-]+$/;

/** What the console shows per conversation. `status` is the agent-side view; `state` is 8x8's. */
export type ConversationSummary = {
  id: string;
  channelId: string;
  state: Conversation["state"];
  status: "queued" | "active" | "idle" | "bot";
  queueId?: string;
  queueName?: string;
  agentId?: string;
  agentName?: string;
  user: Conversation["user"];
  customProperties: Array<{ key: string; value: string }>;
  createdAt: string;
  waitingSince?: string;
  lastMessage?: { text: string; authorType: string; createdAt: string };
  unread: number;
  userTyping: boolean;
  botTyping: boolean;
  botThinking: boolean;
  postAgentAssignment?: Conversation["postAgentAssignment"];
};

/**
 * The simulator's own control API (not part of 8x8's): what the agent console, tests and demos use to play the
 * agent side. JSON in and out, no API key; bad input is a 400 `{error: {code, field, expected, message}}`.
 */
export function registerControlRoutes(router: Router, deps: ControlDeps): void {
  const { state, lifecycle } = deps;

  function conversationOr404(ctx: RequestContext): Conversation {
    const id = ctx.params["conversationId"] ?? "";
    const conversation = state.conversations.get(id);
    if (conversation === undefined)
      throw new ControlError(404, "not_found", `conversation ${id} does not exist`);
    return conversation;
  }

  const summary = (conversation: Conversation) => summarize(state, conversation);

  /**
   * A message as 8x8's MessageResult, with each attachment's metadata and a pre-signed download link added
   * (the 8x8 result carries only the id), so the console can show every file of both directions.
   */
  function controlMessage(conversation: Conversation, message: Message): Record<string, unknown> {
    return {
      ...messageResult(message),
      attachments: message.attachments.map(({ id }) => {
        const attachment = conversation.attachments.find((a) => a.id === id);
        if (attachment === undefined) return { id };
        return {
          id,
          fileName: attachment.filename,
          contentType: attachment.contentType,
          type: attachmentKind(attachment.contentType),
          sizeInBytes: attachment.sizeInBytes,
          url: deps.attachmentUrl(conversation.id, id),
        };
      }),
    };
  }

  router.add("GET", "/sim/queues", () => jsonReply(200, { queues: [...state.queues.values()] }));

  router.add("GET", "/sim/conversations", () => {
    const all = [...state.conversations.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    return jsonReply(200, { conversations: all.map(summary) });
  });

  router.add("GET", "/sim/conversations/:conversationId", (ctx) =>
    jsonReply(200, summary(conversationOr404(ctx))),
  );

  router.add("GET", "/sim/conversations/:conversationId/messages", (ctx) => {
    const conversation = conversationOr404(ctx);
    return jsonReply(200, {
      messages: conversation.messages.map((message) => controlMessage(conversation, message)),
    });
  });

  router.add("POST", "/sim/conversations/:conversationId/accept", async (ctx) => {
    const conversation = conversationOr404(ctx);
    const body = await controlBody(ctx);
    const agentId = optionalString(body, "agentId");
    const queueId = conversation.interaction?.queueId;
    const queue = queueId === undefined ? undefined : state.queues.get(queueId);
    if (agentId !== undefined && queue !== undefined && !queue.agents.some((agent) => agent.id === agentId)) {
      throw invalidControlInput("agentId", `an agent of queue ${queue.id} (${agentIds(queue)})`);
    }
    lifecycle.accept(conversation, agentId);
    return jsonReply(200, summary(conversation));
  });

  router.add("POST", "/sim/conversations/:conversationId/messages", async (ctx) => {
    const conversation = conversationOr404(ctx);
    const body = await controlBody(ctx, MAX_MESSAGE_BODY_BYTES);
    const files = agentFiles(body["attachments"]);
    const text = body["text"];
    if (files.length === 0 && (typeof text !== "string" || text.trim() === ""))
      throw invalidControlInput("text", "a non-empty string (or at least one attachment)");
    if (text !== undefined && text !== null && typeof text !== "string")
      throw invalidControlInput("text", "a string");
    requireSameAgent(conversation, optionalString(body, "agentId"));
    const message = lifecycle.agentMessage(conversation, typeof text === "string" ? text : "", files);
    return jsonReply(201, { message: controlMessage(conversation, message) });
  });

  router.add("POST", "/sim/conversations/:conversationId/typing", async (ctx) => {
    const conversation = conversationOr404(ctx);
    const body = await controlBody(ctx);
    requireSameAgent(conversation, optionalString(body, "agentId"));
    lifecycle.agentTyping(conversation);
    return jsonReply(200, { typing: true });
  });

  router.add("POST", "/sim/conversations/:conversationId/transfer", async (ctx) => {
    const conversation = conversationOr404(ctx);
    const body = await controlBody(ctx);
    const queueId = body["queueId"];
    if (typeof queueId !== "string" || !state.queues.has(queueId)) {
      throw invalidControlInput("queueId", `one of the queue ids ${[...state.queues.keys()].join(", ")}`);
    }
    lifecycle.transfer(conversation, queueId);
    return jsonReply(200, summary(conversation));
  });

  router.add("POST", "/sim/conversations/:conversationId/close", async (ctx) => {
    const conversation = conversationOr404(ctx);
    await controlBody(ctx);
    lifecycle.close(conversation);
    return jsonReply(200, summary(conversation));
  });

  router.add("GET", "/sim/faults", () => jsonReply(200, deps.faults.get()));

  router.add("PUT", "/sim/faults", async (ctx) => {
    const body = await controlBody(ctx);
    return jsonReply(200, deps.faults.set(body));
  });

  router.add("GET", "/sim/webhook-log", () => jsonReply(200, { attempts: deps.delivery.log() }));

  router.add("GET", "/sim/webhook-retry", () => jsonReply(200, deps.delivery.retry()));

  router.add("PUT", "/sim/webhook-retry", async (ctx) => {
    const body = await controlBody(ctx);
    return jsonReply(200, deps.delivery.setRetry(body));
  });

  router.add("GET", "/sim/request-log", () => jsonReply(200, { requests: deps.requestLog.entries() }));

  router.add("POST", "/sim/keys/rotate", async () => jsonReply(200, { kid: await deps.keys.rotate() }));

  router.add("GET", "/sim/files/:conversationId/:attachmentId", (ctx): Reply => {
    const conversationId = ctx.params["conversationId"] ?? "";
    const attachmentId = ctx.params["attachmentId"] ?? "";
    const search = ctx.url.searchParams;
    const attachment = state.conversations
      .get(conversationId)
      ?.attachments.find((a) => a.id === attachmentId);
    if (
      attachment === undefined ||
      !deps.presigned.isValid(conversationId, attachmentId, search.get("expires"), search.get("sig"))
    ) {
      return { ...emptyReply(403), contentType: "text/plain", body: "invalid or expired link" };
    }
    return attachmentContentReply(attachment);
  });
}

/** Summary for the console: status, wait time, unread count and the integration's indicators. */
export function summarize(state: SimulatorState, conversation: Conversation): ConversationSummary {
  const now = Date.now();
  const interaction = conversation.interaction;
  const queue = interaction === undefined ? undefined : state.queues.get(interaction.queueId);
  const agentId = interaction?.agentId;
  const last = conversation.messages.at(-1);
  return {
    id: conversation.id,
    channelId: conversation.channelId,
    state: conversation.state,
    status: statusOf(conversation),
    ...(interaction === undefined ? {} : { queueId: interaction.queueId }),
    ...(queue === undefined ? {} : { queueName: queue.name }),
    ...(agentId === undefined ? {} : { agentId, agentName: agentName(state, agentId) }),
    user: structuredClone(conversation.user),
    customProperties: (conversation.user.additionalProperties ?? []).map(({ key, value }) => ({
      key,
      value,
    })),
    createdAt: conversation.createdAt,
    ...(interaction !== undefined && agentId === undefined
      ? { waitingSince: new Date(interaction.queuedAt).toISOString() }
      : {}),
    ...(last === undefined
      ? {}
      : { lastMessage: { text: last.text, authorType: last.author.type, createdAt: last.createdAt } }),
    unread: conversation.messages.filter(
      (m) => m.seq > conversation.agentSeenSeq && m.author.type !== "agent",
    ).length,
    userTyping: (conversation.userTypingUntil ?? 0) > now,
    botTyping: (conversation.botTypingUntil ?? 0) > now,
    botThinking: (conversation.botThinkingUntil ?? 0) > now,
    ...(conversation.postAgentAssignment === undefined
      ? {}
      : { postAgentAssignment: structuredClone(conversation.postAgentAssignment) }),
  };
}

function statusOf(conversation: Conversation): ConversationSummary["status"] {
  if (conversation.state === "idle") return "idle";
  if (conversation.interaction === undefined) return "bot";
  return conversation.interaction.agentId === undefined ? "queued" : "active";
}

function agentName(state: SimulatorState, agentId: string): string {
  for (const queue of state.queues.values()) {
    const agent = queue.agents.find((a) => a.id === agentId);
    if (agent !== undefined) return agent.name;
  }
  return agentId;
}

function agentIds(queue: QueueConfig): string {
  return queue.agents.map((agent) => agent.id).join(", ");
}

function requireSameAgent(conversation: Conversation, agentId: string | undefined): void {
  const assigned = conversation.interaction?.agentId;
  if (agentId !== undefined && assigned !== undefined && agentId !== assigned) {
    throw new ControlError(
      409,
      "agent_mismatch",
      `conversation ${conversation.id} is handled by ${assigned}`,
    );
  }
}

/**
 * `attachments: [{fileName, contentType, base64}]` of an agent message: at most five files of at most 5 MB
 * each (decoded), each named, with a MIME type and strict base64. Absent or null means none.
 */
function agentFiles(value: unknown): AgentFile[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw invalidControlInput("attachments", "an array of {fileName, contentType, base64}");
  if (value.length > MAX_AGENT_FILES)
    throw invalidControlInput("attachments", `at most ${MAX_AGENT_FILES} files`);
  return value.map((item: unknown, index): AgentFile => {
    const field = `attachments[${index}]`;
    if (typeof item !== "object" || item === null || Array.isArray(item))
      throw invalidControlInput(field, "an object {fileName, contentType, base64}");
    const { fileName, contentType, base64 } = item as Record<string, unknown>;
    if (typeof fileName !== "string" || fileName.trim() === "" || fileName.length > 255)
      throw invalidControlInput(`${field}.fileName`, "a non-empty file name of at most 255 characters");
    if (typeof contentType !== "string" || !MIME_TYPE.test(contentType))
      throw invalidControlInput(`${field}.contentType`, "a MIME type such as image/png");
    if (typeof base64 !== "string" || base64 === "" || base64.length % 4 !== 0 || !BASE64.test(base64))
      throw invalidControlInput(`${field}.base64`, "the file's bytes as non-empty standard base64");
    if ((base64.length / 4) * 3 - (base64.match(/=+$/)?.[0].length ?? 0) > MAX_AGENT_FILE_BYTES) {
      throw invalidControlInput(
        `${field}.base64`,
        `at most ${MAX_AGENT_FILE_BYTES} bytes (5 MB) per file`,
        `${field} is larger than 5 MB`,
      );
    }
    return {
      fileName: fileName.trim(),
      contentType: contentType.toLowerCase(),
      content: Buffer.from(base64, "base64"),
    };
  });
}

async function controlBody(ctx: RequestContext, limit?: number): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await readJson(ctx.req, limit);
  } catch (error) {
    if (error instanceof InvalidJsonError) throw invalidControlInput("body", "valid JSON", error.message);
    throw error;
  }
  if (body === undefined) return {};
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalidControlInput("body", "a JSON object");
  }
  return body as Record<string, unknown>;
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || value === "") throw invalidControlInput(field, "a non-empty string");
  return value;
}
