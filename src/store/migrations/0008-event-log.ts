import { sql, type Kysely } from "kysely";

/**
 * The operator's event log: one row per webhook delivery that reached the receiver and per HTTP attempt of
 * the provider client. Metadata only, plus the verified body of inbound events (capped) so they can be
 * replayed. Rows are pruned after `eventLog.retentionHours`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("event_log")
    .addColumn("id", "bigint", (c) => c.generatedAlwaysAsIdentity().primaryKey())
    .addColumn("at", "timestamptz", (c) => c.notNull())
    .addColumn("direction", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("provider_id", "text", (c) => c.notNull())
    .addColumn("conversation_id", "text")
    .addColumn("event_id", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("outcome", "text", (c) => c.notNull())
    .addColumn("duration_ms", "integer", (c) => c.notNull())
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("error_code", "text")
    .addColumn("method", "text")
    .addColumn("path", "text")
    .addColumn("body", "text")
    .addColumn("body_bytes", "integer")
    .addColumn("body_truncated", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("replay_of", "bigint")
    .execute();
  // Newest first with keyset pagination on (at, id); the filters narrow it through these.
  await sql`create index event_log_at on event_log (at desc, id desc)`.execute(db);
  await sql`create index event_log_conversation on event_log (conversation_id, at desc, id desc)`.execute(db);
  await sql`create index event_log_event on event_log (event_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("event_log").execute();
}
