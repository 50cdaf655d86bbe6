import type { Simulator } from "../../src/index.ts";
import type { WebhookReceiver } from "./webhook-receiver.ts";

export type HttpResult<T = unknown> = {
  status: number;
  contentType: string | null;
  body: T;
  headers: Headers;
};

/** Calls the simulator's 8x8 API with its API key (override `headers` to test auth). */
export async function api<T = unknown>(
  sim: Simulator,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { "x-api-key": sim.apiKey },
): Promise<HttpResult<T>> {
  return call<T>(`${sim.url}/chat-gateway/v1${path}`, method, body, headers);
}

/** Calls a card action (`PUT /api/v1/tenant/{tenantId}/conversations/{id}/cards/{cardId}/<action>`). */
export async function cardAction<T = unknown>(
  sim: Simulator,
  action: "action-submit" | "action-execute",
  target: { tenantId?: string; conversationId: string; cardId: string },
  body?: unknown,
  headers: Record<string, string> = { "x-api-key": sim.apiKey },
): Promise<HttpResult<T>> {
  const segments = [target.tenantId ?? sim.tenant, "conversations", target.conversationId, "cards"];
  const path = [...segments, target.cardId, action].map(encodeURIComponent).join("/");
  return call<T>(`${sim.url}/api/v1/tenant/${path}`, "PUT", body, headers);
}

/** Calls the control API (`/sim/...`), which needs no key. */
export async function control<T = unknown>(sim: Simulator, method: string, path: string, body?: unknown) {
  return call<T>(`${sim.url}/sim${path}`, method, body, {});
}

async function call<T>(url: string, method: string, body: unknown, headers: Record<string, string>) {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    body: (text === "" ? undefined : JSON.parse(text)) as T,
    headers: response.headers,
  } satisfies HttpResult<T>;
}

/** Creates a webhook for the receiver and a Chat API channel on `queueId`; returns the channel id. */
export async function createChannel(
  sim: Simulator,
  receiver: WebhookReceiver,
  queueId = "311",
): Promise<string> {
  const webhook = await api<{ id: string }>(sim, "POST", "/webhooks", {
    name: "baton",
    uri: receiver.url,
    version: "Chat Gateway v1.0",
  });
  const channel = await api<{ id: string }>(sim, "POST", "/channels", {
    name: "Baton",
    type: "ChatAPI",
    webHookId: webhook.body.id,
    routingOptions: { type: "queue", id: queueId },
  });
  if (channel.status !== 200) throw new Error(`channel creation failed: ${JSON.stringify(channel.body)}`);
  return channel.body.id;
}

export async function createConversation(
  sim: Simulator,
  channelId: string,
  extra: object = {},
): Promise<string> {
  const created = await api<{ conversationId: string }>(sim, "POST", "/conversations", {
    channelId,
    user: { name: "Ana Pereira", userId: "crm-1", additionalProperties: [{ key: "Plan", value: "gold" }] },
    ...extra,
  });
  if (created.status !== 202)
    throw new Error(`conversation creation failed: ${JSON.stringify(created.body)}`);
  return created.body.conversationId;
}
