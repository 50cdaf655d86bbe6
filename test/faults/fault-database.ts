import { randomBytes } from "node:crypto";
import pg from "pg";

export interface FaultDatabase {
  /** `postgres://…/baton_faults_<random>`: what the gateway's `store:` names. */
  readonly url: string;
  readonly name: string;
  /** A read of the gateway's tables, for the evidence behind a failed figure. */
  query<Row extends Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<Row[]>;
  /** Closes the suite's connections and drops the database (even with the gateway still connected). */
  drop(): Promise<void>;
  /** Closes the suite's connections only, leaving the database for a look. */
  close(): Promise<void>;
}

/**
 * A database of its own for one run, created on the server of `serverUrl` and dropped at the end, so runs
 * never see each other's rows and a failed run leaves nothing behind once dropped.
 */
export async function createFaultDatabase(serverUrl: string): Promise<FaultDatabase> {
  const name = `baton_faults_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  await withAdmin(serverUrl, (admin) => admin.query(`create database "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  return {
    url: url.toString(),
    name,
    async query<Row extends Record<string, unknown>>(text: string, values: readonly unknown[] = []) {
      const result = await pool.query<Row>(text, [...values]);
      return result.rows;
    },
    close: () => pool.end(),
    async drop() {
      await pool.end();
      await withAdmin(serverUrl, (admin) => admin.query(`drop database if exists "${name}" with (force)`));
    },
  };
}

async function withAdmin<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `the fault suite needs PostgreSQL at BATON_TEST_POSTGRES_URL (${redact(serverUrl)}): ${String(error)}`,
      { cause: error },
    );
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== "") parsed.password = "***";
  return parsed.toString();
}
