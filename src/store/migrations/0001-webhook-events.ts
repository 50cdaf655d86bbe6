import { sql, type Kysely } from "kysely";

/** The webhook-event log: durable de-duplication on (provider, event id) and the replay queue. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("webhook_events")
    .addColumn("seq", "bigint", (c) => c.generatedAlwaysAsIdentity().primaryKey())
    .addColumn("provider_id", "text", (c) => c.notNull())
    .addColumn("event_id", "text", (c) => c.notNull())
    .addColumn("event_type", "text", (c) => c.notNull())
    .addColumn("conversation_id", "text")
    .addColumn("event_timestamp", "bigint", (c) => c.notNull())
    .addColumn("retry", "integer", (c) => c.notNull())
    .addColumn("body", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull().defaultTo("pending"))
    .addColumn("received_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("processed_at", "timestamptz")
    .addColumn("error", "text")
    .addColumn("duplicates", "integer", (c) => c.notNull().defaultTo(0))
    .addUniqueConstraint("webhook_events_provider_event_unique", ["provider_id", "event_id"])
    .execute();
  await sql`create index webhook_events_pending on webhook_events (provider_id, seq) where status = 'pending'`.execute(
    db,
  );
  await db.schema
    .createIndex("webhook_events_conversation")
    .on("webhook_events")
    .columns(["provider_id", "conversation_id", "seq"])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("webhook_events").execute();
}
