import { z } from "zod";
import type {
  AttachmentRef,
  Attachment,
  Card,
  Channel,
  Conversation,
  CreatedConversation,
  Interaction,
  Message,
  PageInfo,
  Participant,
  PublicJwk,
  UserData,
  Webhook,
} from "./wire-types.ts";

/**
 * Response schemas. They are lenient where 8x8's documentation is (extra fields are dropped, `null` reads as
 * absent) and strict where the client depends on a value (ids). Ids are opaque strings, but a GET may return a
 * numeric-looking id as a JSON number, so numbers are accepted and turned into strings.
 */

const id = z.union([z.string().min(1), z.number()]).transform(String);

function optional<T>(schema: z.ZodType<T>) {
  return schema
    .nullish()
    .transform((value) => value ?? undefined)
    .optional();
}

const optionalString = optional(z.string());
const optionalId = optional(id);

function listOf<T>(item: z.ZodType<T>) {
  return z
    .array(item)
    .nullish()
    .transform((value) => value ?? []);
}

export const webhookSchema: z.ZodType<Webhook> = z.object({
  id,
  name: z.string(),
  uri: z.string(),
  version: optionalString,
});

export const channelSchema: z.ZodType<Channel> = z.object({
  id,
  name: z.string(),
  type: optionalString,
  webHookId: optionalId,
  routingOptions: optional(z.object({ type: z.string().default("queue"), id })),
});

const additionalPropertySchema = z.object({
  key: z.string(),
  value: z.union([z.string(), z.number(), z.boolean()]).transform(String),
});

const userDataSchema: z.ZodType<UserData> = z.object({
  name: optionalString,
  userId: optionalString,
  email: optionalString,
  phone: optionalString,
  company: optionalString,
  caseId: optionalString,
  language: optionalString,
  additionalProperties: optional(z.array(additionalPropertySchema)),
});

const assignmentSchema = z.object({ type: z.string(), id });

export const conversationSchema: z.ZodType<Conversation> = z.object({
  id,
  channelId: optionalId,
  // 8x8's 202 prose spells states in upper case, the enum and events in lower case.
  state: optional(z.string().transform((state) => state.toLowerCase())),
  assignment: optional(assignmentSchema),
  user: optional(userDataSchema),
});

export const createdConversationSchema: z.ZodType<CreatedConversation> = z.object({
  conversationId: id,
  createdAt: optionalString,
});

export const interactionSchema: z.ZodType<Interaction> = z.object({
  id,
  startTime: optionalString,
  endTime: optionalString,
});

export const participantSchema: z.ZodType<Participant> = z.object({
  id,
  type: z.string(),
  removed: z
    .boolean()
    .nullish()
    .transform((value) => value ?? false),
  language: optionalString,
});

const attachmentRefSchema: z.ZodType<AttachmentRef> = z.object({ id });

export const cardSchema: z.ZodType<Card> = z.object({
  id: optionalId,
  contentType: z.string(),
  content: z.unknown(),
  actionSubmitted: optional(z.boolean()),
  actionExecuted: optional(z.boolean()),
});

export const messageSchema: z.ZodType<Message> = z.object({
  id,
  text: z
    .string()
    .nullish()
    .transform((value) => value ?? ""),
  createdAt: optionalString,
  author: optional(participantSchema),
  externalProvider: optional(z.object({ name: z.string(), externalMessageId: id })),
  attachments: listOf(attachmentRefSchema),
  cards: listOf(cardSchema),
});

export const attachmentSchema: z.ZodType<Attachment> = z
  .object({
    id,
    filename: z.string(),
    sizeInBytes: optional(z.number()),
    // The spec's `required` list names `size`, which it never defines; read it as a fallback.
    size: optional(z.number()),
    createdAt: optionalString,
  })
  .transform(({ size, sizeInBytes, ...rest }) => ({ ...rest, sizeInBytes: sizeInBytes ?? size }));

export const publicJwkSchema: z.ZodType<PublicJwk> = z.looseObject({
  kty: z.string(),
  kid: optionalString,
  n: optionalString,
  e: optionalString,
});

const pageInfoSchema = z.object({
  size: optional(z.number()),
  number: optional(z.number()),
  totalElements: optional(z.number()),
  totalPages: optional(z.number()),
});

/** A HAL list body before paging defaults are applied. */
export interface RawHalList<T> {
  readonly items: readonly T[];
  readonly page?: Partial<PageInfo>;
}

/**
 * `{_embedded: {<key>: T[]}, page}`. `_embedded` (or the key inside it) may be absent on an empty page
 * (8x8 does not say it is always there), which reads as no items.
 */
export function halListSchema<T>(key: string, item: z.ZodType<T>): z.ZodType<RawHalList<T>> {
  const embedded: Record<string, ReturnType<typeof listOf<T>>> = { [key]: listOf(item) };
  return z
    .object({ _embedded: optional(z.object(embedded)), page: optional(pageInfoSchema) })
    .transform((body) => ({ items: body._embedded?.[key] ?? [], page: body.page }));
}
