import { sql, type Kysely } from "kysely";

/**
 * Handovers now keep the provider's policy (its agent-left grace) in their machine state. Handovers stored
 * before that were all 8x8's, whose grace was 10 s, so that is what they get.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`update handovers
    set machine = jsonb_set(machine, '{policy}', '{"agentLeftGraceSeconds": 10}'::jsonb)
    where not (machine ? 'policy')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`update handovers set machine = machine - 'policy'`.execute(db);
}
