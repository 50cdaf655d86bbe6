import { randomUUID } from "node:crypto";
import type { Kysely, Selectable } from "kysely";
import { BatonError } from "../../errors/index.ts";
import type { Database, SessionsTable } from "../schema.ts";
import { dbNow, toJson } from "../transactions.ts";
import type { SessionRepository, StoredSession } from "../types.ts";

export function createSessionRepository(db: Kysely<Database>): SessionRepository {
  return {
    async getOrCreate({ endpointId, userId, sessionId, locale }) {
      // Insert-or-nothing, then read: concurrent first messages of one session (two tabs, two instances)
      // create one row, and every caller gets that row.
      const inserted = await db
        .insertInto("sessions")
        .values({
          id: randomUUID(),
          endpoint_id: endpointId,
          user_id: userId,
          session_id: sessionId,
          locale: locale ?? null,
          context: toJson({}),
        })
        .onConflict((oc) => oc.columns(["endpoint_id", "user_id", "session_id"]).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return { session: fromRow(inserted), created: true };
      const existing = await db
        .selectFrom("sessions")
        .selectAll()
        .where("endpoint_id", "=", endpointId)
        .where("user_id", "=", userId)
        .where("session_id", "=", sessionId)
        .executeTakeFirstOrThrow();
      return { session: fromRow(existing), created: false };
    },

    async get(id) {
      if (!isUuid(id)) return undefined;
      const row = await db.selectFrom("sessions").selectAll().where("id", "=", id).executeTakeFirst();
      return row ? fromRow(row) : undefined;
    },

    async find({ endpointId, userId, sessionId }) {
      const row = await db
        .selectFrom("sessions")
        .selectAll()
        .where("endpoint_id", "=", endpointId)
        .where("user_id", "=", userId)
        .where("session_id", "=", sessionId)
        .executeTakeFirst();
      return row ? fromRow(row) : undefined;
    },

    async updateFlow(id, { context, flowState }) {
      const result = isUuid(id)
        ? await db
            .updateTable("sessions")
            .set({
              context: toJson(context),
              flow_state: flowState === null ? null : toJson(flowState),
              updated_at: dbNow(),
            })
            .where("id", "=", id)
            .executeTakeFirst()
        : undefined;
      if (!result || result.numUpdatedRows === 0n) {
        throw new BatonError("BATON_ERR_STORE_NOT_FOUND", { entity: "session", id });
      }
    },

    async fence(id, token) {
      if (!Number.isSafeInteger(token) || token <= 0) {
        throw new BatonError("BATON_ERR_LOCK_TOKEN_INVALID", {
          field: "token",
          expected: "a positive integer (a lock's fencing token)",
        });
      }
      // One statement: the check and the raise cannot be split by another writer, and the row lock it takes
      // keeps every other fenced write of the session out until this transaction ends.
      const claimed = isUuid(id)
        ? await db
            .updateTable("sessions")
            .set({ fence_token: token })
            .where("id", "=", id)
            .where("fence_token", "<=", token)
            .returning("id")
            .executeTakeFirst()
        : undefined;
      if (claimed !== undefined) return;
      const current = isUuid(id)
        ? await db.selectFrom("sessions").select("fence_token").where("id", "=", id).executeTakeFirst()
        : undefined;
      if (current === undefined) throw new BatonError("BATON_ERR_STORE_NOT_FOUND", { entity: "session", id });
      throw new BatonError("BATON_ERR_LOCK_LOST", {
        sessionKey: id,
        token,
        writtenBy: Number(current.fence_token),
      });
    },

    async list(query = {}) {
      let q = db.selectFrom("sessions").selectAll();
      if (query.endpointId !== undefined) q = q.where("endpoint_id", "=", query.endpointId);
      const rows = await q
        .orderBy("updated_at", "desc")
        .orderBy("id")
        .limit(query.limit ?? 100)
        .execute();
      return rows.map(fromRow);
    },
  };
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An id that is not a UUID names no row; asking the uuid column about it would be a type error instead. */
export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}

function fromRow(row: Selectable<SessionsTable>): StoredSession {
  return {
    id: row.id,
    endpointId: row.endpoint_id,
    userId: row.user_id,
    sessionId: row.session_id,
    locale: row.locale,
    context: row.context,
    flowState: row.flow_state,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
