import { performance } from "node:perf_hooks";
import { Agent, request } from "undici";
import type { Logger } from "../../telemetry/logger.ts";
import type { ProviderMetrics } from "../../telemetry/metrics.ts";
import { ChatGatewayError, parseProblemBody, type ParsedProblem } from "./gateway-error.ts";
import { isRetryableStatus, nextDelay, parseRetryAfter, type RetrySettings } from "./retry-policy.ts";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** Response headers as undici gives them (lower-cased names). */
export type ResponseHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** Everything the transport needs; the client fills in the defaults. */
export interface TransportSettings {
  /** Without a trailing slash. */
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly tenant?: string;
  readonly providerId: string;
  readonly timeoutMs: number;
  readonly retry: RetrySettings;
  readonly metrics: ProviderMetrics;
  /** Also told of every attempt (the event log); must not throw or wait. */
  readonly onAttempt?: (attempt: OutboundAttempt) => void;
  readonly logger?: Logger;
  readonly userAgent: string;
  readonly random: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

/** One logical call; the transport may send it several times. */
export interface OutboundRequest {
  /** Stable operation name, e.g. `messages.send`: the metrics label and `details.operation` of errors. */
  readonly operation: string;
  readonly method: HttpMethod;
  /** A path under the base URL whose segments are already encoded, or an absolute URL (the JWK template). */
  readonly target: { readonly path: string } | { readonly url: string };
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly json?: unknown;
  readonly body?: { readonly bytes: Buffer; readonly contentType: string };
  /** False only for the JWK endpoint, which declares no security in 8x8's OpenAPI. */
  readonly withApiKey?: boolean;
  readonly accept?: string;
}

/**
 * Per-call overrides.
 *
 * `idempotent: false` is for `POST /conversations`, `POST /messages` and uploads: 8x8 has no Idempotency-Key
 * and does not promise to de-duplicate, so a retry after a lost response can create a second conversation
 * or a duplicate message. Such a call is retried in-process only after a failure that proves it was not
 * carried out (429, 503 and other definite answers, a connection that was never established); any other
 * failure is thrown at once with `details.ambiguous: true`, for the caller (the outbox) to check first.
 *
 * `retry: false` sends exactly once, whatever the failure.
 */
export interface CallOptions {
  readonly retry?: false | Partial<RetrySettings>;
  readonly idempotent?: boolean;
  readonly timeoutMs?: number;
}

/** A 2xx answer with its body fully read. */
export interface GatewayResponse {
  readonly status: number;
  readonly headers: ResponseHeaders;
  readonly body: Buffer;
  /** Which attempt succeeded (1 = first try). */
  readonly attempts: number;
}

/** One HTTP attempt as the event log sees it: metadata only, never the request's headers or body. */
export interface OutboundAttempt {
  readonly operation: string;
  readonly method: HttpMethod;
  readonly target: OutboundRequest["target"];
  /** The HTTP status, or "network" / "timeout". */
  readonly status: string;
  readonly durationMs: number;
  /** 1 = first try. */
  readonly attempt: number;
  /** The body of a 2xx answer (a created conversation's id is in it). */
  readonly responseBody?: Buffer;
}

export interface Transport {
  send(outbound: OutboundRequest, options?: CallOptions): Promise<GatewayResponse>;
  close(): Promise<void>;
}

const defaultAccept = "application/hal+json, application/json";

type AttemptOutcome =
  | {
      readonly kind: "response";
      readonly status: number;
      readonly headers: ResponseHeaders;
      readonly body: Buffer;
    }
  | { readonly kind: "network"; readonly cause: unknown }
  | { readonly kind: "timeout"; readonly cause: unknown };

interface PreparedRequest {
  readonly url: string;
  readonly method: HttpMethod;
  readonly headers: Record<string, string>;
  readonly body: Buffer | undefined;
}

/** One keep-alive connection pool per client; `close()` drains it. */
export function createTransport(settings: TransportSettings): Transport {
  const agent = new Agent({
    keepAliveTimeout: 10_000,
    headersTimeout: settings.timeoutMs,
    bodyTimeout: settings.timeoutMs,
    connect: { timeout: settings.timeoutMs },
  });
  let closed = false;

  async function send(outbound: OutboundRequest, options: CallOptions = {}): Promise<GatewayResponse> {
    const prepared = prepareRequest(settings, outbound);
    const retry = effectiveRetry(settings.retry, options.retry);
    const timeoutMs = options.timeoutMs ?? settings.timeoutMs;
    for (let attempt = 1; ; attempt++) {
      if (closed) throw clientClosedError(outbound.operation, attempt - 1);
      const outcome = await timedAttempt(agent, prepared, timeoutMs, (status, seconds, body) => {
        settings.metrics.outboundCall(settings.providerId, outbound.operation, status, seconds);
        settings.onAttempt?.({
          operation: outbound.operation,
          method: outbound.method,
          target: outbound.target,
          status,
          durationMs: seconds * 1000,
          attempt,
          ...(body === undefined ? {} : { responseBody: body }),
        });
      });
      if (outcome.kind === "response" && isSuccess(outcome.status)) return { ...outcome, attempts: attempt };
      const failure = describeFailure(settings, outbound.operation, outcome, attempt);
      if (!failure.retryable) throw failure.error;
      // Repeating a call that may have happened could do it twice; only the caller can look first.
      if (failure.error.details.ambiguous === true && options.idempotent === false) throw failure.error;
      const delay = nextDelay(attempt, failure.retryAfterMs, retry, settings.random);
      if (attempt >= retry.maxAttempts || delay.kind === "giveUp") throw failure.error;
      logRetry(settings.logger, failure.error, delay.ms);
      await settings.sleep(delay.ms);
    }
  }

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    await agent.close();
  }

