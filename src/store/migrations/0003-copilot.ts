import { sql, type Kysely } from "kysely";

/**
 * The Agent Copilot: one workspace state per session (grid, tiles, problems; what a reload or a second agent
 * sees), and the keys that sign Copilot links in signed mode (several at once while keys rotate).
 */
const statements = [
  `create table copilot_workspaces (
    session_id uuid primary key references sessions (id) on delete cascade,
    state jsonb not null,
    version integer not null default 1,
    updated_at timestamptz not null default now()
  )`,
  `create table copilot_link_keys (
    kid text primary key,
    secret text not null,
    created_at timestamptz not null default now()
  )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ["copilot_link_keys", "copilot_workspaces"]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
