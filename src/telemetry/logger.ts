import { pino, type Logger as PinoLogger, type LevelWithSilent, type DestinationStream } from "pino";
import { redactedValue, redactUrl, redactUrlsInText } from "./url-redaction.ts";

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

/**
 * URLs carry credentials (web chat, REST, inject/notify and Copilot URLs all hold one) under whatever key a
 * caller picks (`url`, `socket`, `link`, `details.path`), so every string of a line's own fields goes through
 * `redactUrlsInText` rather than a list of key names. Only strings with a `/` are looked at; nesting below
 * `maxScanDepth` is left as it is (log objects are flat in practice).
 */
const maxScanDepth = 5;

function redactUrlsIn(value: unknown, depth: number): unknown {
  if (typeof value === "string") return redactUrlsInText(value);
  if (depth >= maxScanDepth || typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => redactUrlsIn(item, depth + 1));
  // Errors, Buffers, requests and other class instances are left to their serializers.
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = redactUrlsIn(item, depth + 1);
  return copy;
}

/**
 * Fastify's request serializer with the URL redacted. Fastify merges a logger instance's serializers over
 * its own, so this replaces the default `req` serializer for every request line (`incoming request`). A
 * `req` that is not a Fastify request (a plain object a caller logs) keeps its fields; `redact` still
 * censors its headers.
 */
function serializeRequest(req: unknown): unknown {
  if (typeof req !== "object" || req === null) return req;
  const request = req as FastifyLikeRequest;
  if (!("raw" in request)) {
    return typeof request.url === "string" ? { ...request, url: redactUrl(request.url) } : request;
  }
  return {
    method: request.method,
    url: typeof request.url === "string" ? redactUrl(request.url) : request.url,
    version: request.headers?.["accept-version"],
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

interface FastifyLikeRequest {
  readonly raw?: unknown;
  readonly method?: string;
  readonly url?: unknown;
  readonly host?: string;
  readonly ip?: string;
  readonly headers?: Readonly<Record<string, unknown>>;
  readonly socket?: { readonly remotePort?: number };
}

/**
 * Messages are text, which `redact` does not reach; some carry a URL (Fastify's default "Route GET:/… not
 * found", an HTTP client's error). Every path-like run in a string argument goes through `redactUrl`.
 */
function redactMessageUrls(
  this: Logger,
  args: Parameters<Logger["info"]>,
  method: (...a: unknown[]) => void,
) {
  method.apply(
    this,
    args.map((arg: unknown) => (typeof arg === "string" ? redactUrlsInText(arg) : arg)),
  );
}

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
      redact: { paths: redactedPaths, censor: redactedValue },
      formatters: { log: (object) => redactUrlsIn(object, 0) as Record<string, unknown> },
      serializers: { req: serializeRequest },
      hooks: { logMethod: redactMessageUrls },
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