  return { send, close };
}

/** Any 2xx: 8x8's success codes differ per operation (200/201/202/204); the body shape matters. */
function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

function prepareRequest(settings: TransportSettings, outbound: OutboundRequest): PreparedRequest {
  const base = "url" in outbound.target ? outbound.target.url : `${settings.baseUrl}${outbound.target.path}`;
  const headers: Record<string, string> = {
    accept: outbound.accept ?? defaultAccept,
    "user-agent": settings.userAgent,
  };
  if (outbound.withApiKey ?? true) headers["x-api-key"] = settings.apiKey;
  // Sent on every call, including the four whose spec omits it (post-agent-assignment, typing, thinking,
  // read-receipt): a multi-tenant customer's call without it is ambiguous, and a single-tenant customer's call
  // ignores it.
  if (settings.tenant !== undefined) headers["X-8x8-Tenant"] = settings.tenant;
  const body = encodeBody(outbound, headers);
  return { url: appendQuery(base, outbound.query), method: outbound.method, headers, body };
}

function encodeBody(outbound: OutboundRequest, headers: Record<string, string>): Buffer | undefined {
  if (outbound.body !== undefined) {
    headers["content-type"] = outbound.body.contentType;
    return outbound.body.bytes;
  }
  if (outbound.json === undefined) return undefined;
  headers["content-type"] = "application/json";
  return Buffer.from(JSON.stringify(outbound.json), "utf8");
}

function appendQuery(url: string, query: OutboundRequest["query"]): string {
  if (query === undefined) return url;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text === "" ? url : `${url}?${text}`;
}

function effectiveRetry(defaults: RetrySettings, override: CallOptions["retry"]): RetrySettings {
  if (override === false) return { ...defaults, maxAttempts: 1 };
  return { ...defaults, ...override };
}

async function timedAttempt(
  agent: Agent,
  prepared: PreparedRequest,
  timeoutMs: number,
  report: (status: string, seconds: number, successBody?: Buffer) => void,
): Promise<AttemptOutcome> {
  const started = performance.now();
  const outcome = await attemptOnce(agent, prepared, timeoutMs);
  report(
    outcome.kind === "response" ? String(outcome.status) : outcome.kind,
    (performance.now() - started) / 1000,
    outcome.kind === "response" && isSuccess(outcome.status) ? outcome.body : undefined,
  );
  return outcome;
}

/**
 * One HTTP exchange. The AbortController bounds the whole attempt (connect + headers + body); undici's own
 * headers/body timeouts are a backstop. The body is always read in full so the socket returns to the pool.
 */
