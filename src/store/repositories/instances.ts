import { sql, type Kysely, type Selectable } from "kysely";
import type { Database, InstancesTable } from "../schema.ts";
import { dbNow } from "../transactions.ts";
import type { InstanceRepository, StoredInstance } from "../types.ts";

/**
 * The instances table. Every time here is the database's clock (`now()`), so instances whose own clocks
 * disagree still agree on who is silent.
 */
export function createInstanceRepository(db: Kysely<Database>): InstanceRepository {
  return {
    async register(instance) {
      const row = await db
        .insertInto("instances")
        .values({ id: instance.id, bus: instance.bus, host: instance.host, pid: instance.pid })
        .onConflict((oc) =>
          oc.column("id").doUpdateSet({
            bus: instance.bus,
            host: instance.host,
            pid: instance.pid,
            heartbeat_at: dbNow(),
          }),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      return fromRow(row);
    },

    async beat(id) {
      const result = await db
        .updateTable("instances")
        .set({ heartbeat_at: dbNow() })
        .where("id", "=", id)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async remove(id) {
      await db.deleteFrom("instances").where("id", "=", id).execute();
    },

    async listLive(staleAfterMs) {
      const rows = await db
        .selectFrom("instances")
        .selectAll()
        .where("heartbeat_at", ">", sql<Date>`now() - ${staleAfterMs}::float8 * interval '1 millisecond'`)
        .orderBy("started_at", "asc")
        .orderBy("id", "asc")
        .execute();
      return rows.map(fromRow);
    },

    async list() {
      const rows = await db
        .selectFrom("instances")
        .selectAll()
        .orderBy("started_at", "asc")
        .orderBy("id", "asc")
        .execute();
      return rows.map(fromRow);
    },

    async removeSilent(silentForMs) {
      const result = await db
        .deleteFrom("instances")
        .where("heartbeat_at", "<", sql<Date>`now() - ${silentForMs}::float8 * interval '1 millisecond'`)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

function fromRow(row: Selectable<InstancesTable>): StoredInstance {
  return {
    id: row.id,
    bus: row.bus === "redis" ? "redis" : "memory",
    host: row.host,
    pid: row.pid,
    startedAt: row.started_at,
    heartbeatAt: row.heartbeat_at,
  };
}
