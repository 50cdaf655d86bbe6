import { z } from "zod";
import { contentFields, contentRequired, destination, next, renderContent } from "./fields.ts";
import { targetsOf, type NodeDefinition, type WithId } from "./node.ts";

/**
 * Shows text, quick replies and/or an Adaptive Card. During a handover, `destination` says who sees it:
 * the user, the agent, or both (Cognigy.AI's "Handover Output Destination"; outside a handover
 * the runtime drops what is meant only for the agent).
 */
export const saySchema = z
  .strictObject({ type: z.literal("say"), ...contentFields, destination, next })
  .refine(contentRequired.check, { error: contentRequired.error, path: ["text"] });

export type SayNode = WithId<z.output<typeof saySchema>>;

export const sayNode: NodeDefinition<SayNode> = {
  type: "say",
  schema: saySchema,
  targets: (node) => targetsOf({ next: node.next }),
  execute(node, runtime) {
    const output = renderContent(node, node.destination, runtime.scope);
    if (output !== undefined) runtime.output(output);
    return { kind: "continue", next: node.next };
  },
};
