/**
 * What one run of the fault suite does, read from the environment so a quick local run is one variable away
 * (`BATON_FAULTS_MESSAGES=500 npm run test:faults`). A bad value stops the run before anything starts, naming
 * the variable and what it accepts.
 */
export interface FaultSuiteSettings {
  /** Messages per direction (user → agent and agent → user), spread over every conversation. */
  readonly messages: number;
  /** Conversations (web chat users, each with its own handover) open at the same time. */
  readonly users: number;
  /** Messages per second per direction that users and agents write, whatever the gateway manages. */
  readonly ratePerSecond: number;
  /** How long the suite waits for stragglers after the last message was written. */
  readonly finalWaitSeconds: number;
  /** Unacknowledged messages one web chat user keeps in flight (the rest waits on the client). */
  readonly userWindow: number;
  /** PostgreSQL server on which the suite creates (and drops) its own database. */
  readonly postgresUrl: string;
  /** Leave the run's database in place (its name is printed) to look into a failed run. */
  readonly keepDatabase: boolean;
  /** The gateway's `log.level` (its lines are saved next to the results). */
  readonly gatewayLogLevel: "error" | "warn" | "info" | "debug";
}

type Env = Readonly<Record<string, string | undefined>>;

const logLevels = ["error", "warn", "info", "debug"] as const;

/** Every setting from `env`, defaults applied; throws one error listing every bad variable. */
export function readFaultSuiteSettings(env: Env): FaultSuiteSettings {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === "") return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const messages = int("BATON_FAULTS_MESSAGES", 10_000, 30, 1_000_000);
  const users = int("BATON_FAULTS_USERS", 100, 1, 1_000);
  const ratePerSecond = int("BATON_FAULTS_RATE", 40, 1, 10_000);
  const finalWaitSeconds = int("BATON_FAULTS_FINAL_WAIT_S", 120, 5, 3_600);
  const userWindow = int("BATON_FAULTS_USER_WINDOW", 4, 1, 100);
  const level = env["BATON_FAULTS_LOG_LEVEL"] ?? "warn";
  if (!(logLevels as readonly string[]).includes(level)) {
    problems.push(`BATON_FAULTS_LOG_LEVEL must be one of ${logLevels.join(", ")}, got "${level}"`);
  }
  const keep = env["BATON_FAULTS_KEEP_DATABASE"] ?? "";
  if (!["", "0", "1"].includes(keep)) {
    problems.push(`BATON_FAULTS_KEEP_DATABASE must be 1 (keep) or 0 (drop, the default), got "${keep}"`);
  }
  const postgresUrl = env["BATON_TEST_POSTGRES_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
  if (!/^postgres(ql)?:\/\/.+/.test(postgresUrl)) {
    problems.push(`BATON_TEST_POSTGRES_URL must be a postgres:// URL, got "${postgresUrl}"`);
  }
  if (problems.length > 0) throw new Error(`fault suite settings:\n  ${problems.join("\n  ")}`);
  return {
    messages,
    // Each conversation carries at least one message each way.
    users: Math.min(users, messages),
    ratePerSecond,
    finalWaitSeconds,
    userWindow,
    postgresUrl,
    keepDatabase: keep === "1",
    gatewayLogLevel: level as FaultSuiteSettings["gatewayLogLevel"],
  };
}
