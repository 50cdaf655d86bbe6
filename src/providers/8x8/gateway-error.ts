import { BatonError, errorCatalog, type ErrorCode, type ErrorDetails } from "../../errors/index.ts";

/** One problem 8x8 reported, flattened from whichever `errors` / `validations` shape it used. */
export interface ChatGatewayFieldError {
  readonly code?: string;
  readonly message: string;
  /** Only `validations[]` entries name a field. */
  readonly field?: string;
}

/** What a failed Chat Gateway call tells its caller. Safe to log: no API key, no request body. */
export interface ChatGatewayErrorDetails extends ErrorDetails {
  /** The client operation, e.g. `conversations.create` (also the metrics label). */
  readonly operation: string;
  /** The HTTP status of the last answer; absent when no answer arrived (network error, timeout). */
  readonly status?: number;
  /** 8x8's top-level `message`, or the `<title>` / first line of a non-JSON body (a proxy's HTML page). */
  readonly providerMessage?: string;
  readonly fieldErrors: readonly ChatGatewayFieldError[];
  /** 8x8's correlation id (401, 400 on send-message, invalid_parameter bodies). Quote it to 8x8 support. */
  readonly referenceId?: string;
  /** How many attempts were made before giving up. */
  readonly attempts: number;
  /**
   * The server's `Retry-After`, in ms, when the last answer carried one. Set when the client gave up because the
   * wait exceeded its cap, so an outbox can schedule the next try itself.
   */
  readonly retryAfterMs?: number;
  /** Why no HTTP answer was usable: `network`, `timeout`, `client_closed`, or `body` (unreadable success body). */
  readonly reason?: "network" | "timeout" | "client_closed" | "body";
  /**
   * The call may have been carried out although it failed: a timeout or a broken connection after the request
   * may have been written, or a 500/502/504. A call that is not safe to repeat (a message post) must be
   * checked at 8x8 before it is made again. Absent when the failure proves nothing happened (429, 503, other
   * statuses, a connection never established).
   */
  readonly ambiguous?: boolean;
}

/** The four catalog codes a Chat Gateway call can fail with. */
export type ChatGatewayErrorCode = Extract<
  ErrorCode,
  | "BATON_ERR_8X8_REQUEST_REJECTED"
  | "BATON_ERR_8X8_UNAVAILABLE"
  | "BATON_ERR_8X8_TIMEOUT"
  | "BATON_ERR_8X8_RESPONSE_INVALID"
>;

/**
 * The one error type for a failed Chat Gateway call. `status` (inherited) is the catalog's status Baton would
 * answer with (502/504); `httpStatus` is what 8x8 answered.
 */
export class ChatGatewayError extends BatonError {
  declare readonly code: ChatGatewayErrorCode;
  declare readonly details: ChatGatewayErrorDetails;

  constructor(code: ChatGatewayErrorCode, details: ChatGatewayErrorDetails, options?: { cause?: unknown }) {
    super(code, details, { cause: options?.cause, message: describe(code, details) });
    this.name = "ChatGatewayError";
  }

  /** The HTTP status 8x8 (or a proxy in front of it) answered, if any answer arrived. */
  get httpStatus(): number | undefined {
    return this.details.status;
  }
}

/** Whether `error` is a failed Chat Gateway call (rejected, unavailable, timed out or unreadable). */
export function isChatGatewayError(error: unknown): error is ChatGatewayError {
  return error instanceof ChatGatewayError;
}

/**
 * The message names the operation and the HTTP status but never interpolates provider text or request values:
 * the catalog rule is that details travel as structured fields.
 */
function describe(code: ChatGatewayErrorCode, details: ChatGatewayErrorDetails): string {
  const where =
    details.status === undefined ? details.operation : `${details.operation}, HTTP ${details.status}`;
  return `${errorCatalog[code].message} (${where})`;
}

