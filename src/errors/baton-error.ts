import { errorCatalog, type CatalogEntry, type ErrorCode } from "./catalog.ts";

/** Structured facts about an error: what was wrong (`field`), what was expected, and safe extra detail. */
export interface ErrorDetails {
  /** Where the problem is: a config path (`providers.eight.baseUrl`), a body field (`data.text`), a header. */
  readonly field?: string;
  /** What would have been accepted, in words. */
  readonly expected?: string;
  /** Further safe, non-secret facts (never credentials, tokens or raw bodies). */
  readonly [key: string]: unknown;
}

/**
 * The only error type the core throws. The server maps it to `{ error: { code, message, ... } }` with the
 * catalog's status; the CLI prints it; logs carry the code.
 *
 * @example
 * throw new BatonError("BATON_ERR_WEBHOOK_STALE", { field: "x-8x8-transmission-time", expected: "within 300 s" });
 */
export class BatonError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, details: ErrorDetails = {}, options?: { cause?: unknown; message?: string }) {
    super(
      options?.message ?? errorCatalog[code].message,
      options?.cause ? { cause: options.cause } : undefined,
    );
    this.name = "BatonError";
    this.code = code;
    this.status = errorCatalog[code].status;
    this.details = details;
  }

  /** The wire form used in HTTP error bodies. */
  toJSON(): { code: ErrorCode; message: string } & ErrorDetails {
    return { ...this.details, code: this.code, message: this.message };
  }
}

export function isBatonError(error: unknown): error is BatonError {
  return error instanceof BatonError;
}

/**
 * Whether an error will not go away by retrying the same call: a BatonError whose catalog entry is
 * `permanent`. The one place this is decided; the outbox and the handover service both ask it.
 */
export function isPermanentError(error: unknown): boolean {
  if (!isBatonError(error)) return false;
  const entry: CatalogEntry = errorCatalog[error.code];
  return entry.permanent === true;
}
