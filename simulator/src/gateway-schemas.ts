import { z } from "zod";

/**
 * Request bodies of the Chat Gateway (from 8x8's OpenAPI), as zod schemas. Each handler maps a failure to
 * the error shape its operation declares, so the schemas carry no error formatting.
 */

export const EVENT_VERSION = "Chat Gateway v1.0";

const absoluteHttpUri = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}, "must be an absolute http(s) URI");

/**
 * 8x8's spec contradicts itself: its `required` list names `notificationVersion` while the only defined
 * property is `version`. So either key is accepted; whichever is present must be the one valid value.
 */
export const webhookBody = z
  .object({
    name: z.string().min(1).max(256),
    uri: absoluteHttpUri,
    version: z.literal(EVENT_VERSION).optional(),
    notificationVersion: z.literal(EVENT_VERSION).optional(),
  })
  .refine((body) => body.version !== undefined || body.notificationVersion !== undefined, {
    message: `version (or notificationVersion) is required and must be "${EVENT_VERSION}"`,
    path: ["version"],
  });

/** The spec's example version is the v2 value "v2.0", so any version string is accepted. */
export const verifyBody = z.object({ version: z.string().min(1), uri: absoluteHttpUri });

export const channelBody = z.object({
  name: z.string().min(1).max(255),
  webHookId: z.string().min(1),
  routingOptions: z.object({ type: z.literal("queue").default("queue"), id: z.string().min(1) }),
  type: z.string().max(25).optional(),
});

const userData = z.object({
  name: z.string().optional(),
  userId: z.string().optional(),
  customerId: z.string().optional(),
  email: z.string().includes("@", { message: "must be an email address" }).optional(),
  phone: z.string().optional(),
  company: z.string().optional(),
  caseId: z.string().optional(),
  language: z.string().optional(),
  ipaddress: z.string().optional(),
  timezoneOffset: z.number().optional(),
  // `maxProperties: 30` on an array in the spec: read as at most 30 items, each with key and value.
  additionalProperties: z
    .array(z.object({ key: z.string(), value: z.string() }))
    .max(30)
    .optional(),
});

const requestAssignment = z.object({
  type: z.enum(["queue", "script"]).default("queue"),
  id: z.string().min(1),
});

export const CARD_CONTENT_TYPES = [
  "application/vnd.microsoft.card.adaptive",
  "application/8x8.quick.replies",
  "Interactive",
  "Location",
  "Template",
  "Suggestions",
  "Buttons",
  "Carousel",
] as const;

const card = z.object({
  id: z.string().optional(),
  contentType: z.enum(CARD_CONTENT_TYPES).default("application/vnd.microsoft.card.adaptive"),
  content: z.record(z.string(), z.unknown()),
});

/**
 * Send-message body without `authorType`, which is checked first and separately because its failure has
 * a specific message. `text` and `externalProvider` are mutually exclusive; a message with neither is
 * accepted when it carries attachments or cards: the spec's text variant requires neither field.
 */
export const messageContent = z
  .object({
    text: z.string().optional(),
    externalProvider: z.object({ name: z.literal("X"), externalMessageId: z.string().min(1) }).optional(),
    attachments: z.array(z.object({ id: z.string().min(1) })).default([]),
    cards: z.array(card).default([]),
  })
  .refine((body) => body.text === undefined || body.externalProvider === undefined, {
    message: "text and externalProvider cannot be provided at the same time",
    path: ["externalProvider"],
  })
  .refine(
    (body) =>
      body.text !== undefined ||
      body.externalProvider !== undefined ||
      body.attachments.length > 0 ||
      body.cards.length > 0,
    { message: "text or externalProvider is required (or attachments/cards)", path: ["text"] },
  );

export const createConversationBody = z.object({
  channelId: z.string().min(1),
  user: userData,
  assignment: requestAssignment.optional(),
  history: z.object({ messages: z.array(z.record(z.string(), z.unknown())).max(200) }).optional(),
});

export const putConversationBody = z.object({
  channelId: z.string().min(1).optional(),
  user: userData.optional(),
  assignment: requestAssignment.optional(),
});

export const patchConversationBody = putConversationBody
  .omit({ channelId: true })
  .refine((body) => body.user !== undefined || body.assignment !== undefined, {
    message: "assignment or user is required",
  });

export const postAgentAssignmentBody = z.object({
  type: z.literal("webhook"),
  id: z.string().min(1),
  configuration: z
    .object({
      notifyChannelWebhookIfExists: z.enum(["true", "false"]).optional(),
      maxTotalMinutes: z.int().min(20).max(600).optional(),
      userTimeoutInMinutes: z.int().min(10).max(300).optional(),
    })
    .optional(),
});

export const typingBody = z.object({ authorType: z.enum(["bot", "user"]) });

export const thinkingBody = z.object({
  authorType: z.literal("bot").default("bot"),
  maxThinkingTimeSeconds: z.int().min(1).max(600).default(60),
});

export const readReceiptBody = z.object({
  authorType: z.enum(["bot", "user"]),
  readAt: z.int().min(0),
});

export const userLeavesBody = z.object({ removed: z.literal(true) });

/** Card action-submit / action-execute (spec examples `"8x8"`, `"8x8-Int"`): a name is required. */
export const cardActionBody = z.object({ name: z.string().trim().min(1, "must be a non-empty string") });

/** "path: message; path: message" for error bodies. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path
        .map((key) => (typeof key === "number" ? `[${key}]` : `.${String(key)}`))
        .join("");
      return `${path.replace(/^\./, "") || "body"}: ${issue.message}`;
    })
    .join("; ");
}
