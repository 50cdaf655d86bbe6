import { z } from "zod";
import { next } from "./fields.ts";
import { targetsOf, type NodeDefinition, type WithId } from "./node.ts";

/**
 * Starts (or restarts) the open handover's inactivity timer, in seconds. When it expires with no user
 * message, an `inactivity` handover event enters the flow with `inactivityCount` raised by one; a user
 * message resets the count. Without an open handover it does nothing.
 */
export const setHandoverInactivitySchema = z.strictObject({
  type: z.literal("setHandoverInactivity"),
  seconds: z
    .int({ error: "a whole number of seconds from 1 to 86400" })
    .min(1, { error: "a whole number of seconds from 1 to 86400" })
    .max(86_400, { error: "a whole number of seconds from 1 to 86400" }),
  next,
});

export type SetHandoverInactivityNode = WithId<z.output<typeof setHandoverInactivitySchema>>;

export const setHandoverInactivityNode: NodeDefinition<SetHandoverInactivityNode> = {
  type: "setHandoverInactivity",
  schema: setHandoverInactivitySchema,
  targets: (node) => targetsOf({ next: node.next }),
  execute(node, runtime) {
    if (runtime.handoverOpen) {
      runtime.action({ type: "handover.setInactivity", nodeId: node.id, seconds: node.seconds });
    }
    return { kind: "continue", next: node.next };
  },
};
