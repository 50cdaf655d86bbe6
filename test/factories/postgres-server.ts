import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chown, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { onTestFinished } from "vitest";

const run = promisify(execFile);

/** Debian's PostgreSQL 15 (the services tier's CI image); BATON_TEST_POSTGRES_BIN points elsewhere. */
const postgresBin = process.env.BATON_TEST_POSTGRES_BIN ?? "/usr/lib/postgresql/15/bin";

export interface PostgresServerProcess {
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication, local only). */
  readonly url: string;
  /**
   * A fast shutdown (SIGINT to the postmaster): open transactions are rolled back, every client is
   * disconnected, a checkpoint is written. Resolves once the server exited.
   */
  stopFast(): Promise<void>;
  /** Starts the server again on the same port and data directory; resolves once it accepts connections. */
  start(): Promise<void>;
}

/**
 * A private, throwaway PostgreSQL server for tests that stop and restart the database under load (the
 * shared one of the services suite is never touched): `initdb` into a temporary directory, then
 * `postgres -D <dir> -p <port> -k <socket dir>` bound to 127.0.0.1. PostgreSQL refuses to run as root, so
 * when the test runs as root both run as the `postgres` OS user. Stopped and deleted when the test ends.
 *
 * @example
 * const pg = await startPostgresServer(await freePort());
 * await pg.stopFast();
 * await pg.start();
 */
export async function startPostgresServer(port: number, timeoutMs = 30_000): Promise<PostgresServerProcess> {
  const owner = await serverUser();
  const root = await mkdtemp(join(tmpdir(), "baton-pg-"));
  const dataDir = join(root, "data");
  const socketDir = join(root, "socket");
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  onTestFinished(async () => {
    await stop("SIGQUIT");
    await rm(root, { recursive: true, force: true });
  });

  if (owner !== undefined) await chown(root, owner.uid, owner.gid);
  await run(`${postgresBin}/initdb`, ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8"], {
    ...owner,
    env: { ...process.env, LC_ALL: "C" },
  }).catch((error: unknown) => {
    throw new Error(`initdb failed (is PostgreSQL 15 installed in ${postgresBin}?)`, { cause: error });
  });
  await mkdir(socketDir);
  if (owner !== undefined) await chown(socketDir, owner.uid, owner.gid);

  async function start(): Promise<void> {
    const process_ = spawn(
      `${postgresBin}/postgres`,
      [
        ...["-D", dataDir, "-p", String(port), "-k", socketDir],
        ...["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=100"],
        // A test database: durability against an OS crash is not what these tests look at.
        ...["-c", "fsync=off", "-c", "full_page_writes=off"],
      ],
      { ...owner, stdio: ["ignore", "pipe", "pipe"] },
    );
    child = process_;
    exited = new Promise<void>((resolve) => process_.once("exit", () => resolve()));
    await untilReady(process_, port, timeoutMs);
  }

  async function stop(signal: NodeJS.Signals): Promise<void> {
    const current = child;
    if (current !== undefined && current.exitCode === null && current.signalCode === null) {
      current.kill(signal);
    }
    await exited;
  }

  await start();
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stopFast: () => stop("SIGINT"),
    start,
  };
}

/** The `postgres` OS user's ids when we run as root (PostgreSQL will not), otherwise none. */
async function serverUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const [uid, gid] = await Promise.all([
    run("id", ["-u", "postgres"]).then((r) => Number(r.stdout.trim())),
    run("id", ["-g", "postgres"]).then((r) => Number(r.stdout.trim())),
  ]).catch((error: unknown) => {
    throw new Error("running as root but there is no `postgres` OS user to run PostgreSQL as", {
      cause: error,
    });
  });
  return { uid, gid };
}

/** Resolves when the postmaster says it accepts connections; rejects on exit or after `timeoutMs`. */
function untilReady(child: ChildProcess, port: number, timeoutMs: number): Promise<void> {
  let output = "";
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`PostgreSQL on port ${port} not ready within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (output.includes("database system is ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`PostgreSQL exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
}
