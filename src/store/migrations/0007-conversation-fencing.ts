import { sql, type Kysely } from "kysely";

/**
 * Two things that let several instances share conversations safely.
 *
 * `sessions.fence_token`: the highest lock fencing token that wrote the session (its conversation, its
 * handovers, its messages). A turn claims it first in each of its transactions; a holder whose lock was taken
 * over meanwhile has an older token and its write is refused.
 *
 * `webhook_events_conversation_status`: the reorder window works from the store, so any instance can apply a
 * conversation's events in payload order. Each drain reads that conversation's pending events sorted by
 * timestamp and the latest timestamp already handed on; with the status before the timestamp both are a
 * range or a single probe of this index, whatever the conversation's history.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table sessions add column fence_token bigint not null default 0`.execute(db);
  await db.schema
    .createIndex("webhook_events_conversation_status")
    .on("webhook_events")
    .columns(["provider_id", "conversation_id", "status", "event_timestamp", "seq"])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex("webhook_events_conversation_status").execute();
  await sql`alter table sessions drop column fence_token`.execute(db);
}