/** The readable parts of an error body. */
export interface ParsedProblem {
  readonly providerMessage?: string;
  readonly fieldErrors: readonly ChatGatewayFieldError[];
  readonly referenceId?: string;
}

const maxSnippetLength = 200;

/**
 * Reads any 8x8 error body (8x8's OpenAPI declares different shapes per operation, not per status): `errors`
 * may be an array of `{code, message}`, an array of strings or a single object, whatever the status;
 * `validations` may be objects or strings; OAuth-style bodies use `ErrorCode`/`Error`. A body that is not
 * JSON (an HTML page from a load balancer) still yields a short, clean `providerMessage`. `secret` (the API
 * key) is scrubbed from every string taken from the body.
 */
export function parseProblemBody(
  body: Buffer,
  contentType: string | undefined,
  secret: string,
): ParsedProblem {
  const text = body.toString("utf8");
  const json = tryParseJson(text);
  const parsed = isRecord(json) ? readProblemObject(json) : readNonJsonBody(text, contentType);
  return scrubProblem(parsed, secret);
}

function readProblemObject(body: Record<string, unknown>): ParsedProblem {
  const fieldErrors = [...readErrorsField(body["errors"]), ...readValidations(body["validations"])];
  const oauthError = asString(body["Error"]);
  if (oauthError !== undefined)
    fieldErrors.push(compact({ code: asString(body["ErrorCode"]), message: oauthError }));
  const providerMessage =
    asString(body["message"]) ?? asString(body["detail"]) ?? asString(body["title"]) ?? oauthError;
  return compact({ providerMessage, fieldErrors, referenceId: asString(body["referenceId"]) });
}

function readErrorsField(errors: unknown): ChatGatewayFieldError[] {
  if (Array.isArray(errors)) return errors.flatMap(readOneError);
  return readOneError(errors);
}

function readOneError(entry: unknown): ChatGatewayFieldError[] {
  if (typeof entry === "string") return [{ message: entry }];
  if (!isRecord(entry)) return [];
  const message = asString(entry["message"]) ?? asString(entry["code"]);
  if (message === undefined) return [];
  return [compact({ code: asString(entry["code"]), message, field: asString(entry["field"]) })];
}

/** `validations[].value` is dropped on purpose: it echoes what was sent, which may be personal data. */
function readValidations(validations: unknown): ChatGatewayFieldError[] {
  return Array.isArray(validations) ? validations.flatMap(readOneError) : [];
}

function readNonJsonBody(text: string, contentType: string | undefined): ParsedProblem {
  const isHtml = (contentType ?? "").includes("html") || /^\s*</.test(text);
  const snippet = isHtml ? htmlTitle(text) : firstLine(text);
  return compact({ providerMessage: snippet, fieldErrors: [] });
}

function htmlTitle(html: string): string | undefined {
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(html)?.[1];
  return title === undefined ? undefined : truncate(title.replace(/\s+/g, " ").trim());
}

function firstLine(text: string): string | undefined {
  const line = text.trim().split(/\r?\n/, 1)[0];
  return line ? truncate(line) : undefined;
}

function truncate(text: string): string | undefined {
  if (text === "") return undefined;
  return text.length > maxSnippetLength ? `${text.slice(0, maxSnippetLength)}…` : text;
}

function scrubProblem(problem: ParsedProblem, secret: string): ParsedProblem {
  const scrub = (value: string | undefined): string | undefined =>
    value === undefined || secret === "" ? value : value.split(secret).join("[redacted]");
  return compact({
    providerMessage: scrub(problem.providerMessage),
    referenceId: scrub(problem.referenceId),
    fieldErrors: problem.fieldErrors.map((e) =>
      compact({ code: scrub(e.code), message: scrub(e.message) ?? "", field: scrub(e.field) }),
    ),
  });
}

function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asString(value: unknown): string | undefined {
  if (typeof value === "string" && value !== "") return value;
  return typeof value === "number" ? String(value) : undefined;
}

/** Drops undefined keys so errors serialise without `"field": undefined` noise. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
