import { sql, type Kysely, type Selectable } from "kysely";
import type { Database, HandoverCatchUpTable, ProviderMessagesTable } from "../schema.ts";
import { dbNow } from "../transactions.ts";
import type {
  CatchUpMark,
  ProviderMessageRepository,
  ProviderMessageSource,
  StoredProviderMessage,
} from "../types.ts";
import { isUuid } from "./sessions.ts";

export function createProviderMessageRepository(db: Kysely<Database>): ProviderMessageRepository {
  return {
    async recordIfNew(message) {
      // ON CONFLICT DO NOTHING is the arbiter: a webhook and a catch-up applying one message at the same time
      // (two instances, a stalled lock) cannot both insert, and the loser's transaction rolls its effects back.
      const inserted = await db
        .insertInto("provider_messages")
        .values({
          handover_id: message.handoverId,
          message_key: message.messageKey,
          sender_id: message.senderId,
          occurred_at: message.occurredAt,
          source: message.source,
          event_id: message.eventId,
        })
        .onConflict((oc) => oc.columns(["handover_id", "message_key"]).doNothing())
        .returning("message_key")
        .executeTakeFirst();
      return inserted !== undefined;
    },

    async listByHandover(handoverId) {
      if (!isUuid(handoverId)) return [];
      const rows = await db
        .selectFrom("provider_messages")
        .selectAll()
        .where("handover_id", "=", handoverId)
        .orderBy("occurred_at", "asc")
        .orderBy("applied_at", "asc")
        .execute();
      return rows.map(fromRow);
    },

    async getCatchUpMark(handoverId) {
      if (!isUuid(handoverId)) return undefined;
      const row = await db
        .selectFrom("handover_catch_up")
        .selectAll()
        .where("handover_id", "=", handoverId)
        .executeTakeFirst();
      return row ? fromMarkRow(row) : undefined;
    },

    async setCatchUpMark(handoverId, caughtUpThrough) {
      const row = await db
        .insertInto("handover_catch_up")
        .values({ handover_id: handoverId, caught_up_through: caughtUpThrough })
        .onConflict((oc) =>
          oc.column("handover_id").doUpdateSet({
            // Two catch-ups of one handover may finish in either order: the mark only moves forward.
            caught_up_through: sql<number>`greatest(handover_catch_up.caught_up_through, excluded.caught_up_through)`,
            checked_at: dbNow(),
          }),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      return fromMarkRow(row);
    },
  };
}

function fromRow(row: Selectable<ProviderMessagesTable>): StoredProviderMessage {
  return {
    handoverId: row.handover_id,
    messageKey: row.message_key,
    senderId: row.sender_id,
    occurredAt: Number(row.occurred_at),
    source: row.source as ProviderMessageSource,
    eventId: row.event_id,
    appliedAt: row.applied_at,
  };
}

function fromMarkRow(row: Selectable<HandoverCatchUpTable>): CatchUpMark {
  return {
    handoverId: row.handover_id,
    caughtUpThrough: Number(row.caught_up_through),
    checkedAt: row.checked_at,
  };
}
