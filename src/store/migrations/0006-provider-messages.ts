import { sql, type Kysely } from "kysely";

/**
 * What catch-up needs to deliver each provider message once, whichever way it arrives (webhook or a read of
 * the provider's conversation): the messages applied to each handover, keyed on a stable per-message key,
 * and per handover how far a catch-up has read. Plain SQL that PGlite and PostgreSQL both run unchanged.
 */
const statements = [
  // One row per provider message applied to a handover, written in the transaction that applied it.
  `create table provider_messages (
    handover_id uuid not null references handovers (id) on delete cascade,
    message_key text not null,
    sender_id text not null,
    occurred_at bigint not null,
    source text not null check (source in ('webhook', 'catch-up')),
    event_id text not null,
    applied_at timestamptz not null default now(),
    primary key (handover_id, message_key)
  )`,
  `create index provider_messages_latest on provider_messages (handover_id, occurred_at desc)`,

  // caught_up_through: the newest message time a catch-up of the handover has read (epoch ms).
  `create table handover_catch_up (
    handover_id uuid primary key references handovers (id) on delete cascade,
    caught_up_through bigint not null,
    checked_at timestamptz not null default now()
  )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists handover_catch_up`.execute(db);
  await sql`drop table if exists provider_messages`.execute(db);
}
