import type { Kysely, Selectable } from "kysely";
import { BatonError } from "../../errors/index.ts";
import type { MessageAttachment, MessageSource, QuickReply } from "../../protocol/messages.ts";
import type { Database, MessagesTable } from "../schema.ts";
import { dbNow, inTransaction, toJson } from "../transactions.ts";
import type {
  DeliveryState,
  MessageDirection,
  MessageRepository,
  NewMessage,
  StoredMessage,
} from "../types.ts";
import { isUuid } from "./sessions.ts";

/** The ConversationMessage fields that have no column of their own travel in `payload`. */
interface MessagePayload {
  quickReplies?: readonly QuickReply[];
  card?: Readonly<Record<string, unknown>>;
  attachments?: readonly MessageAttachment[];
  agentName?: string;
  data?: Readonly<Record<string, unknown>>;
}

export function createMessageRepository(db: Kysely<Database>): MessageRepository {
  return {
    append(sessionId, message) {
      if (!isUuid(sessionId)) return Promise.reject(sessionNotFound(sessionId));
      return inTransaction(db, async (trx) => {
        // The session row lock serialises appends to one session (other sessions are not held up): seq is
        // read and bumped under it, so concurrent appends get distinct consecutive numbers with no gaps, and
        // a resend checked under it sees the first delivery even if that committed a moment ago.
        const session = await trx
          .selectFrom("sessions")
          .select("next_seq")
          .where("id", "=", sessionId)
          .forUpdate()
          .executeTakeFirst();
        if (!session) throw sessionNotFound(sessionId);
        if (message.clientMessageId !== undefined) {
          const existing = await trx
            .selectFrom("messages")
            .select("seq")
            .where("session_id", "=", sessionId)
            .where("client_message_id", "=", message.clientMessageId)
            .executeTakeFirst();
          if (existing) return { seq: existing.seq, inserted: false };
        }
        const seq = session.next_seq;
        await trx
          .updateTable("sessions")
          .set({ next_seq: seq + 1, updated_at: dbNow() })
          .where("id", "=", sessionId)
          .execute();
        await trx
          .insertInto("messages")
          .values({
            session_id: sessionId,
            seq,
            direction: message.direction,
            source: message.source,
            text: message.text ?? null,
            payload: toJson(payloadOf(message)),
            provider_id: message.providerId ?? null,
            provider_message_ref: message.providerMessageRef ?? null,
            delivery_state: message.deliveryState ?? "not_applicable",
            client_message_id: message.clientMessageId ?? null,
          })
          .execute();
        return { seq, inserted: true };
      });
    },

    async listAfter(sessionId, afterSeq, limit = 500) {
      if (!isUuid(sessionId)) return [];
      const rows = await db
        .selectFrom("messages")
        .selectAll()
        .where("session_id", "=", sessionId)
        .where("seq", ">", afterSeq)
        .orderBy("seq", "asc")
        .limit(limit)
        .execute();
      return rows.map(fromRow);
    },

    async listTranscript(sessionId, options = {}) {
      if (!isUuid(sessionId)) return [];
      let q = db.selectFrom("messages").selectAll().where("session_id", "=", sessionId);
      if (options.sources !== undefined) {
        if (options.sources.length === 0) return [];
        q = q.where("source", "in", [...options.sources]);
      }
      if (options.lastN === undefined) return (await q.orderBy("seq", "asc").execute()).map(fromRow);
      if (options.lastN <= 0) return [];
      const newest = await q.orderBy("seq", "desc").limit(options.lastN).execute();
      return newest.reverse().map(fromRow);
    },

    async setDeliveryState(sessionId, seq, state, providerMessageRef) {
      if (!isUuid(sessionId)) return;
      await db
        .updateTable("messages")
        .set({
          delivery_state: state,
          ...(providerMessageRef !== undefined ? { provider_message_ref: providerMessageRef } : {}),
        })
        .where("session_id", "=", sessionId)
        .where("seq", "=", seq)
        .execute();
    },
  };
}

function sessionNotFound(id: string): BatonError {
  return new BatonError("BATON_ERR_STORE_NOT_FOUND", { entity: "session", id });
}

function payloadOf(message: NewMessage): MessagePayload {
  const payload: MessagePayload = {};
  if (message.quickReplies !== undefined) payload.quickReplies = message.quickReplies;
  if (message.card !== undefined) payload.card = message.card;
  if (message.attachments !== undefined) payload.attachments = message.attachments;
  if (message.agentName !== undefined) payload.agentName = message.agentName;
  if (message.data !== undefined) payload.data = message.data;
  return payload;
}

function fromRow(row: Selectable<MessagesTable>): StoredMessage {
  const payload = row.payload as MessagePayload;
  return {
    sessionId: row.session_id,
    seq: row.seq,
    direction: row.direction as MessageDirection,
    source: row.source as MessageSource,
    ...(row.text !== null ? { text: row.text } : {}),
    ...(payload.quickReplies !== undefined ? { quickReplies: payload.quickReplies } : {}),
    ...(payload.card !== undefined ? { card: payload.card } : {}),
    ...(payload.attachments !== undefined ? { attachments: payload.attachments } : {}),
    ...(payload.agentName !== undefined ? { agentName: payload.agentName } : {}),
    ...(payload.data !== undefined ? { data: payload.data } : {}),
    ...(row.client_message_id !== null ? { clientMessageId: row.client_message_id } : {}),
    createdAt: row.created_at.toISOString(),
    deliveryState: row.delivery_state as DeliveryState,
    providerId: row.provider_id,
    providerMessageRef: row.provider_message_ref,
  };
}