async function attemptOnce(
  agent: Agent,
  prepared: PreparedRequest,
  timeoutMs: number,
): Promise<AttemptOutcome> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error("attempt deadline reached")), timeoutMs);
  try {
    const response = await request(prepared.url, {
      dispatcher: agent,
      method: prepared.method,
      headers: prepared.headers,
      body: prepared.body,
      signal: controller.signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const body = Buffer.from(await response.body.arrayBuffer());
    return { kind: "response", status: response.statusCode, headers: response.headers, body };
  } catch (cause) {
    return controller.signal.aborted || isUndiciTimeout(cause)
      ? { kind: "timeout", cause }
      : { kind: "network", cause };
  } finally {
    clearTimeout(timer);
  }
}

const undiciTimeoutCodes = new Set([
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

function isUndiciTimeout(error: unknown): boolean {
  if (typeof error !== "object" || error === null || !("code" in error)) return false;
  return typeof error.code === "string" && undiciTimeoutCodes.has(error.code);
}

interface Failure {
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly error: ChatGatewayError;
}

/**
 * Errors that mean the connection was never established, so 8x8 cannot have seen the request: a refused
 * connection, an unknown or unreachable host, a connect timeout. Anything else that breaks an exchange (a
 * reset or hang-up, a timeout waiting for the answer) may come after 8x8 acted on the request.
 */
const notConnectedCodes = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/**
 * Answers after which 8x8 may still have carried out the call: a 500 can come from a failure after the
 * message was stored, and 502/504 come from a proxy that lost 8x8's answer. A 503 or 429 is a refusal before
 * any work, and every other status is a definite answer.
 */
const ambiguousStatuses = new Set([500, 502, 504]);

/** Whether a failed exchange may have reached 8x8 and been carried out (the request may have been written). */
function mayHaveBeenCarriedOut(outcome: AttemptOutcome): boolean {
  switch (outcome.kind) {
    case "response":
      return ambiguousStatuses.has(outcome.status);
    case "network":
    case "timeout":
      return notConnectedCode(outcome.cause) === undefined;
  }
}

/** The "never connected" code of an error or of its causes, if it has one. */
function notConnectedCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; depth < 3; depth++) {
    if (typeof current !== "object" || current === null) return undefined;
    if ("code" in current && typeof current.code === "string" && notConnectedCodes.has(current.code))
      return current.code;
    current = "cause" in current ? current.cause : undefined;
  }
  return undefined;
}

function describeFailure(
  settings: TransportSettings,
  operation: string,
  outcome: AttemptOutcome,
  attempts: number,
): Failure {
  const ambiguous: { readonly ambiguous?: true } = mayHaveBeenCarriedOut(outcome) ? { ambiguous: true } : {};
  switch (outcome.kind) {
    case "network":
      return {
        retryable: true,
        error: new ChatGatewayError(
          "BATON_ERR_8X8_UNAVAILABLE",
          { operation, fieldErrors: [], attempts, reason: "network", ...ambiguous },
          { cause: outcome.cause },
        ),
      };
    case "timeout":
      return {
        retryable: true,
        error: new ChatGatewayError(
          "BATON_ERR_8X8_TIMEOUT",
          { operation, fieldErrors: [], attempts, reason: "timeout", ...ambiguous },
          { cause: outcome.cause },
        ),
      };
    case "response":
      return describeErrorResponse(settings, operation, outcome, attempts, ambiguous);
  }
}

function describeErrorResponse(
  settings: TransportSettings,
  operation: string,
  response: { readonly status: number; readonly headers: ResponseHeaders; readonly body: Buffer },
  attempts: number,
  ambiguous: { readonly ambiguous?: true },
): Failure {
  const problem: ParsedProblem = parseProblemBody(
    response.body,
    firstHeader(response.headers, "content-type"),
    settings.apiKey,
  );
  const retryable = isRetryableStatus(response.status);
  const retryAfterMs = retryable
    ? parseRetryAfter(firstHeader(response.headers, "retry-after"), settings.now())
    : undefined;
  const code = retryable ? "BATON_ERR_8X8_UNAVAILABLE" : "BATON_ERR_8X8_REQUEST_REJECTED";
  const details = { operation, status: response.status, attempts, ...problem, retryAfterMs, ...ambiguous };
  return { retryable, retryAfterMs, error: new ChatGatewayError(code, withoutUndefined(details)) };
}

function clientClosedError(operation: string, attempts: number): ChatGatewayError {
  return new ChatGatewayError("BATON_ERR_8X8_UNAVAILABLE", {
    operation,
    fieldErrors: [],
    attempts,
    reason: "client_closed",
  });
}

function logRetry(logger: Logger | undefined, error: ChatGatewayError, delayMs: number): void {
  const { operation, status, attempts, referenceId, reason } = error.details;
  logger?.warn({ operation, status, attempt: attempts, reason, referenceId, delayMs }, "retrying 8x8 call");
}

/** The first value of a response header (undici gives repeated headers as arrays). */
export function firstHeader(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
