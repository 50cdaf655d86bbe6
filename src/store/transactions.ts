import { sql, type Kysely, type RawBuilder } from "kysely";
import type { Database } from "./schema.ts";

/**
 * Runs `fn` in a transaction, or directly in the caller's when `db` is already one (`Store.transaction`):
 * Kysely cannot nest transactions, and joining the caller's keeps its all-or-nothing promise.
 */
export async function inTransaction<T>(
  db: Kysely<Database>,
  fn: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  if (db.isTransaction) return fn(db);
  return db.transaction().execute(fn);
}

/** PostgreSQL's unique_violation (PGlite reports the same SQLSTATE). */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === "23505";
}

/** jsonb parameters are passed as JSON text: `pg` would turn a JS array into a Postgres array literal. */
export function toJson(value: unknown): string {
  return JSON.stringify(value);
}

/**
 * The database's clock for bookkeeping columns (created/updated/ended/done), so they compare consistently with
 * the `now()` defaults whatever the instances' clocks say. Scheduling times (due, next attempt, lease) come
 * from the caller's clock instead, which is what claims compare them with.
 */
export function dbNow(): RawBuilder<Date> {
  return sql<Date>`now()`;
}
