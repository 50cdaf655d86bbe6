import { sql, type Kysely } from "kysely";

/**
 * Conversations and the durable runtime: endpoint URL tokens, sessions, every message in and out, handovers,
 * the outbox of outbound calls and timers. Plain SQL that PGlite and PostgreSQL both run unchanged.
 */
const statements = [
  `create table endpoint_tokens (
    endpoint_id text primary key,
    url_token text not null,
    created_at timestamptz not null default now(),
    constraint endpoint_tokens_url_token_unique unique (url_token)
  )`,

  `create table sessions (
    id uuid primary key,
    endpoint_id text not null,
    user_id text not null,
    session_id text not null,
    locale text,
    context jsonb not null default '{}'::jsonb,
    flow_state jsonb,
    next_seq integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint sessions_endpoint_user_session_unique unique (endpoint_id, user_id, session_id)
  )`,
  `create index sessions_endpoint_updated on sessions (endpoint_id, updated_at desc)`,

  // seq comes from sessions.next_seq under the session's row lock, so it is dense and never repeats.
  // Several NULL client_message_ids are allowed by the unique constraint (NULLs are distinct).
  `create table messages (
    session_id uuid not null references sessions (id) on delete cascade,
    seq integer not null,
    direction text not null check (direction in ('in', 'out')),
    source text not null check (source in ('user', 'bot', 'agent', 'system')),
    text text,
    payload jsonb not null default '{}'::jsonb,
    provider_id text,
    provider_message_ref text,
    delivery_state text not null default 'not_applicable',
    client_message_id text,
    created_at timestamptz not null default now(),
    primary key (session_id, seq),
    constraint messages_client_message_unique unique (session_id, client_message_id)
  )`,

  `create table handovers (
    id uuid primary key,
    session_id uuid not null references sessions (id) on delete cascade,
    endpoint_id text not null,
    provider_id text not null,
    provider_conversation_id text,
    state text not null,
    machine jsonb not null,
    request jsonb not null,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    ended_at timestamptz
  )`,
  // At most one open handover per session, enforced by the database so two instances cannot both open one.
  `create unique index handovers_one_open_per_session on handovers (session_id) where ended_at is null`,
  `create index handovers_provider_conversation on handovers (provider_id, provider_conversation_id)`,

  // next_attempt_at null = as soon as possible (independent of the database's and the instances' clocks).
  `create table outbox (
    id bigint generated always as identity primary key,
    ordering_key text not null,
    kind text not null,
    payload jsonb not null,
    status text not null default 'pending' check (status in ('pending', 'done', 'failed', 'dead')),
    attempts integer not null default 0,
    next_attempt_at timestamptz,
    locked_until timestamptz,
    last_error text,
    created_at timestamptz not null default now(),
    done_at timestamptz
  )`,
  `create index outbox_pending_by_key on outbox (ordering_key, id) where status = 'pending'`,

  `create table timers (
    id text primary key,
    kind text not null,
    payload jsonb not null,
    due_at timestamptz not null,
    status text not null default 'scheduled' check (status in ('scheduled', 'fired', 'cancelled')),
    generation integer not null default 1,
    attempts integer not null default 0,
    locked_until timestamptz,
    last_error text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  `create index timers_scheduled_due on timers (due_at) where status = 'scheduled'`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ["timers", "outbox", "handovers", "messages", "sessions", "endpoint_tokens"]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
