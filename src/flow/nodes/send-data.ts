import { z } from "zod";
import { renderJsonTemplate } from "../json-template.ts";
import { tileId } from "./copilot-fields.ts";
import { jsonTemplate, next } from "./fields.ts";
import { copilotOnly, targetsOf, type NodeDefinition, type WithId } from "./node.ts";

/**
 * Sends JSON to an HTML or iFrame tile by postMessage, without reloading it (the tile keeps its page; the
 * data is also kept as the tile's latest data, so a reload shows it).
 */
export const sendDataSchema = z.strictObject({
  type: z.literal("sendData"),
  tile: tileId,
  data: jsonTemplate({ object: false }),
  next,
});

export type SendDataNode = WithId<z.output<typeof sendDataSchema>>;

export const sendDataNode: NodeDefinition<SendDataNode> = {
  type: "sendData",
  kinds: copilotOnly,
  schema: sendDataSchema,
  targets: (node) => targetsOf({ next: node.next }),
  execute(node, runtime) {
    const data = renderJsonTemplate(node.data, runtime.scope, "value");
    runtime.action({ type: "copilot.sendData", nodeId: node.id, tileId: node.tile, data });
    return { kind: "continue", next: node.next };
  },
};
