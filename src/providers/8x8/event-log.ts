import { capBody, type EventLogSink } from "../../eventlog/recorder.ts";
import { isBatonError, type ErrorCode } from "../../errors/index.ts";
import type { NewEventLogEntry } from "../../store/types.ts";
import type { WebhookRequest } from "../port.ts";
import { isRetryableStatus } from "./retry-policy.ts";
import { webhookHeaders } from "./signature.ts";
import type { OutboundAttempt } from "./transport.ts";

/**
 * The 8x8 provider's event-log entries. Built from what is safe to keep by construction: the headers kept are
 * the event id and the retry count (never `x-8x8-signature`, never the API key, which only the transport's
 * request headers carry), outbound entries have no body, and an inbound body is kept only once its signature
 * was verified.
 */

/** Header values from unverified requests are kept short: they are shown, never trusted. */
const maxHeaderChars = 200;

/** What the receiver learned about one request before it answered. */
export interface ReceivedFacts {
  /** The event type label (`unknown` until the signature is verified and the body read). */
  type: string;
  /** Set once the body is verified and parsed. */
  verified?: { readonly conversationId: string | null; readonly rawBody: Buffer };
}

export interface InboundOutcome {
  readonly providerId: string;
  readonly request: WebhookRequest;
  readonly facts: ReceivedFacts;
  /** When the request arrived, epoch ms. */
  readonly at: number;
  readonly durationMs: number;
  /** The HTTP status answered. */
  readonly status: number;
  readonly outcome: string;
  readonly error?: unknown;
  /** The log entry this delivery replays. */
  readonly replayOf?: number;
}

export function inboundEntry(outcome: InboundOutcome, maxBodyBytes: number): NewEventLogEntry {
  const { facts, request } = outcome;
  const verified = facts.verified;
  const body = verified === undefined ? undefined : capBody(verified.rawBody, maxBodyBytes);
  return {
    at: new Date(outcome.at),
    direction: "in",
    type: facts.type,
    providerId: outcome.providerId,
    conversationId: verified?.conversationId ?? null,
    eventId: shortHeader(request.headers[webhookHeaders.eventId]),
    status: String(outcome.status),
    outcome: outcome.outcome,
    durationMs: outcome.durationMs,
    attempt: retryAttempt(request.headers[webhookHeaders.retry]),
    errorCode: errorCodeOf(outcome.error),
    method: null,
    path: null,
    body: body?.body ?? null,
    bodyBytes: body?.bodyBytes ?? null,
    bodyTruncated: body?.bodyTruncated ?? false,
    replayOf: outcome.replayOf ?? null,
  };
}

/**
 * One HTTP attempt of the Chat Gateway client: operation, method, path (ids included, the query never), status
 * and duration. The conversation is the one the path names, or for a create the one 8x8 answered with.
 */
export function outboundEntry(
  providerId: string,
  attempt: OutboundAttempt,
  now: number = Date.now(),
): NewEventLogEntry {
  const path = "url" in attempt.target ? pathOf(attempt.target.url) : attempt.target.path;
  const failure = attemptFailure(attempt.status);
  return {
    at: new Date(now - attempt.durationMs),
    direction: "out",
    type: attempt.operation,
    providerId,
    conversationId: conversationInPath(path) ?? createdConversation(attempt),
    eventId: null,
    status: attempt.status,
    outcome: failure?.outcome ?? "ok",
    durationMs: attempt.durationMs,
    attempt: attempt.attempt,
    errorCode: failure?.code ?? null,
    method: attempt.method,
    path,
    body: null,
    bodyBytes: null,
    bodyTruncated: false,
    replayOf: null,
  };
}

/** Reports every attempt of a client to the sink. */
export function outboundRecorder(providerId: string, sink: EventLogSink): (attempt: OutboundAttempt) => void {
  return (attempt) => {
    try {
      sink.record(outboundEntry(providerId, attempt));
    } catch {
      // The log is observability: a fault in building an entry must never fail the 8x8 call itself.
    }
  };
}

/** The same mapping as the transport's errors: 429/5xx and network are "unavailable", other 4xx "rejected". */
function attemptFailure(status: string): { outcome: string; code: ErrorCode } | undefined {
  if (status === "timeout") return { outcome: "timeout", code: "BATON_ERR_8X8_TIMEOUT" };
  if (status === "network") return { outcome: "unavailable", code: "BATON_ERR_8X8_UNAVAILABLE" };
  const code = Number(status);
  if (code >= 200 && code < 300) return undefined;
  return isRetryableStatus(code)
    ? { outcome: "unavailable", code: "BATON_ERR_8X8_UNAVAILABLE" }
    : { outcome: "rejected", code: "BATON_ERR_8X8_REQUEST_REJECTED" };
}

const conversationPath = /\/conversations\/([^/?#]+)/;

function conversationInPath(path: string): string | null {
  const match = conversationPath.exec(path);
  if (match?.[1] === undefined) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return match[1];
  }
}

/** A create's conversation id is in 8x8's answer (a small JSON body), not in the path. */
function createdConversation(attempt: OutboundAttempt): string | null {
  if (attempt.operation !== "conversations.create" || attempt.responseBody === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(attempt.responseBody.toString("utf8"));
    if (typeof parsed === "object" && parsed !== null && "conversationId" in parsed) {
      const id = parsed.conversationId;
      return typeof id === "string" ? id.slice(0, maxHeaderChars) : null;
    }
  } catch {
    // An unreadable answer fails the call itself; the entry just names no conversation.
  }
  return null;
}

function pathOf(url: string): string {
  return URL.canParse(url) ? new URL(url).pathname : "";
}

function shortHeader(value: string | undefined): string | null {
  return value === undefined || value === "" ? null : value.slice(0, maxHeaderChars);
}

/** 8x8's `x-8x8-retry` counts retries from 0; the log counts attempts from 1. */
function retryAttempt(value: string | undefined): number {
  const retries = value !== undefined && /^\d{1,6}$/.test(value) ? Number(value) : 0;
  return retries + 1;
}

function errorCodeOf(error: unknown): string | null {
  if (error === undefined) return null;
  return isBatonError(error) ? error.code : "BATON_ERR_SERVER_INTERNAL";
}
