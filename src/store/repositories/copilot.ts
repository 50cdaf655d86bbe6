import type { Kysely } from "kysely";
import type { Database } from "../schema.ts";
import { dbNow, isUniqueViolation, toJson } from "../transactions.ts";
import type { CopilotLinkKeyRepository, CopilotWorkspaceRepository } from "../types.ts";
import { isUuid } from "./sessions.ts";

export function createCopilotWorkspaceRepository(db: Kysely<Database>): CopilotWorkspaceRepository {
  return {
    async get(sessionId) {
      if (!isUuid(sessionId)) return undefined;
      const row = await db
        .selectFrom("copilot_workspaces")
        .selectAll()
        .where("session_id", "=", sessionId)
        .executeTakeFirst();
      return row
        ? { sessionId: row.session_id, state: row.state, version: row.version, updatedAt: row.updated_at }
        : undefined;
    },

    async save(sessionId, state, expectedVersion) {
      if (expectedVersion === null) {
        try {
          await db
            .insertInto("copilot_workspaces")
            .values({ session_id: sessionId, state: toJson(state) })
            .execute();
          return { ok: true, version: 1 };
        } catch (error) {
          if (isUniqueViolation(error)) return { ok: false, reason: "version_conflict" };
          throw error;
        }
      }
      const row = await db
        .updateTable("copilot_workspaces")
        .set({ state: toJson(state), version: expectedVersion + 1, updated_at: dbNow() })
        .where("session_id", "=", sessionId)
        .where("version", "=", expectedVersion)
        .returning("version")
        .executeTakeFirst();
      return row ? { ok: true, version: row.version } : { ok: false, reason: "version_conflict" };
    },
  };
}

export function createCopilotLinkKeyRepository(db: Kysely<Database>): CopilotLinkKeyRepository {
  return {
    async newest() {
      const row = await db
        .selectFrom("copilot_link_keys")
        .selectAll()
        .orderBy("created_at", "desc")
        .orderBy("kid", "desc")
        .limit(1)
        .executeTakeFirst();
      return row ? { kid: row.kid, secret: row.secret, createdAt: row.created_at } : undefined;
    },

    async get(kid) {
      const row = await db
        .selectFrom("copilot_link_keys")
        .selectAll()
        .where("kid", "=", kid)
        .executeTakeFirst();
      return row ? { kid: row.kid, secret: row.secret, createdAt: row.created_at } : undefined;
    },

    async add(kid, secret, createdAt) {
      await db
        .insertInto("copilot_link_keys")
        .values({ kid, secret, created_at: createdAt })
        .onConflict((oc) => oc.column("kid").doNothing())
        .execute();
    },

    async deleteCreatedBefore(before) {
      const result = await db
        .deleteFrom("copilot_link_keys")
        .where("created_at", "<", before)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
