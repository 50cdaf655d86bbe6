import { BatonError } from "../../errors/index.ts";
import type {
  AssignmentInput,
  CardActionInput,
  CardInput,
  ChannelInput,
  CreateConversationInput,
  ListQuery,
  MessageListQuery,
  PatchConversationInput,
  PostAgentAssignmentInput,
  ReadReceiptInput,
  SendMessageBody,
  ThinkingInput,
  TypingInput,
  UpdateConversationInput,
  UploadAttachmentInput,
  UserData,
  VerifyWebhookInput,
  WebhookInput,
} from "./wire-types.ts";

/**
 * Client-side checks of the hard limits in 8x8's Chat Gateway OpenAPI. They run before anything is sent, so a
 * request 8x8 would reject with a vague 400 fails here with the exact `field` and what was `expected`. Values
 * are never copied into the error: they may be personal data.
 */

export const limits = {
  additionalProperties: 30,
  historyMessages: 200,
  webhookName: 256,
  channelName: 255,
  maxTotalMinutes: { min: 20, max: 600 },
  userTimeoutInMinutes: { min: 10, max: 300 },
  maxThinkingTimeSeconds: { min: 1, max: 600 },
} as const;

function fail(field: string, expected: string): never {
  throw new BatonError("BATON_ERR_8X8_INPUT_INVALID", { field, expected });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Ids go into URL paths: an empty one would silently address the collection instead (`GET /webhooks/`). */
export function checkId(value: unknown, field: string): asserts value is string {
  if (typeof value !== "string" || value === "") fail(field, "a non-empty string id");
}

function checkOptionalString(value: unknown, field: string): void {
  if (value !== undefined && typeof value !== "string") fail(field, "a string");
}

function checkIntegerInRange(value: unknown, field: string, range: { min: number; max: number }): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < range.min || value > range.max) {
    fail(field, `an integer from ${range.min} to ${range.max}`);
  }
}

function checkAuthorType(value: unknown, field: string): void {
  if (value !== "user" && value !== "bot") fail(field, '"user" or "bot"');
}

function checkAbsoluteUri(value: unknown, field: string): void {
  if (typeof value !== "string" || !URL.canParse(value)) fail(field, "an absolute URI");
}

function checkName(value: unknown, field: string, maxLength: number): void {
  if (typeof value !== "string" || value === "" || value.length > maxLength) {
    fail(field, `a non-empty string of at most ${maxLength} characters`);
  }
}

export function checkListQuery(query: ListQuery | MessageListQuery | undefined): void {
  if (query === undefined) return;
  if (query.page !== undefined)
    checkIntegerInRange(query.page, "page", { min: 0, max: Number.MAX_SAFE_INTEGER });
  if (query.size !== undefined)
    checkIntegerInRange(query.size, "size", { min: 1, max: Number.MAX_SAFE_INTEGER });
  checkOptionalString(query.sort, "sort");
  if ("filter" in query) checkOptionalString(query.filter, "filter");
}

export function checkWebhookInput(input: WebhookInput): void {
  checkName(input.name, "name", limits.webhookName);
  checkAbsoluteUri(input.uri, "uri");
}

export function checkVerifyInput(input: VerifyWebhookInput): void {
  checkAbsoluteUri(input.uri, "uri");
  checkOptionalString(input.version, "version");
}

export function checkChannelInput(input: ChannelInput): void {
  checkName(input.name, "name", limits.channelName);
  checkId(input.webHookId, "webHookId");
  if (!isRecord(input.routingOptions)) fail("routingOptions", "an object {type: 'queue', id}");
  if (input.routingOptions.type !== undefined && input.routingOptions.type !== "queue") {
    fail("routingOptions.type", '"queue"');
  }
  checkId(input.routingOptions.id, "routingOptions.id");
  if (input.type !== undefined && input.type !== "ChatAPI")
    fail("type", '"ChatAPI" (the only creatable type)');
}

export function checkUserData(user: UserData | undefined, field: string): void {
  if (!isRecord(user)) fail(field, "an object");
  for (const key of ["name", "userId", "email", "phone", "company", "caseId", "language"] as const) {
    checkOptionalString(user[key], `${field}.${key}`);
  }
  const properties = user.additionalProperties;
  if (properties === undefined) return;
  // The spec writes `maxProperties: 30` on an array; it can only mean at most 30 items.
  if (!Array.isArray(properties) || properties.length > limits.additionalProperties) {
    fail(
      `${field}.additionalProperties`,
      `an array of at most ${limits.additionalProperties} {key, value} pairs`,
    );
  }
  properties.forEach((property, index) => {
    const at = `${field}.additionalProperties[${index}]`;
    if (!isRecord(property) || typeof property.key !== "string" || property.key === "") {
      fail(`${at}.key`, "a non-empty string");
    }
    if (typeof property.value !== "string") fail(`${at}.value`, "a string");
  });
}

export function checkAssignment(assignment: AssignmentInput | undefined, field: string): void {
  if (!isRecord(assignment)) fail(field, "an object {type, id}");
  if (assignment.type !== "queue" && assignment.type !== "script")
    fail(`${field}.type`, '"queue" or "script"');
  checkId(assignment.id, `${field}.id`);
}

function checkCards(cards: readonly CardInput[] | undefined, field: string): void {
  if (cards === undefined) return;
  if (!Array.isArray(cards)) fail(field, "an array of {contentType, content}");
  cards.forEach((card, index) => {
    if (!isRecord(card) || typeof card.contentType !== "string" || card.contentType === "") {
      fail(`${field}[${index}].contentType`, "a non-empty content type string");
    }
    if (!isRecord(card.content)) fail(`${field}[${index}].content`, "a JSON object");
  });
}

