import { request, type Agent } from "undici";
import { BatonError, errorCatalog, isErrorCode } from "../../../src/errors/index.ts";
import type {
  HandoverOperations,
  MessageSendContext,
  ProviderCapabilities,
} from "../../../src/providers/port.ts";
import { landedAlready, type RelayedMessage } from "../../../src/providers/resend-check.ts";
import type {
  WireConversationState,
  WireCreateConversation,
  WireError,
  WireMessageList,
  WireUserMessage,
} from "./wire.ts";

/**
 * The handover operations as calls of the test contact center's API. Each call is made once: retrying is
 * the outbox's decision, made from the error's catalog code. A failure after which the call may have
 * happened (the connection broke once the request was on its way) is marked `ambiguous`, and a send told to
 * `checkFirst` looks at the conversation's messages before it posts.
 */
export function createTestHandoverOperations(
  providerId: string,
  baseUrl: string,
  capabilities: ProviderCapabilities,
  dispatcher: Agent,
): HandoverOperations {
  async function call(path: string, body?: object): Promise<unknown> {
    let response;
    try {
      response = await request(`${baseUrl}${path}`, {
        method: body === undefined ? "GET" : "POST",
        ...(body === undefined
          ? {}
          : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
        dispatcher,
      });
    } catch (error) {
      // Only a refused connection proves the contact center never saw the request.
      const ambiguous = (error as { code?: unknown }).code !== "ECONNREFUSED";
      throw new BatonError(
        "BATON_ERR_PROVIDER_UNAVAILABLE",
        { reason: "network", ...(ambiguous ? { ambiguous: true } : {}) },
        { cause: error },
      );
    }
    const text = await response.body.text();
    if (response.statusCode < 300) return text === "" ? undefined : (JSON.parse(text) as unknown);
    throw toBatonError(response.statusCode, text);
  }

  const conversation = (id: string, action: string): string =>
    `/conversations/${encodeURIComponent(id)}/${action}`;

  async function alreadyThere(
    id: string,
    message: RelayedMessage,
    context: MessageSendContext | undefined,
  ): Promise<boolean> {
    if (context?.checkFirst === undefined) return false;
    const { messages } = (await call(conversation(id, "messages"))) as WireMessageList;
    return landedAlready(messages, message, context.checkFirst);
  }

  return {
    async createConversation(input) {
      // Flows are checked against the capabilities when they load; the cuts keep other callers inside them.
      const properties = Object.entries(input.routing.properties ?? {}).slice(
        0,
        capabilities.maxCustomProperties,
      );
      const body: WireCreateConversation = {
        ...input,
        routing: { ...input.routing, properties: Object.fromEntries(properties) },
        transcript: input.transcript.slice(-capabilities.maxTranscriptMessages),
      };
      const created = (await call("/conversations", body)) as { conversationId: string };
      return { providerConversationId: created.conversationId };
    },

    async sendUserMessage(id, message, context) {
      const text = message.text?.trim();
      const attachments = (message.attachments ?? []).map((file) => ({
        name: file.name,
        contentType: file.contentType,
        base64: Buffer.from(file.bytes).toString("base64"),
      }));
      if ((text === undefined || text === "") && attachments.length === 0) return; // never send empty messages
      const relayed = { author: "user", text: text ?? "", attachments: attachments.length } as const;
      if (await alreadyThere(id, relayed, context)) return { alreadyThere: true };
      const body: WireUserMessage = { ...(text ? { text } : {}), attachments };
      await call(conversation(id, "messages"), body);
      return { alreadyThere: false };
    },

    async notifyAgent(id, text, context) {
      if (await alreadyThere(id, { author: "bot", text, attachments: 0 }, context))
        return { alreadyThere: true };
      await call(conversation(id, "notices"), { text });
      return { alreadyThere: false };
    },

    async userTyping(id) {
      await call(conversation(id, "typing"), {});
    },

    async userLeaves(id) {
      await call(conversation(id, "leave"), {});
    },

    async reconcile(id, since) {
      const state = (await call(
        `/conversations/${encodeURIComponent(id)}?since=${since}`,
      )) as WireConversationState;
      return {
        // Each message as the webhook event that carried it, so the service's key matches it.
        messages: state.messages.map((message) => ({
          kind: "message.received" as const,
          providerId,
          conversationId: id,
          eventId: `catch-up:${message.id}`,
          occurredAt: message.occurredAt,
          sender: { id: message.senderId, role: "agent" as const },
          text: message.text,
          attachments: message.attachments,
          cards: [],
        })),
        ...(state.agentId === undefined ? {} : { agent: { id: state.agentId } }),
        ...(state.status === "queued" ? { queueId: state.queueId } : {}),
        agentsLeft: state.agentsLeft,
        ended: state.status === "ended",
      };
    },
  };
}

/**
 * An error answer as a BatonError. The catalog has no provider-neutral codes for a refused or failed call, so
 * the 8x8 ones stand in: a 4xx becomes REQUEST_REJECTED, anything else UNAVAILABLE, each keeping the status.
 * An answer naming a catalog code is an injected fault and becomes that very error.
 */
function toBatonError(status: number, text: string): BatonError {
  let error: WireError["error"] | undefined;
  try {
    error = (JSON.parse(text) as Partial<WireError>).error;
  } catch {
    error = undefined;
  }
  if (error !== undefined && isErrorCode(error.code)) {
    const message = error.message === errorCatalog[error.code].message ? {} : { message: error.message };
    return new BatonError(error.code, error.details ?? {}, message);
  }
  const details = { status, ...(error === undefined ? {} : { reason: error.code }) };
  return status >= 400 && status < 500
    ? new BatonError("BATON_ERR_PROVIDER_REQUEST_REJECTED", details)
    : new BatonError("BATON_ERR_PROVIDER_UNAVAILABLE", details);
}
