import { isBatonError } from "../../errors/index.ts";
import { cleanJson, cleanText } from "../../utils/text-hygiene.ts";
import type { Logger } from "../../telemetry/logger.ts";
import type {
  ProviderAttachment,
  ProviderCard,
  ProviderMessageEvent,
  ReconciledConversation,
} from "../port.ts";
import type { ChatGatewayClient } from "./client.ts";
import type { CallOptions } from "./transport.ts";
import { isRelayedSender, participantRole } from "./webhook-events.ts";
import type { Conversation, Message, Participant } from "./wire-types.ts";

/** Messages per page when listing newest first; a catch-up rarely needs more than the first page. */
const pageSize = 50;
/** At most this many pages (1 000 messages) per catch-up, so a huge conversation cannot stall it. */
const maxPages = 20;
/**
 * An agent's file found by catch-up has no pre-signed link (only webhooks carry one), so it is fetched with
 * the API key and kept inline as a data: URL, as the user's own files are. Larger files are left out (and
 * logged): a data: URL that size would bloat every replay of the session.
 */
export const maxCaughtUpAttachmentBytes = 5 * 1024 * 1024;

/**
 * Reads are retried in-process only briefly (three attempts, well under two seconds of back-off in all):
 * catch-up runs under the session's lock, which must not be held through long back-offs, yet a webhook
 * event of a handover not caught up yet waits for its catch-up, so one 503 must not fail it. A catch-up that
 * still fails is tried again later.
 */
const once: CallOptions = {
  retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 500, retryAfterCapMs: 1_000 },
};

/**
 * `HandoverOperations.reconcile` over the Chat Gateway: the conversation's state and assignment
 * (`GET /conversations/{id}`), who left (`GET …/participants`) and the messages created at or after
 * `since` (`GET …/messages`, newest first, until an older one), turned into the MESSAGE events their
 * webhooks carry. The event's `occurredAt` is the message's REST `createdAt`: de-duplication against the
 * webhook relies on 8x8 giving a message's webhook `timestamp` the same instant (the simulator does).
 *
 * @example
 * const read = await reconcile("cv_7Hq2LmZt0aQ", Date.now() - 60_000);
 * // read.messages: the agent's messages since then, oldest first; read.ended: state idle
 */
export function createEightByEightReconcile(
  client: ChatGatewayClient,
  providerId: string,
  logger: Logger,
): (conversationId: string, since: number) => Promise<ReconciledConversation> {
  async function messagesSince(conversationId: string, since: number): Promise<Message[]> {
    const newestFirst: Message[] = [];
    for (let page = 0; page < maxPages; page++) {
      const { items, page: info } = await client.messages.list(
        conversationId,
        { page, size: pageSize, sort: "createdAt:desc" },
        once,
      );
      for (const message of items) {
        const at = createdAtMs(message);
        if (at !== undefined && at < since) return newestFirst.reverse();
        newestFirst.push(message);
      }
      if (items.length === 0 || page + 1 >= info.totalPages) return newestFirst.reverse();
    }
    logger.warn(
      { conversationId, since, read: newestFirst.length },
      "catch-up read the most messages it reads at once; older ones are left for the next catch-up",
    );
    return newestFirst.reverse();
  }

  async function toEvent(
    conversationId: string,
    message: Message,
  ): Promise<ProviderMessageEvent | undefined> {
    const role = participantRole(message.author?.type ?? "");
    if (role === undefined || !isRelayedSender(role)) return undefined;
    const occurredAt = createdAtMs(message);
    if (occurredAt === undefined) {
      // Without its time the message could not be matched with its webhook: shown twice is worse than once.
      logger.warn({ conversationId, messageId: message.id }, "8x8 message without createdAt; not caught up");
      return undefined;
    }
    const cards = cleanCards(message);
    if (cards === undefined) {
      // The webhook of this message would have been refused the same way (BATON_ERR_INPUT_TOO_DEEP).
      logger.warn(
        { conversationId, messageId: message.id },
        "8x8 message with cards nested too deeply; not caught up",
      );
      return undefined;
    }
    const attachments: ProviderAttachment[] = [];
    for (const { id } of message.attachments) {
      const attachment = await fetchAttachment(conversationId, id);
      if (attachment !== undefined) attachments.push(attachment);
    }
    return {
      kind: "message.received",
      providerId,
      conversationId,
      eventId: `catch-up:${message.id}`,
      occurredAt,
      // The webhook's strings pass the same hygiene (webhook-events.ts), so both ways read the same.
      sender: { id: cleanText(message.author?.id ?? ""), role },
      text: cleanText(message.text),
      attachments,
      cards,
    };
  }

  async function fetchAttachment(
    conversationId: string,
    attachmentId: string,
  ): Promise<ProviderAttachment | undefined> {
    const meta = await client.attachments.get(conversationId, attachmentId, once);
    if (meta.sizeInBytes !== undefined && meta.sizeInBytes > maxCaughtUpAttachmentBytes) {
      logger.warn(
        { conversationId, attachmentId, sizeInBytes: meta.sizeInBytes },
        "caught-up agent file too large to keep inline; left out",
      );
      return undefined;
    }
    const file = await client.attachments.download(conversationId, attachmentId, once);
    if (file.bytes.length > maxCaughtUpAttachmentBytes) {
      logger.warn(
        { conversationId, attachmentId, sizeInBytes: file.bytes.length },
        "caught-up agent file too large to keep inline; left out",
      );
      return undefined;
    }
    const fileName = file.fileName ?? meta.filename;
    const contentType = contentTypeOf(file.contentType, fileName);
    return {
      id: attachmentId,
      kind: kindOf(contentType),
      fileName,
      url: `data:${contentType};base64,${file.bytes.toString("base64")}`,
    };
  }

  return async (conversationId, since) => {
    const conversation = await client.conversations.get(conversationId, once);
    const participants = await client.conversations.participants(conversationId, once);
    const listed = await messagesSince(conversationId, since);
    const messages: ProviderMessageEvent[] = [];
    for (const message of listed) {
      const event = await toEvent(conversationId, message);
      if (event !== undefined) messages.push(event);
    }
    return { messages, ...standing(conversation, participants) };
  };
}

