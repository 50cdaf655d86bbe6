import { BatonError } from "../../errors/index.ts";
import type {
  CreateHandoverConversation,
  HandoverOperations,
  MessageSendContext,
  TranscriptEntry,
} from "../port.ts";
import { landedAlready, type ListedMessage, type RelayedMessage } from "../resend-check.ts";
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

/** Messages read per page when looking for an earlier attempt (newest first; the run is usually short). */
const checkPageSize = 50;
/** Pages read at most: a run of equal messages longer than this is not worth telling apart. */
const checkMaxPages = 4;
/**
 * Creates, uploads and posts (see CallOptions.idempotent). A `Retry-After` is waited in-process up to 10 s
 * only: a few such waits must end well within the outbox's lease (60 s), and a longer one is the outbox's
 * to schedule.
 */
const notIdempotent = { idempotent: false, retry: { retryAfterCapMs: 10_000 } } as const;

/**
 * The handover operations over the Chat Gateway. Creates, uploads and sends are not idempotent (8x8 has no
 * idempotency key, so a retry after a lost answer could post twice): the client retries them in-process
 * only after failures that prove nothing happened (429, 503, no connection), and leaves the rest to the
 * durable outbox, whose next attempt of a message send checks the conversation first (`checkFirst`).
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
        notIdempotent,
      );
      return { providerConversationId: created.conversationId };
    },

    async sendUserMessage(conversationId, message, context) {
      const files = message.attachments ?? [];
      const text = message.text?.trim();
      if ((text === undefined || text === "") && files.length === 0) return; // never send empty messages
      const relayed: RelayedMessage = { author: "user", text: text ?? "", attachments: files.length };
      if (await alreadyThere(client, conversationId, relayed, context)) return { alreadyThere: true };
      // A message whose earlier attempt did not land is uploaded again: an unreferenced upload of that
      // attempt is harmless (8x8 shows files only through the messages that carry them).
      const attachments = [];
      for (const file of files) {
        const uploaded = await client.attachments.upload(
          conversationId,
          { bytes: file.bytes, fileName: file.name, contentType: file.contentType, authorType: "user" },
          notIdempotent,
        );
        attachments.push({ id: uploaded.id });
      }
      await client.messages.send(
        conversationId,
        {
          authorType: "user",
          ...(text !== undefined && text !== "" ? { text } : {}),
          ...(attachments.length > 0 ? { attachments } : {}),
        },
        notIdempotent,
      );
      return { alreadyThere: false };
    },

    async notifyAgent(conversationId, text, context) {
      if (await alreadyThere(client, conversationId, { author: "bot", text, attachments: 0 }, context))
        return { alreadyThere: true };
      await client.messages.send(conversationId, { authorType: "bot", text }, notIdempotent);
      return { alreadyThere: false };
    },

    async userTyping(conversationId) {
      await client.conversations.typing(conversationId, { authorType: "user" });
    },

    async userLeaves(conversationId) {
      await client.conversations.userLeaves(conversationId);
    },
  };
}

/**
 * With `checkFirst`: whether an earlier attempt of this message is already in the conversation, by the rule
 * of resend-check.ts over 8x8's newest messages. The lookup is an ordinary GET, retried in-process like any
 * read; if it fails, the send fails too and the outbox tries again (still checking first).
 */
async function alreadyThere(
  client: ChatGatewayClient,
  conversationId: string,
  message: RelayedMessage,
  context: MessageSendContext | undefined,
): Promise<boolean> {
  if (context?.checkFirst === undefined) return false;
  return landedAlready(newestMessages(client, conversationId), message, context.checkFirst);
}

async function* newestMessages(
  client: ChatGatewayClient,
  conversationId: string,
): AsyncGenerator<ListedMessage> {
  for (let page = 0; page < checkMaxPages; page++) {
    const listed = await client.messages.list(conversationId, {
      page,
      size: checkPageSize,
      sort: "createdAt:desc",
    });
    for (const item of listed.items) {
      yield { author: item.author?.type ?? "", text: item.text, attachments: item.attachments.length };
    }
    if (listed.items.length === 0 || page + 1 >= listed.page.totalPages) return;
  }
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
