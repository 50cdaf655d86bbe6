import { z } from "zod";
import { BatonError } from "../../errors/index.ts";
import type { TranscriptOption } from "../../handover/types.ts";
import { checkRegex, renderTemplate, type ExpressionScope } from "../expressions/index.ts";
import type { FlowHandoverRequest } from "../node-io.ts";
import { next, template } from "./fields.ts";
import { targetsOf, type NodeDefinition, type WithId } from "./node.ts";

const providerId = z
  .string({ error: "a provider id from the config's providers:" })
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, { error: "a provider id from the config's providers:" });

const jsonProperties = z.record(
  z.string().min(1, { error: "a non-empty key" }),
  z.string({ error: "a string (custom properties are key/value strings)" }).pipe(template),
  { error: "an object of key: string value" },
);
// How many properties and transcript lines a provider takes is its own declaration (ProviderCapabilities),
// checked against each node when the endpoint's flow loads (src/handover/capabilities.ts).

const cancelIntentExpectation = 'a list of keywords, or a "/regex/flags" string';
const cancelIntent = z
  .union([z.array(z.string().min(1)).min(1), z.string()], { error: cancelIntentExpectation })
  .transform((value, ctx): FlowHandoverRequest["cancelIntent"] => {
    if (Array.isArray(value)) return { keywords: value };
    const literal = /^\/(.+)\/([A-Za-z]*)$/s.exec(value);
    if (literal === null) {
      ctx.issues.push({ code: "custom", message: cancelIntentExpectation, input: value });
      return z.NEVER;
    }
    try {
      checkRegex(literal[1]!, literal[2]!, 0);
    } catch (error) {
      if (!(error instanceof BatonError)) throw error;
      const expected = typeof error.details.expected === "string" ? error.details.expected : "a valid regex";
      ctx.issues.push({ code: "custom", message: expected, input: value });
      return z.NEVER;
    }
    return { pattern: literal[1]!, flags: literal[2]! };
  });

const transcriptExpectation = `"full", "none" or "last:N" with N of 1 or more`;
const transcript = z.string({ error: transcriptExpectation }).transform((value, ctx): TranscriptOption => {
  if (value === "full" || value === "none") return { mode: value };
  const last = /^last:([1-9][0-9]*)$/.exec(value);
  const count = last === null ? NaN : Number(last[1]);
  if (!(count >= 1 && Number.isSafeInteger(count))) {
    ctx.issues.push({ code: "custom", message: transcriptExpectation, input: value });
    return z.NEVER;
  }
  return { mode: "last", count };
});

const flag = z.boolean({ error: "true or false" }).default(false);
const seconds = "a whole number of seconds from 1 to 86400";

/**
 * Hands the conversation to a human agent. The parameters are the handover service's HandoverRequest with
 * YAML names (`provider`, `maxQueueWait` in seconds). Without `channelId` the 8x8 provider uses the channel
 * `baton 8x8 setup` created; without `queueId`, that channel's queue. Texts and property values are
 * templates, rendered when the node runs.
 *
 * The run stops here: the flow waits for the handover, and queue/active/inactivity events and the outcome
 * (`input.handover`) enter at `next`.
 */
export const handoverToAgentSchema = z.strictObject({
  type: z.literal("handoverToAgent"),
  provider: providerId.optional(),
  channelId: template.optional(),
  queueId: template.optional(),
  jsonProperties: jsonProperties.optional(),
  acceptedMessage: template.optional(),
  repeatAcceptedMessage: flag,
  cancelIntent: cancelIntent.optional(),
  cancelButtonText: template.optional(),
  onResolve: z.enum(["belowNode", "entrypoint"], { error: "belowNode or entrypoint" }).default("belowNode"),
  sendQueueEvent: flag,
  sendActiveEvent: flag,
  sendResolveEvent: flag,
  transcript: transcript.default({ mode: "full" }),
  maxQueueWait: z
    .int({ error: seconds })
    .min(1, { error: seconds })
    .max(86_400, { error: seconds })
    .optional(),
  next,
});

export type HandoverToAgentNode = WithId<z.output<typeof handoverToAgentSchema>>;

export const handoverToAgentNode: NodeDefinition<HandoverToAgentNode> = {
  type: "handoverToAgent",
  schema: handoverToAgentSchema,
  targets: (node) => targetsOf({ next: node.next }),
  execute(node, runtime) {
    if (runtime.handoverOpen) {
      const error = new BatonError("BATON_ERR_FLOW_NODE_NOT_ALLOWED", { nodeId: node.id, field: "type" });
      return { kind: "fail", error };
    }
    runtime.action({
      type: "handover.start",
      nodeId: node.id,
      request: handoverRequest(node, runtime.scope),
    });
    return { kind: "waitForHandover", entrypoint: node.next };
  },
};

/** The node's parameters with its templates rendered. */
export function handoverRequest(node: HandoverToAgentNode, scope: ExpressionScope): FlowHandoverRequest {
  const render = (value: Parameters<typeof renderTemplate>[0] | undefined) =>
    value === undefined ? undefined : renderTemplate(value, scope);
  const jsonProperties =
    node.jsonProperties === undefined
      ? undefined
      : Object.fromEntries(
          Object.entries(node.jsonProperties).map(([key, value]) => [key, renderTemplate(value, scope)]),
        );
  return {
    providerId: node.provider,
    provider: {
      ...(node.channelId === undefined ? {} : { channelId: render(node.channelId) }),
      ...(node.queueId === undefined ? {} : { queueId: render(node.queueId) }),
      ...(jsonProperties === undefined ? {} : { jsonProperties }),
    },
    ...(node.acceptedMessage === undefined ? {} : { acceptedMessage: render(node.acceptedMessage) }),
    repeatAcceptedMessage: node.repeatAcceptedMessage,
    ...(node.cancelIntent === undefined ? {} : { cancelIntent: node.cancelIntent }),
    ...(node.cancelButtonText === undefined ? {} : { cancelButtonText: render(node.cancelButtonText) }),
    onResolve: node.onResolve,
    sendQueueEvent: node.sendQueueEvent,
    sendActiveEvent: node.sendActiveEvent,
    sendResolveEvent: node.sendResolveEvent,
    transcript: node.transcript,
    ...(node.maxQueueWait === undefined ? {} : { maxQueueWaitSeconds: node.maxQueueWait }),
  };
}
