import type { ChatGatewayClient } from "./client.ts";
import type { Channel, Webhook } from "./wire-types.ts";

export interface SetupInput {
  readonly providerId: string;
  /** The gateway's public base URL (what 8x8 can reach), without a trailing path. */
  readonly publicUrl: string;
  /** When given, a Chat API channel routing to this queue is ensured too. */
  readonly queueId?: string;
}

export interface SetupResult {
  readonly webhookUri: string;
  readonly webhook: { readonly id: string; readonly created: boolean };
  readonly channel?: { readonly id: string; readonly queueId: string; readonly created: boolean };
}

/** The URL 8x8 must post a provider's events to. */
export function webhookUriFor(publicUrl: string, providerId: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/handover/eightByEight/${encodeURIComponent(providerId)}`;
}

/**
 * Makes sure 8x8 has a webhook pointing at this gateway and, with a queue, a Chat API channel binding that
 * webhook to the queue. Idempotent: existing ones are found by URI (webhook) and by webhook + queue
 * (channel) and reused, so running it twice creates nothing the second time.
 *
 * @example
 * const result = await ensureEightByEightSetup(client, { providerId: "eight", publicUrl, queueId: "311" });
 * console.log(result.channel?.id);
 */
export async function ensureEightByEightSetup(
  client: ChatGatewayClient,
  input: SetupInput,
): Promise<SetupResult> {
  const webhookUri = webhookUriFor(input.publicUrl, input.providerId);
  const webhook = await ensureWebhook(client, webhookUri, `Baton ${input.providerId}`);
  if (input.queueId === undefined) return { webhookUri, webhook };
  const channel = await ensureChannel(
    client,
    webhook.id,
    input.queueId,
    `Baton ${input.providerId} queue ${input.queueId}`,
  );
  return { webhookUri, webhook, channel: { ...channel, queueId: input.queueId } };
}

async function ensureWebhook(client: ChatGatewayClient, uri: string, name: string) {
  const existing = await findFirst(client.webhooks.listAll(), (w: Webhook) => w.uri === uri);
  if (existing !== undefined) return { id: existing.id, created: false };
  const created = await client.webhooks.create({ name, uri });
  return { id: created.id, created: true };
}

async function ensureChannel(client: ChatGatewayClient, webHookId: string, queueId: string, name: string) {
  const existing = await findFirst(
    client.channels.listAll(),
    (c: Channel) =>
      c.webHookId === webHookId && c.routingOptions?.id === queueId && (c.type ?? "ChatAPI") === "ChatAPI",
  );
  if (existing !== undefined) return { id: existing.id, created: false };
  const created = await client.channels.create({
    name,
    webHookId,
    routingOptions: { type: "queue", id: queueId },
    type: "ChatAPI",
  });
  return { id: created.id, created: true };
}

async function findFirst<T>(items: AsyncIterable<T>, match: (item: T) => boolean): Promise<T | undefined> {
  for await (const item of items) if (match(item)) return item;
  return undefined;
}
