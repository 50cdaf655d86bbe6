/**
 * Where the services suite finds PostgreSQL and Redis. In CI a missing service fails the run loudly;
 * nothing is skipped.
 */
export const postgresUrl = process.env.BATON_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const redisUrl = process.env.BATON_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** A schema name unique to this run, so parallel runs and reruns never see each other's rows. */
export function uniqueSchema(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}
