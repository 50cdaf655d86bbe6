import { gatewayPath, readJson, type ClientContext } from "./client-context.ts";
import { iterateAllPages, listQueryParams, toPage } from "./client-paging.ts";
import { checkChannelInput, checkId, checkListQuery } from "./input-validation.ts";
import type { CallOptions } from "./transport.ts";
import { channelSchema, halListSchema } from "./wire-schemas.ts";
import type { Channel, ChannelInput, ListQuery, Page } from "./wire-types.ts";

/** `/chat-gateway/v1/channels` (only `ChatAPI` channels can be created through the API). */
export interface ChannelsApi {
  /** One page; channels of other types (WebChat, WhatsApp, …) can appear. */
  list(query?: ListQuery, options?: CallOptions): Promise<Page<Channel>>;
  listAll(query?: ListQuery, options?: CallOptions): AsyncIterable<Channel>;
  /** Creates a ChatAPI channel bound to a webhook and a default queue. 8x8 answers 200. */
  create(input: ChannelInput, options?: CallOptions): Promise<Channel>;
  get(channelId: string, options?: CallOptions): Promise<Channel>;
  /** Full replacement (PUT). */
  update(channelId: string, input: ChannelInput, options?: CallOptions): Promise<Channel>;
  delete(channelId: string, options?: CallOptions): Promise<void>;
}

const channelListSchema = halListSchema("channels", channelSchema);

function channelBody(input: ChannelInput): Record<string, unknown> {
  return {
    name: input.name,
    webHookId: input.webHookId,
    routingOptions: { type: "queue", id: input.routingOptions.id },
    type: input.type ?? "ChatAPI",
  };
}

export function createChannelsApi({ transport }: ClientContext): ChannelsApi {
  async function list(query: ListQuery = {}, options?: CallOptions): Promise<Page<Channel>> {
    checkListQuery(query);
    const response = await transport.send(
      {
        operation: "channels.list",
        method: "GET",
        target: { path: gatewayPath("channels") },
        query: listQueryParams(query),
      },
      options,
    );
    return toPage(readJson(response, channelListSchema, "channels.list"), query.page ?? 0);
  }

  function listAll(query: ListQuery = {}, options?: CallOptions): AsyncIterable<Channel> {
    return iterateAllPages((page) => list({ ...query, page }, options), query.page ?? 0);
  }

  async function create(input: ChannelInput, options?: CallOptions): Promise<Channel> {
    checkChannelInput(input);
    const response = await transport.send(
      {
        operation: "channels.create",
        method: "POST",
        target: { path: gatewayPath("channels") },
        json: channelBody(input),
      },
      options,
    );
    return readJson(response, channelSchema, "channels.create");
  }

  async function get(channelId: string, options?: CallOptions): Promise<Channel> {
    checkId(channelId, "channelId");
    const response = await transport.send(
      { operation: "channels.get", method: "GET", target: { path: gatewayPath("channels", channelId) } },
      options,
    );
    return readJson(response, channelSchema, "channels.get");
  }

  async function update(channelId: string, input: ChannelInput, options?: CallOptions): Promise<Channel> {
    checkId(channelId, "channelId");
    checkChannelInput(input);
    const response = await transport.send(
      {
        operation: "channels.update",
        method: "PUT",
        target: { path: gatewayPath("channels", channelId) },
        json: channelBody(input),
      },
      options,
    );
    return readJson(response, channelSchema, "channels.update");
  }

  async function remove(channelId: string, options?: CallOptions): Promise<void> {
    checkId(channelId, "channelId");
    await transport.send(
      {
        operation: "channels.delete",
        method: "DELETE",
        target: { path: gatewayPath("channels", channelId) },
      },
      options,
    );
  }

  return { list, listAll, create, get, update, delete: remove };
}
