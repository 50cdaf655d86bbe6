import { gatewayPath, readJson, type ClientContext } from "./client-context.ts";
import { iterateAllPages, listQueryParams, toPage } from "./client-paging.ts";
import { checkId, checkListQuery, checkMessageBody } from "./input-validation.ts";
import type { CallOptions } from "./transport.ts";
import { cardSchema, halListSchema, messageSchema } from "./wire-schemas.ts";
import type { Card, Message, MessageListQuery, Page, SendMessageBody } from "./wire-types.ts";

/** `/chat-gateway/v1/conversations/{id}/messages` and the cards of a message. */
export interface MessagesApi {
  /**
   * Posts a message (202, no body and no message id). NOT idempotent on 8x8's side (there is no
   * Idempotency-Key): a retry after a lost answer can post it twice. Pass `{ retry: false }` when an outbox
   * owns retrying.
   */
  send(conversationId: string, body: SendMessageBody, options?: CallOptions): Promise<void>;
  /** One page; 8x8 sorts by `createdAt:desc` unless told otherwise. */
  list(conversationId: string, query?: MessageListQuery, options?: CallOptions): Promise<Page<Message>>;
  listAll(conversationId: string, query?: MessageListQuery, options?: CallOptions): AsyncIterable<Message>;
  get(conversationId: string, messageId: string, options?: CallOptions): Promise<Message>;
  /** The cards of one message with their `actionSubmitted`/`actionExecuted` flags. */
  cards(
    conversationId: string,
    messageId: string,
    query?: MessageListQuery,
    options?: CallOptions,
  ): Promise<Page<Card>>;
}

const messageListSchema = halListSchema("messages", messageSchema);
const cardListSchema = halListSchema("cards", cardSchema);

function messageBody(body: SendMessageBody): Record<string, unknown> {
  return {
    authorType: body.authorType,
    text: body.text,
    externalProvider: body.externalProvider,
    attachments: body.attachments,
    cards: body.cards,
  };
}

export function createMessagesApi({ transport }: ClientContext): MessagesApi {
  async function send(conversationId: string, body: SendMessageBody, options?: CallOptions): Promise<void> {
    checkId(conversationId, "conversationId");
    checkMessageBody(body, "");
    await transport.send(
      {
        operation: "messages.send",
        method: "POST",
        target: { path: gatewayPath("conversations", conversationId, "messages") },
        json: messageBody(body),
      },
      options,
    );
  }

  async function list(
    conversationId: string,
    query: MessageListQuery = {},
    options?: CallOptions,
  ): Promise<Page<Message>> {
    checkId(conversationId, "conversationId");
    checkListQuery(query);
    const response = await transport.send(
      {
        operation: "messages.list",
        method: "GET",
        target: { path: gatewayPath("conversations", conversationId, "messages") },
        query: listQueryParams(query),
      },
      options,
    );
    return toPage(readJson(response, messageListSchema, "messages.list"), query.page ?? 0);
  }

  function listAll(
    conversationId: string,
    query: MessageListQuery = {},
    options?: CallOptions,
  ): AsyncIterable<Message> {
    return iterateAllPages((page) => list(conversationId, { ...query, page }, options), query.page ?? 0);
  }

  async function get(conversationId: string, messageId: string, options?: CallOptions): Promise<Message> {
    checkId(conversationId, "conversationId");
    checkId(messageId, "messageId");
    const path = gatewayPath("conversations", conversationId, "messages", messageId);
    const response = await transport.send(
      { operation: "messages.get", method: "GET", target: { path } },
      options,
    );
    return readJson(response, messageSchema, "messages.get");
  }

  async function cards(
    conversationId: string,
    messageId: string,
    query: MessageListQuery = {},
    options?: CallOptions,
  ): Promise<Page<Card>> {
    checkId(conversationId, "conversationId");
    checkId(messageId, "messageId");
    checkListQuery(query);
    const path = gatewayPath("conversations", conversationId, "messages", messageId, "cards");
    const response = await transport.send(
      { operation: "messages.cards", method: "GET", target: { path }, query: listQueryParams(query) },
      options,
    );
    return toPage(readJson(response, cardListSchema, "messages.cards"), query.page ?? 0);
  }

  return { send, list, listAll, get, cards };
}