function checkAttachmentRefs(attachments: SendMessageBody["attachments"], field: string): void {
  if (attachments === undefined) return;
  const list: unknown = attachments;
  if (!Array.isArray(list)) fail(field, "an array of {id}");
  list.forEach((attachment: unknown, index) => {
    checkId(isRecord(attachment) ? attachment["id"] : undefined, `${field}[${index}].id`);
  });
}

/**
 * `text` and `externalProvider` are mutually exclusive (OpenAPI oneOf). A body with neither is accepted when it
 * carries attachments or cards: the spec's text variant requires neither.
 */
export function checkMessageBody(body: SendMessageBody, field: string): void {
  if (!isRecord(body)) fail(field || "body", "a message object");
  const at = (name: string): string => (field === "" ? name : `${field}.${name}`);
  checkAuthorType(body.authorType, at("authorType"));
  const hasText = body.text !== undefined;
  const hasExternal = body.externalProvider !== undefined;
  if (hasText && hasExternal) fail(at("text"), "either text or externalProvider, not both");
  if (hasText) checkOptionalString(body.text, at("text"));
  if (hasExternal) checkExternalProvider(body.externalProvider, at("externalProvider"));
  checkAttachmentRefs(body.attachments, at("attachments"));
  checkCards(body.cards, at("cards"));
  const hasContent =
    hasText || hasExternal || (body.attachments?.length ?? 0) > 0 || (body.cards?.length ?? 0) > 0;
  if (!hasContent) fail(at("text"), "text, externalProvider, attachments or cards");
}

function checkExternalProvider(provider: unknown, field: string): void {
  if (!isRecord(provider) || provider.name !== "X")
    fail(`${field}.name`, '"X" (the only supported provider)');
  checkId(provider.externalMessageId, `${field}.externalMessageId`);
}

export function checkCreateConversation(input: CreateConversationInput): void {
  checkId(input.channelId, "channelId");
  checkUserData(input.user, "user");
  if (input.assignment !== undefined) checkAssignment(input.assignment, "assignment");
  if (input.history === undefined) return;
  const messages: unknown = input.history.messages;
  // Written `maxLength: 200` on an array in the spec; read as at most 200 items.
  if (!Array.isArray(messages) || messages.length > limits.historyMessages) {
    fail("history.messages", `an array of at most ${limits.historyMessages} messages`);
  }
  input.history.messages.forEach((message, index) => checkMessageBody(message, `history.messages[${index}]`));
}

export function checkUpdateConversation(input: UpdateConversationInput): void {
  if (input.channelId !== undefined) checkId(input.channelId, "channelId");
  if (input.user !== undefined) checkUserData(input.user, "user");
  if (input.assignment !== undefined) checkAssignment(input.assignment, "assignment");
}

export function checkPatchConversation(input: PatchConversationInput): void {
  if (input.assignment === undefined && input.user === undefined) fail("assignment", "assignment or user");
  checkUpdateConversation(input);
}

export function checkPostAgentAssignment(input: PostAgentAssignmentInput): void {
  if (input.type !== undefined && input.type !== "webhook") fail("type", '"webhook"');
  checkId(input.id, "id");
  const configuration = input.configuration;
  if (configuration === undefined) return;
  const notify = configuration.notifyChannelWebhookIfExists;
  if (notify !== undefined && typeof notify !== "boolean" && notify !== "true" && notify !== "false") {
    fail("configuration.notifyChannelWebhookIfExists", '"true" or "false"');
  }
  if (configuration.maxTotalMinutes !== undefined) {
    checkIntegerInRange(
      configuration.maxTotalMinutes,
      "configuration.maxTotalMinutes",
      limits.maxTotalMinutes,
    );
  }
  if (configuration.userTimeoutInMinutes !== undefined) {
    checkIntegerInRange(
      configuration.userTimeoutInMinutes,
      "configuration.userTimeoutInMinutes",
      limits.userTimeoutInMinutes,
    );
  }
}

export function checkTyping(input: TypingInput): void {
  checkAuthorType(input.authorType, "authorType");
}

export function checkThinking(input: ThinkingInput | undefined): void {
  if (input === undefined) return;
  if (input.authorType !== undefined && input.authorType !== "bot") fail("authorType", '"bot"');
  if (input.maxThinkingTimeSeconds !== undefined) {
    checkIntegerInRange(
      input.maxThinkingTimeSeconds,
      "maxThinkingTimeSeconds",
      limits.maxThinkingTimeSeconds,
    );
  }
}

export function checkReadReceipt(input: ReadReceiptInput): void {
  checkAuthorType(input.authorType, "authorType");
  checkIntegerInRange(input.readAt, "readAt", { min: 0, max: Number.MAX_SAFE_INTEGER });
}

export function checkUpload(input: UploadAttachmentInput): void {
  if (!(input.bytes instanceof Uint8Array)) fail("bytes", "a Buffer or Uint8Array");
  if (typeof input.fileName !== "string" || input.fileName.trim() === "")
    fail("fileName", "a non-empty file name");
  checkOptionalString(input.contentType, "contentType");
  checkAuthorType(input.authorType, "authorType");
}

export function checkCardAction(
  input: CardActionInput,
  tenantId: string | undefined,
): asserts tenantId is string {
  checkId(input.conversationId, "conversationId");
  checkId(input.cardId, "cardId");
  if (typeof input.name !== "string") fail("name", "a string");
  if (tenantId === undefined || tenantId === "") {
    fail("tenantId", "a tenant id, given on the call or as the client's tenant option");
  }
}
