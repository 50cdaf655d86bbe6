import type { z } from "zod";
import { ChatGatewayError, type ChatGatewayFieldError } from "./gateway-error.ts";
import type { GatewayResponse, Transport } from "./transport.ts";

/** Stable names of every client operation: the `operation` metrics label and `details.operation` of errors. */
export type ChatGatewayOperation =
  | "webhooks.list"
  | "webhooks.create"
  | "webhooks.get"
  | "webhooks.update"
  | "webhooks.delete"
  | "webhooks.verify"
  | "jwk.get"
  | "channels.list"
  | "channels.create"
  | "channels.get"
  | "channels.update"
  | "channels.delete"
  | "conversations.list"
  | "conversations.create"
  | "conversations.get"
  | "conversations.put"
  | "conversations.patch"
  | "conversations.interactions"
  | "conversations.postAgentAssignment"
  | "conversations.typing"
  | "conversations.thinking"
  | "conversations.readReceipt"
  | "conversations.participants"
  | "conversations.userLeaves"
  | "messages.send"
  | "messages.list"
  | "messages.get"
  | "messages.cards"
  | "attachments.upload"
  | "attachments.list"
  | "attachments.get"
  | "attachments.download"
  | "cards.actionSubmit"
  | "cards.actionExecute";

/** What every resource API of the client shares. */
export interface ClientContext {
  readonly transport: Transport;
  /** The configured `X-8x8-Tenant`, also the default tenant of the card action paths. */
  readonly tenant: string | undefined;
}

const gatewayPrefix = "/chat-gateway/v1";

/** `/chat-gateway/v1/<segments>` with every segment URL-encoded, so an id can never change the path. */
export function gatewayPath(...segments: readonly string[]): string {
  return `${gatewayPrefix}/${segments.map(encodeURIComponent).join("/")}`;
}

/** Same, under the card actions' `/api/v1` prefix (they sit outside `/chat-gateway/v1`). */
export function apiV1Path(...segments: readonly string[]): string {
  return `/api/v1/${segments.map(encodeURIComponent).join("/")}`;
}

/** Parses a success body with `schema`; an unreadable one is BATON_ERR_8X8_RESPONSE_INVALID (never retried). */
export function readJson<T>(
  response: GatewayResponse,
  schema: z.ZodType<T>,
  operation: ChatGatewayOperation,
): T {
  const json = parseJsonBody(response, operation);
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const fieldErrors: ChatGatewayFieldError[] = parsed.error.issues.slice(0, 10).map((issue) => ({
    code: issue.code,
    message: issue.message,
    field: issue.path.map(String).join("."),
  }));
  throw responseInvalid(operation, response, fieldErrors);
}

function parseJsonBody(response: GatewayResponse, operation: ChatGatewayOperation): unknown {
  try {
    return JSON.parse(response.body.toString("utf8")) as unknown;
  } catch (cause) {
    throw responseInvalid(operation, response, [{ message: "The body is not JSON." }], cause);
  }
}

function responseInvalid(
  operation: ChatGatewayOperation,
  response: GatewayResponse,
  fieldErrors: readonly ChatGatewayFieldError[],
  cause?: unknown,
): ChatGatewayError {
  return new ChatGatewayError(
    "BATON_ERR_8X8_RESPONSE_INVALID",
    { operation, status: response.status, fieldErrors, attempts: response.attempts, reason: "body" },
    { cause },
  );
}
