import { randomUUID } from "node:crypto";
import { sql, type Kysely, type Selectable } from "kysely";
import { terminalHandoverStates, type HandoverState } from "../../handover/types.ts";
import type { Database, HandoversTable } from "../schema.ts";
import { dbNow, toJson } from "../transactions.ts";
import type { HandoverRepository, StoredHandover } from "../types.ts";
import { isUuid } from "./sessions.ts";

const terminal: ReadonlySet<string> = new Set(terminalHandoverStates);

export function createHandoverRepository(db: Kysely<Database>): HandoverRepository {
  const repository: HandoverRepository = {
    async create(handover) {
      // The partial unique index (session_id) where ended_at is null is the arbiter: of two concurrent
      // creates for one session exactly one inserts; the other is told which handover is open. A loser whose
      // rival ended in between simply tries again.
      for (;;) {
        const inserted = await db
          .insertInto("handovers")
          .values({
            id: handover.id ?? randomUUID(),
            session_id: handover.sessionId,
            endpoint_id: handover.endpointId,
            provider_id: handover.providerId,
            provider_conversation_id: handover.providerConversationId ?? null,
            state: handover.state,
            machine: toJson(handover.machine),
            request: toJson(handover.request),
            ended_at: terminal.has(handover.state) ? dbNow() : null,
          })
          .onConflict((oc) => oc.column("session_id").where("ended_at", "is", null).doNothing())
          .returningAll()
          .executeTakeFirst();
        if (inserted) return { ok: true, handover: fromRow(inserted) };
        const open = await repository.findOpenBySession(handover.sessionId);
        if (open) return { ok: false, reason: "open_handover_exists", open };
      }
    },

    async get(id) {
      if (!isUuid(id)) return undefined;
      const row = await db.selectFrom("handovers").selectAll().where("id", "=", id).executeTakeFirst();
      return row ? fromRow(row) : undefined;
    },

    async findOpenBySession(sessionId) {
      if (!isUuid(sessionId)) return undefined;
      const row = await db
        .selectFrom("handovers")
        .selectAll()
        .where("session_id", "=", sessionId)
        .where("ended_at", "is", null)
        .executeTakeFirst();
      return row ? fromRow(row) : undefined;
    },

    async findByProviderConversation(providerId, providerConversationId) {
      const row = await db
        .selectFrom("handovers")
        .selectAll()
        .where("provider_id", "=", providerId)
        .where("provider_conversation_id", "=", providerConversationId)
        .orderBy("created_at", "desc")
        .limit(1)
        .executeTakeFirst();
      return row ? fromRow(row) : undefined;
    },

    async update(id, update, expectedVersion) {
      if (!isUuid(id)) return { ok: false, reason: "not_found" };
      const endedAt =
        update.endedAt !== undefined
          ? sql<Date>`coalesce(ended_at, ${update.endedAt})`
          : terminal.has(update.state)
            ? sql<Date>`coalesce(ended_at, now())`
            : undefined;
      // Compare-and-set on version: the row changes only if nobody else changed it since it was read.
      const updated = await db
        .updateTable("handovers")
        .set({
          state: update.state,
          machine: toJson(update.machine),
          version: expectedVersion + 1,
          updated_at: dbNow(),
          ...(update.providerConversationId !== undefined
            ? { provider_conversation_id: update.providerConversationId }
            : {}),
          ...(endedAt !== undefined ? { ended_at: endedAt } : {}),
        })
        .where("id", "=", id)
        .where("version", "=", expectedVersion)
        .returningAll()
        .executeTakeFirst();
      if (updated) return { ok: true, handover: fromRow(updated) };
      const current = await repository.get(id);
      return current
        ? { ok: false, reason: "version_conflict", current }
        : { ok: false, reason: "not_found" };
    },

    async listOpen() {
      const rows = await db
        .selectFrom("handovers")
        .selectAll()
        .where("ended_at", "is", null)
        .orderBy("created_at", "asc")
        .orderBy("id")
        .execute();
      return rows.map(fromRow);
    },
  };
  return repository;
}

function fromRow(row: Selectable<HandoversTable>): StoredHandover {
  return {
    id: row.id,
    sessionId: row.session_id,
    endpointId: row.endpoint_id,
    providerId: row.provider_id,
    providerConversationId: row.provider_conversation_id,
    state: row.state as HandoverState,
    machine: row.machine,
    request: row.request,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    endedAt: row.ended_at,
  };
}
