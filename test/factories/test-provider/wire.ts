import { createHmac, timingSafeEqual } from "node:crypto";
import type { ErrorDetails } from "../../../src/errors/index.ts";
import type {
  CreateHandoverConversation,
  ProviderAttachment,
  ProviderCapabilities,
  ProviderEvent,
} from "../../../src/providers/port.ts";

/**
 * What travels between the test contact center and the test provider, in both directions. Kept in one file
 * so the two sides cannot drift apart.
 */

/** `sha256=<hex HMAC-SHA256 of the exact body bytes>`, keyed with the shared secret. */
export const signatureHeader = "x-test-signature";
/** 1 for the first delivery of an event, counting up on retries (a deliberate duplicate repeats it). */
export const attemptHeader = "x-test-attempt";

/** What the test provider declares unless its config says otherwise: small, and unlike 8x8's. */
export const testProviderCapabilities: ProviderCapabilities = {
  maxCustomProperties: 5,
  maxTranscriptMessages: 20,
  agentLeftGraceSeconds: 0,
};

/** `Omit` applied to each member of a union, so the result is still a union of the kinds. */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** One webhook body: a ProviderEvent as the contact center knows it (the gateway adds its provider id). */
export type WireEvent = DistributiveOmit<ProviderEvent, "providerId">;

/** `POST /conversations` body. */
export type WireCreateConversation = CreateHandoverConversation;

/** `POST /conversations/{id}/messages` body; file bytes are base64. */
export interface WireUserMessage {
  readonly text?: string;
  readonly attachments: readonly {
    readonly name: string;
    readonly contentType: string;
    readonly base64: string;
  }[];
}

/** One agent message as `GET /conversations/{id}` lists it: what its webhook event carried, and its id. */
export interface WireAgentMessage {
  readonly id: string;
  readonly senderId: string;
  /** The very `occurredAt` of its webhook event. */
  readonly occurredAt: number;
  readonly text: string;
  readonly attachments: readonly ProviderAttachment[];
}

/** `GET /conversations/{id}?since=<epoch ms>`: where the conversation stands, and agent messages from `since` on. */
export interface WireConversationState {
  readonly status: "queued" | "assigned" | "ended";
  readonly queueId: string;
  readonly agentId?: string;
  /** Agents who were in it and left (a transfer, a close). */
  readonly agentsLeft: readonly string[];
  /** Oldest first. */
  readonly messages: readonly WireAgentMessage[];
}

/** `GET /conversations/{id}/messages`: what the agent side shows after the create, newest first. */
export interface WireMessageList {
  readonly messages: readonly {
    /** `user`, `bot` (the gateway's notices) or `agent`. */
    readonly author: string;
    readonly text: string;
    readonly attachments: number;
  }[];
}

/**
 * The body of every error answer. `code` is the contact center's own reason (`not_found`) or, for an injected
 * fault, a Baton catalog code that the provider turns back into that very BatonError.
 */
export interface WireError {
  readonly error: { readonly code: string; readonly message: string; readonly details?: ErrorDetails };
}

export function sign(secret: string, body: Buffer): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** Constant-time comparison, so the answer time says nothing about how much of a forged signature matched. */
export function signatureMatches(secret: string, body: Buffer, header: string | undefined): boolean {
  if (header === undefined) return false;
  const expected = Buffer.from(sign(secret, body));
  const actual = Buffer.from(header);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
