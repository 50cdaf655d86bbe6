import { mkdir } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import { Kysely, Migrator, PostgresDialect, sql, type Dialect } from "kysely";
import pg from "pg";
import { BatonError } from "../errors/index.ts";
import { parseStoreUrl, type StoreLocation } from "./connection-url.ts";
import { PGliteDialect } from "./dialects/pglite.ts";
import { migrationProvider } from "./migrations/index.ts";
import { createEndpointTokenRepository } from "./repositories/endpoint-tokens.ts";
import { createHandoverRepository } from "./repositories/handovers.ts";
import { createInstanceRepository } from "./repositories/instances.ts";
import { createMessageRepository } from "./repositories/messages.ts";
import { createOutboxRepository } from "./repositories/outbox.ts";
import { createProviderMessageRepository } from "./repositories/provider-messages.ts";
import { createSessionRepository } from "./repositories/sessions.ts";
import { createCopilotLinkKeyRepository, createCopilotWorkspaceRepository } from "./repositories/copilot.ts";
import { createEventLogRepository } from "./repositories/event-log.ts";
import { createTimerRepository } from "./repositories/timers.ts";
import { createWebhookEventRepository } from "./repositories/webhook-events.ts";
import type { Database } from "./schema.ts";
import type { Store, StoreRepositories } from "./types.ts";

export type * from "./types.ts";
export { parseStoreUrl } from "./connection-url.ts";

export interface StoreOptions {
  /** Directory that relative `pglite://` paths are resolved against; default the working directory. */
  readonly baseDir?: string;
  /** PostgreSQL pool size; default 10. */
  readonly poolSize?: number;
}

/**
 * Opens the store named by a `store:` URL. Migrations are not applied here: call `migrate()` (the gateway
 * does at start, `npx baton migrate` does on demand).
 *
 * @example
 * const store = await createStore("pglite://.baton/data");
 * await store.migrate();
 * await store.webhookEvents.recordIfNew({ providerId: "eight", eventId: "e1", ... });
 * const { session } = await store.sessions.getOrCreate({ endpointId: "web", userId: "u1", sessionId: "s1" });
 */
export async function createStore(url: string, options: StoreOptions = {}): Promise<Store> {
  const location = parseStoreUrl(url, options.baseDir);
  const dialect = await openDialect(location, options);
  const db = new Kysely<Database>({ dialect });
  const store: Store = {
    dialect: location.dialect,
    ...createRepositories(db),
    transaction: (fn) => db.transaction().execute((trx) => fn(createRepositories(trx))),
    migrate: () => migrate(db, location.dialect === "postgres" ? location.schema : undefined),
    async ping() {
      try {
        await sql`select 1`.execute(db);
      } catch (error) {
        throw new BatonError("BATON_ERR_STORE_UNAVAILABLE", { dialect: location.dialect }, { cause: error });
      }
    },
    close: () => db.destroy(),
  };
  return store;
}

/** Every repository over `db`: the pool, or one transaction for `Store.transaction`. */
function createRepositories(db: Kysely<Database>): StoreRepositories {
  return {
    webhookEvents: createWebhookEventRepository(db),
    endpoints: createEndpointTokenRepository(db),
    sessions: createSessionRepository(db),
    messages: createMessageRepository(db),
    handovers: createHandoverRepository(db),
    outbox: createOutboxRepository(db),
    instances: createInstanceRepository(db),
    timers: createTimerRepository(db),
    copilotWorkspaces: createCopilotWorkspaceRepository(db),
    copilotLinkKeys: createCopilotLinkKeyRepository(db),
    providerMessages: createProviderMessageRepository(db),
    eventLog: createEventLogRepository(db),
  };
}

async function openDialect(location: StoreLocation, options: StoreOptions): Promise<Dialect> {
  if (location.dialect === "pglite") {
    if (location.dataDir !== undefined) await mkdir(location.dataDir, { recursive: true });
    const pglite = location.dataDir === undefined ? new PGlite() : new PGlite(location.dataDir);
    await pglite.waitReady;
    return new PGliteDialect(pglite);
  }
  if (location.schema !== undefined) await ensureSchema(location.connectionString, location.schema);
  const pool = new pg.Pool({
    connectionString: location.connectionString,
    max: options.poolSize ?? 10,
    ...(location.schema !== undefined ? { options: `-c search_path=${location.schema}` } : {}),
  });
  // A database restart or failover ends every connection, and pg reports it as an 'error' event: on the
  // pool for an idle connection, on the client itself for one that is checked out (in a transaction, or
  // between two queries of one). Without listeners either event would end the process. The query under way
  // fails on its own and its caller sees that; the pool drops the broken connection, the next query opens
  // a new one, and /readyz shows the store as unavailable meanwhile.
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  return new PostgresDialect({ pool });
}

async function ensureSchema(connectionString: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  try {
    await client.connect();
    // The name was checked against [a-z_][a-z0-9_]* in parseStoreUrl, so quoting it is enough.
    await client.query(`create schema if not exists "${schema}"`);
  } catch (error) {
    throw new BatonError("BATON_ERR_STORE_UNAVAILABLE", { dialect: "postgres" }, { cause: error });
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function migrate(db: Kysely<Database>, schema: string | undefined): Promise<{ applied: string[] }> {
  // Kysely looks for its bookkeeping tables across every schema; naming ours keeps two Baton schemas in
  // one database from seeing each other's migration history.
  const migrator = new Migrator({
    db,
    provider: migrationProvider,
    ...(schema !== undefined ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw new BatonError("BATON_ERR_STORE_UNAVAILABLE", { during: "migrate" }, { cause: error });
  return { applied: (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName) };
}
