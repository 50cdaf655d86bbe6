import { gatewayPath, readJson, type ClientContext } from "./client-context.ts";
import { iterateAllPages, listQueryParams, toPage } from "./client-paging.ts";
import { checkId, checkListQuery, checkVerifyInput, checkWebhookInput } from "./input-validation.ts";
import type { CallOptions } from "./transport.ts";
import { halListSchema, webhookSchema } from "./wire-schemas.ts";
import {
  chatGatewayVersion,
  type ListQuery,
  type Page,
  type VerifyWebhookInput,
  type Webhook,
  type WebhookInput,
} from "./wire-types.ts";

/** `/chat-gateway/v1/webhooks`. */
export interface WebhooksApi {
  /** One page of the webhooks the key (and tenant) can see. */
  list(query?: ListQuery, options?: CallOptions): Promise<Page<Webhook>>;
  /** Every webhook from `query.page` (default 0) on, page after page. */
  listAll(query?: ListQuery, options?: CallOptions): AsyncIterable<Webhook>;
  /** Creates a webhook; 8x8 then sends WEB_HOOK_VERIFY to its `uri`. 8x8 answers 200, not 201. */
  create(input: WebhookInput, options?: CallOptions): Promise<Webhook>;
  get(webhookId: string, options?: CallOptions): Promise<Webhook>;
  /** Full replacement (PUT). */
  update(webhookId: string, input: WebhookInput, options?: CallOptions): Promise<Webhook>;
  delete(webhookId: string, options?: CallOptions): Promise<void>;
  /** Asks 8x8 to send a hello to `uri`; resolves (204) when the target answered 2xx. */
  verify(input: VerifyWebhookInput, options?: CallOptions): Promise<void>;
}

const webhookListSchema = halListSchema("webhooks", webhookSchema);

/**
 * The create/put schema lists `notificationVersion` as required but only defines `version`, and
 * which one 8x8 enforces is unconfirmed: send both with the same value.
 */
function webhookBody(input: WebhookInput): Record<string, string> {
  return {
    name: input.name,
    uri: input.uri,
    version: chatGatewayVersion,
    notificationVersion: chatGatewayVersion,
  };
}

export function createWebhooksApi({ transport }: ClientContext): WebhooksApi {
  async function list(query: ListQuery = {}, options?: CallOptions): Promise<Page<Webhook>> {
    checkListQuery(query);
    const response = await transport.send(
      {
        operation: "webhooks.list",
        method: "GET",
        target: { path: gatewayPath("webhooks") },
        query: listQueryParams(query),
      },
      options,
    );
    return toPage(readJson(response, webhookListSchema, "webhooks.list"), query.page ?? 0);
  }

  function listAll(query: ListQuery = {}, options?: CallOptions): AsyncIterable<Webhook> {
    return iterateAllPages((page) => list({ ...query, page }, options), query.page ?? 0);
  }

  async function create(input: WebhookInput, options?: CallOptions): Promise<Webhook> {
    checkWebhookInput(input);
    const response = await transport.send(
      {
        operation: "webhooks.create",
        method: "POST",
        target: { path: gatewayPath("webhooks") },
        json: webhookBody(input),
      },
      options,
    );
    return readJson(response, webhookSchema, "webhooks.create");
  }

  async function get(webhookId: string, options?: CallOptions): Promise<Webhook> {
    checkId(webhookId, "webhookId");
    const response = await transport.send(
      { operation: "webhooks.get", method: "GET", target: { path: gatewayPath("webhooks", webhookId) } },
      options,
    );
    return readJson(response, webhookSchema, "webhooks.get");
  }

  async function update(webhookId: string, input: WebhookInput, options?: CallOptions): Promise<Webhook> {
    checkId(webhookId, "webhookId");
    checkWebhookInput(input);
    const response = await transport.send(
      {
        operation: "webhooks.update",
        method: "PUT",
        target: { path: gatewayPath("webhooks", webhookId) },
        json: webhookBody(input),
      },
      options,
    );
    return readJson(response, webhookSchema, "webhooks.update");
  }

  async function remove(webhookId: string, options?: CallOptions): Promise<void> {
    checkId(webhookId, "webhookId");
    await transport.send(
      {
        operation: "webhooks.delete",
        method: "DELETE",
        target: { path: gatewayPath("webhooks", webhookId) },
      },
      options,
    );
  }

  async function verify(input: VerifyWebhookInput, options?: CallOptions): Promise<void> {
    checkVerifyInput(input);
    // The spec's example version is the legacy "v2.0"; a v1 webhook is verified as v1.
    const json = { version: input.version ?? chatGatewayVersion, uri: input.uri };
    await transport.send(
      {
        operation: "webhooks.verify",
        method: "POST",
        target: { path: gatewayPath("webhooks", "verify") },
        json,
      },
      options,
    );
  }

  return { list, listAll, create, get, update, delete: remove, verify };
}
