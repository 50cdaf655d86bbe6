import { BatonError } from "../../errors/index.ts";
import type { CreateHandoverConversation, HandoverOperations, TranscriptEntry } from "../port.ts";
import type { ChatGatewayClient } from "./client.ts";
import { eightByEightLimits } from "./limits.ts";
import type { SendMessageBody, UserData } from "./wire-types.ts";

/**
 * Flows are checked against these limits when they load (eightByEightCapabilities); the cuts below only keep
 * a request made some other way (the bot API) inside what 8x8 accepts: the newest history, the first
 * properties.
 */
const { maxTranscriptMessages: maxHistoryMessages, maxCustomProperties: maxAdditionalProperties } =
  eightByEightLimits;

/**
 * The handover operations over the Chat Gateway. Creates and sends are made with `retry: false`: 8x8 has no
 * idempotency key for them, so a retry after a lost answer could post twice, and the durable outbox owns
 * retrying them.
 */
export function createEightByEightHandoverOperations(
  client: ChatGatewayClient,
  defaults: { readonly channelId?: string },
): HandoverOperations {
  return {
    async createConversation(input) {
      const channelId = input.routing.channelId ?? defaults.channelId;
      if (channelId === undefined) {
        throw new BatonError("BATON_ERR_HANDOVER_UNSUPPORTED", {
          field: "channelId",
          expected: "channelId on the handoverToAgent node, or providers.<id>.channelId in the config",
        });
      }
      const created = await client.conversations.create(
        {
          channelId,
          user: toUserData(input),
          ...(input.routing.queueId !== undefined
            ? { assignment: { type: "queue", id: input.routing.queueId } }
            : {}),
          ...(input.transcript.length > 0 ? { history: { messages: toHistory(input.transcript) } } : {}),
        },
        { retry: false },
      );
      return { providerConversationId: created.conversationId };
    },

    async sendUserMessage(conversationId, message) {
      const attachments = [];
      for (const file of message.attachments ?? []) {
        const uploaded = await client.attachments.upload(
          conversationId,
          { bytes: file.bytes, fileName: file.name, contentType: file.contentType, authorType: "user" },
          { retry: false },
        );
        attachments.push({ id: uploaded.id });
      }
      const text = message.text?.trim();
      if ((text === undefined || text === "") && attachments.length === 0) return; // never send empty messages
      await client.messages.send(
        conversationId,
        {
          authorType: "user",
          ...(text !== undefined && text !== "" ? { text } : {}),
          ...(attachments.length > 0 ? { attachments } : {}),
        },
        { retry: false },
      );
    },

    async notifyAgent(conversationId, text) {
      await client.messages.send(conversationId, { authorType: "bot", text }, { retry: false });
    },

    async userTyping(conversationId) {
      await client.conversations.typing(conversationId, { authorType: "user" });
    },

    async userLeaves(conversationId) {
      await client.conversations.userLeaves(conversationId);
    },
  };
}

function toUserData({ user, routing }: CreateHandoverConversation): UserData {
  const properties = Object.entries(routing.properties ?? {})
    .slice(0, maxAdditionalProperties)
    .map(([key, value]) => ({ key, value }));
  return {
    userId: user.id,
    name: user.name ?? displayNameFor(user.id),
    ...(user.email !== undefined ? { email: user.email } : {}),
    ...(user.phone !== undefined ? { phone: user.phone } : {}),
    ...(user.company !== undefined ? { company: user.company } : {}),
    ...(user.caseId !== undefined ? { caseId: user.caseId } : {}),
    ...(user.language !== undefined ? { language: user.language } : {}),
    ...(properties.length > 0 ? { additionalProperties: properties } : {}),
  };
}

/**
 * The agent needs something readable when the session knows no name: a generated id (a web chat's UUID)
 * becomes "Guest 69876daa"; anything else (an e-mail, a CRM id) is shown as it is.
 */
function displayNameFor(userId: string): string {
  return /^[0-9a-f-]{20,}$/i.test(userId) ? `Guest ${userId.slice(0, 8)}` : userId;
}

/**
 * The bot transcript as 8x8 history. 8x8 only takes `user` and `bot` authors from integrations, so Baton's
 * system lines and earlier agents' lines are sent as bot messages with a label the agent can read. History
 * is text only (an 8x8 attachment belongs to a conversation, which does not exist before this call), so a
 * file is named on its own line: `[attachment] photo.png`.
 */
function toHistory(transcript: readonly TranscriptEntry[]): SendMessageBody[] {
  return transcript
    .map((entry) => ({
      source: entry.source,
      text: [
        ...(entry.text.trim() !== "" ? [entry.text] : []),
        ...(entry.attachments ?? []).map((name) => `[attachment] ${name}`),
      ].join("\n"),
    }))
    .filter((entry) => entry.text !== "")
    .slice(-maxHistoryMessages)
    .map((entry) => {
      switch (entry.source) {
        case "user":
          return { authorType: "user", text: entry.text };
        case "bot":
          return { authorType: "bot", text: entry.text };
        case "agent":
          return { authorType: "bot", text: `[agent] ${entry.text}` };
        case "system":
          return { authorType: "bot", text: `[system] ${entry.text}` };
      }
    });
}
