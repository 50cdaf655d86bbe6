import { pino, type Logger as PinoLogger, type LevelWithSilent, type DestinationStream } from "pino";

export type Logger = PinoLogger;

/**
 * Paths pino replaces with "[redacted]" before a line is written. Secrets must never reach a log: API keys,
 * URL tokens, webhook signatures, authorization headers and anything a config calls a secret.
 */
export const redactedPaths = [
  "apiKey",
  "*.apiKey",
  "*.*.apiKey",
  "token",
  "*.token",
  "urlToken",
  "*.urlToken",
  "secret",
  "*.secret",
  "password",
  "*.password",
  "headers.authorization",
  'headers["x-api-key"]',
  'headers["x-8x8-signature"]',
  "req.headers.authorization",
  'req.headers["x-api-key"]',
  'req.headers["x-8x8-signature"]',
  "signature",
  "*.signature",
];

export interface LoggerOptions {
  readonly level?: LevelWithSilent;
  readonly destination?: DestinationStream;
  readonly name?: string;
}

/** JSON logs (one object per line) with secrets redacted. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: options.name ?? "baton",
      level: options.level ?? "info",
      redact: { paths: redactedPaths, censor: "[redacted]" },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}

/** A logger that writes nothing; for tests and library use that did not ask for logs. */
export function createSilentLogger(): Logger {
  return pino({ level: "silent" });
}