/**
 * Where the conversation stands. 8x8 has no closed state: `idle` means no interaction is live, which is how
 * an agent's close (and a user's leave) ends up. The assignment keeps naming the last agent after that, so
 * an agent counts only while the conversation is not idle and the agent has not left.
 */
function standing(
  conversation: Conversation,
  participants: readonly Participant[],
): Omit<ReconciledConversation, "messages"> {
  const ended = conversation.state?.toLowerCase() === "idle";
  const agentsLeft = participants
    .filter((p) => participantRole(p.type) === "agent" && p.removed)
    .map((p) => p.id);
  const assignment = conversation.assignment;
  const type = assignment?.type.toLowerCase();
  const present = (id: string) =>
    participants.some((p) => p.id === id && participantRole(p.type) === "agent" && !p.removed);
  return {
    ended,
    agentsLeft,
    ...(!ended && type === "agent" && assignment !== undefined && present(assignment.id)
      ? { agent: { id: assignment.id } }
      : {}),
    ...(!ended && type === "queue" && assignment !== undefined ? { queueId: assignment.id } : {}),
  };
}

/** The message's cards cleaned as a webhook's are; undefined when they nest deeper than a webhook may. */
function cleanCards(message: Message): ProviderCard[] | undefined {
  try {
    return message.cards.map((card) => ({
      contentType: cleanText(card.contentType),
      content: cleanJson(card.content, "cards"),
    }));
  } catch (error) {
    if (isBatonError(error) && error.code === "BATON_ERR_INPUT_TOO_DEEP") return undefined;
    throw error;
  }
}

function createdAtMs(message: Message): number | undefined {
  if (message.createdAt === undefined) return undefined;
  const at = Date.parse(message.createdAt);
  return Number.isFinite(at) ? at : undefined;
}

/**
 * The file's type: 8x8 serves every attachment's content as application/octet-stream and its metadata has
 * no type, while the webhook says image, video, audio or file. The name's extension tells the common
 * kinds, so an image caught up is shown as an image, as its webhook's would have been.
 */
function contentTypeOf(served: string | undefined, fileName: string): string {
  const type = served?.split(";")[0]?.trim().toLowerCase();
  if (type !== undefined && type !== "" && type !== "application/octet-stream") return type;
  const extension = /\.([a-z0-9]+)$/i.exec(fileName)?.[1]?.toLowerCase() ?? "";
  return contentTypesByExtension[extension] ?? "application/octet-stream";
}

const contentTypesByExtension: Readonly<Record<string, string>> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  mp4: "video/mp4",
  webm: "video/webm",
  mp3: "audio/mpeg",
  ogg: "audio/ogg",
  wav: "audio/wav",
  pdf: "application/pdf",
  txt: "text/plain",
};

/** The webhook's attachment `type` (image, video, audio or file) from the file's content type. */
function kindOf(contentType: string): string {
  const major = contentType.split("/")[0];
  return major === "image" || major === "video" || major === "audio" ? major : "file";
}
