import { z } from "zod";
import { handoverToAgentSchema } from "../../flow/nodes/handover-to-agent.ts";
import type { FlowHandoverRequest } from "../../flow/types.ts";
import { clientId, hygienic } from "../input-schemas.ts";

const sessionKey = { userId: clientId, sessionId: clientId };
const plainText = (max: number) =>
  z.string({ error: `a text of at most ${max} characters` }).max(max, { error: `at most ${max} characters` });
const routingId = z.string({ error: "a non-empty id" }).min(1, { error: "a non-empty id" }).max(256);
const seconds = "a whole number of seconds from 1 to 86400";

/**
 * `POST /endpoints/{urlToken}/handover`: the handoverToAgent node's parameters under the node's YAML names
 * (its zod schema, so limits and messages are the same), minus what only a flow has (`next`, `onResolve`,
 * `sendResolveEvent`: the outcome always goes to the bot) and with plain texts instead of templates (a bot
 * renders its own texts). Queue and active events default to on: a bot has no other way to learn them.
 * Like every input schema, NUL and lone surrogates in its strings become U+FFFD first (`hygienic`).
 */
const botHandoverFields = handoverToAgentSchema
  .omit({
    type: true,
    next: true,
    onResolve: true,
    sendResolveEvent: true,
    channelId: true,
    queueId: true,
    jsonProperties: true,
    acceptedMessage: true,
    cancelButtonText: true,
  })
  .extend({
    ...sessionKey,
    channelId: routingId.optional(),
    queueId: routingId.optional(),
    jsonProperties: z
      .record(
        z.string().min(1, { error: "a non-empty key" }).max(256),
        z
          .string({ error: "a string (custom properties are key/value strings)" })
          .max(4096, { error: "at most 4096 characters" }),
        { error: "an object of key: string value" },
      )
      // How many the provider takes is checked against its capabilities once the provider is known.
      .optional(),
    acceptedMessage: plainText(10_000).optional(),
    cancelButtonText: plainText(200).min(1, { error: "a non-empty label" }).optional(),
    sendQueueEvent: z.boolean({ error: "true or false" }).default(true),
    sendActiveEvent: z.boolean({ error: "true or false" }).default(true),
  });
export const botHandoverBody = hygienic(botHandoverFields);

export type BotHandoverBody = z.output<typeof botHandoverBody>;

/** The request body as the handover service's request (what a handoverToAgent node would produce). */
export function toHandoverRequest(body: BotHandoverBody): FlowHandoverRequest {
  const routing = {
    ...(body.channelId !== undefined ? { channelId: body.channelId } : {}),
    ...(body.queueId !== undefined ? { queueId: body.queueId } : {}),
    ...(body.jsonProperties !== undefined ? { jsonProperties: body.jsonProperties } : {}),
  };
  return {
    providerId: body.provider,
    provider: routing,
    ...(body.acceptedMessage !== undefined ? { acceptedMessage: body.acceptedMessage } : {}),
    repeatAcceptedMessage: body.repeatAcceptedMessage,
    ...(body.cancelIntent !== undefined ? { cancelIntent: body.cancelIntent } : {}),
    ...(body.cancelButtonText !== undefined ? { cancelButtonText: body.cancelButtonText } : {}),
    onResolve: "belowNode",
    sendQueueEvent: body.sendQueueEvent,
    sendActiveEvent: body.sendActiveEvent,
    sendResolveEvent: true,
    transcript: body.transcript,
    ...(body.maxQueueWait !== undefined ? { maxQueueWaitSeconds: body.maxQueueWait } : {}),
  };
}

/** `DELETE /endpoints/{urlToken}/handover`. */
export const botSessionBody = hygienic(z.strictObject(sessionKey));

/** `POST /endpoints/{urlToken}/handover/inactivity`. */
export const botInactivityBody = hygienic(
  z.strictObject({
    ...sessionKey,
    seconds: z.int({ error: seconds }).min(1, { error: seconds }).max(86_400, { error: seconds }),
  }),
);

/** `GET /endpoints/{urlToken}/sessions/{sessionId}` query. */
export const botSessionQuery = hygienic(
  z.strictObject({
    userId: clientId,
    afterSeq: z.coerce
      .number({ error: "a whole number ≥ 0" })
      .int({ error: "a whole number ≥ 0" })
      .min(0)
      .default(0),
    limit: z.coerce
      .number({ error: "a whole number from 1 to 500" })
      .int({ error: "a whole number from 1 to 500" })
      .min(1, { error: "a whole number from 1 to 500" })
      .max(500, { error: "a whole number from 1 to 500" })
      .default(100),
  }),
);
