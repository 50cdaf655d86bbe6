import { sql, type Kysely } from "kysely";

/**
 * Instance identity: every running gateway keeps a row here and refreshes its heartbeat every couple of
 * seconds, so the others can tell a live instance from one that died without closing. The outbox records
 * which instance holds each claim (`locked_by`): a claim whose instance is gone or silent can be taken over
 * at once instead of after the lease, and `check_first` marks an item whose earlier attempt may have been
 * carried out (its answer was lost, or its instance died mid-call), so it is looked up at the provider
 * before it is sent again.
 */
const statements = [
  `create table instances (
    id text primary key,
    started_at timestamptz not null default now(),
    heartbeat_at timestamptz not null default now(),
    bus text not null,
    host text not null,
    pid integer not null
  )`,
  `alter table outbox add column locked_by text`,
  `alter table outbox add column check_first boolean not null default false`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`alter table outbox drop column if exists check_first`).execute(db);
  await sql.raw(`alter table outbox drop column if exists locked_by`).execute(db);
  await db.schema.dropTable("instances").ifExists().execute();
}
