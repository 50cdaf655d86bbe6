import { sql, type Kysely, type Selectable } from "kysely";
import type { Database, WebhookEventsTable } from "../schema.ts";
import type {
  NewWebhookEvent,
  StoredWebhookEvent,
  WebhookEventQuery,
  WebhookEventRepository,
  WebhookEventStatus,
} from "../types.ts";

export function createWebhookEventRepository(db: Kysely<Database>): WebhookEventRepository {
  /**
   * The latest timestamp of a conversation's events handed on: one probe per status of the (provider,
   * conversation, status, timestamp) index, whatever the conversation's history.
   */
  function latestHandedOn(providerId: string, conversationId: string) {
    const latest = (status: WebhookEventStatus) => sql`(
      select max(event_timestamp) from webhook_events
      where provider_id = ${providerId} and conversation_id = ${conversationId} and status = ${status})`;
    return sql<string | number | null>`greatest(${latest("processed")}, ${latest("failed")})`;
  }

  return {
    async recordIfNew(event) {
      // ON CONFLICT DO NOTHING makes the insert atomic under concurrent retries and instances: exactly one
      // delivery of an event id wins; every other one only bumps the duplicate counter.
      const inserted = await db
        .insertInto("webhook_events")
        .values(toRow(event))
        .onConflict((oc) => oc.columns(["provider_id", "event_id"]).doNothing())
        .returning("seq")
        .executeTakeFirst();
      if (inserted) return { inserted: true, seq: Number(inserted.seq) };
      const existing = await db
        .updateTable("webhook_events")
        .set({ duplicates: sql<number>`duplicates + 1` })
        .where("provider_id", "=", event.providerId)
        .where("event_id", "=", event.eventId)
        .returning("seq")
        .executeTakeFirstOrThrow();
      return { inserted: false, seq: Number(existing.seq) };
    },

    async markDone(providerId, eventId, status, error) {
      await db
        .updateTable("webhook_events")
        .set({ status, processed_at: new Date(), error: error ?? null })
        .where("provider_id", "=", providerId)
        .where("event_id", "=", eventId)
        .execute();
    },

    async listPending(providerId) {
      const rows = await db
        .selectFrom("webhook_events")
        .selectAll()
        .where("provider_id", "=", providerId)
        .where("status", "=", "pending")
        .orderBy("seq", "asc")
        .execute();
      return rows.map(fromRow);
    },

    async backlog(providerId, conversationId, windowMs) {
      // One round trip: the pending rows, each with the latest timestamp handed on (the same scalar on every
      // row, evaluated once by the database).
      const rows = await db
        .selectFrom("webhook_events")
        .selectAll()
        // The database's clock on both sides: received_at is its now() at the insert.
        .select(
          sql<boolean>`received_at <= now() - ${Math.max(0, Math.floor(windowMs))}::int * interval '1 millisecond'`.as(
            "window_passed",
          ),
        )
        .select(latestHandedOn(providerId, conversationId).as("latest_handed_on"))
        .where("provider_id", "=", providerId)
        .where("conversation_id", "=", conversationId)
        .where("status", "=", "pending")
        .orderBy("event_timestamp", "asc")
        .orderBy("seq", "asc")
        .execute();
      const latest = rows[0]?.latest_handed_on;
      return {
        pending: rows.map(({ window_passed, latest_handed_on: _, ...row }) => ({
          ...fromRow(row),
          windowPassed: window_passed,
        })),
        latestHandedOn: latest === null || latest === undefined ? undefined : Number(latest),
      };
    },

    async find(providerId, eventId) {
      const row = await db
        .selectFrom("webhook_events")
        .selectAll()
        .where("provider_id", "=", providerId)
        .where("event_id", "=", eventId)
        .executeTakeFirst();
      return row ? fromRow(row) : undefined;
    },

    async list(query: WebhookEventQuery = {}) {
      let q = db.selectFrom("webhook_events").selectAll();
      if (query.providerId !== undefined) q = q.where("provider_id", "=", query.providerId);
      if (query.conversationId !== undefined) q = q.where("conversation_id", "=", query.conversationId);
      if (query.status !== undefined) q = q.where("status", "=", query.status);
      const rows = await q
        .orderBy("seq", "desc")
        .limit(query.limit ?? 100)
        .execute();
      return rows.map(fromRow);
    },
  };
}

function toRow(event: NewWebhookEvent) {
  return {
    provider_id: event.providerId,
    event_id: event.eventId,
    event_type: event.eventType,
    conversation_id: event.conversationId,
    event_timestamp: event.eventTimestamp,
    retry: event.retry,
    body: event.body,
  };
}

function fromRow(row: Selectable<WebhookEventsTable>): StoredWebhookEvent {
  return {
    seq: Number(row.seq),
    providerId: row.provider_id,
    eventId: row.event_id,
    eventType: row.event_type,
    conversationId: row.conversation_id,
    eventTimestamp: Number(row.event_timestamp),
    retry: row.retry,
    body: row.body,
    status: row.status as WebhookEventStatus,
    receivedAt: row.received_at,
    processedAt: row.processed_at,
    error: row.error,
    duplicates: row.duplicates,
  };
}
