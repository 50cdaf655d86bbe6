import { adaptiveCardTileNode, type AdaptiveCardTileNode } from "./adaptive-card-tile.ts";
import { htmlTileNode, type HtmlTileNode } from "./html-tile.ts";
import { identityTileNode, type IdentityTileNode } from "./identity-tile.ts";
import { iframeTileNode, type IframeTileNode } from "./iframe-tile.ts";
import { knowledgeTileNode, type KnowledgeTileNode } from "./knowledge-tile.ts";
import { nextActionTileNode, type NextActionTileNode } from "./next-action-tile.ts";
import { sendDataNode, type SendDataNode } from "./send-data.ts";
import { sentimentTileNode, type SentimentTileNode } from "./sentiment-tile.ts";
import { setGridNode, type SetGridNode } from "./set-grid.ts";
import { summaryTileNode, type SummaryTileNode } from "./summary-tile.ts";
import { transcriptTileNode, type TranscriptTileNode } from "./transcript-tile.ts";
import { closeHandoverNode, type CloseHandoverNode } from "./close-handover.ts";
import { endNode, type EndNode } from "./end.ts";
import { goToNode, type GoToNode } from "./go-to.ts";
import { handoverToAgentNode, type HandoverToAgentNode } from "./handover-to-agent.ts";
import { httpRequestNode, type HttpRequestNode } from "./http-request.ts";
import { ifNode, type IfNode } from "./if.ts";
import { lookupNode, type LookupNode } from "./lookup.ts";
import type { FlowKind } from "../node-io.ts";
import type { NodeDefinition } from "./node.ts";
import { questionNode, type QuestionNode } from "./question.ts";
import { sayNode, type SayNode } from "./say.ts";
import { setContextNode, type SetContextNode } from "./set-context.ts";
import { setHandoverInactivityNode, type SetHandoverInactivityNode } from "./set-handover-inactivity.ts";

/** Every node a flow can hold, as loaded (with its id). */
export type FlowNode =
  | SayNode
  | QuestionNode
  | IfNode
  | LookupNode
  | GoToNode
  | SetContextNode
  | HttpRequestNode
  | HandoverToAgentNode
  | CloseHandoverNode
  | SetHandoverInactivityNode
  | EndNode
  | SetGridNode
  | TranscriptTileNode
  | SentimentTileNode
  | KnowledgeTileNode
  | NextActionTileNode
  | IdentityTileNode
  | SummaryTileNode
  | HtmlTileNode
  | IframeTileNode
  | AdaptiveCardTileNode
  | SendDataNode;

export type FlowNodeType = FlowNode["type"];

/** Node types by YAML `type`; adding a node type is one file and one line here. */
export const nodeRegistry: { readonly [T in FlowNodeType]: NodeDefinition<Extract<FlowNode, { type: T }>> } =
  {
    say: sayNode,
    question: questionNode,
    if: ifNode,
    lookup: lookupNode,
    goTo: goToNode,
    setContext: setContextNode,
    httpRequest: httpRequestNode,
    handoverToAgent: handoverToAgentNode,
    closeHandover: closeHandoverNode,
    setHandoverInactivity: setHandoverInactivityNode,
    end: endNode,
    setGrid: setGridNode,
    transcriptTile: transcriptTileNode,
    sentimentTile: sentimentTileNode,
    knowledgeTile: knowledgeTileNode,
    nextActionTile: nextActionTileNode,
    identityTile: identityTileNode,
    summaryTile: summaryTileNode,
    htmlTile: htmlTileNode,
    iframeTile: iframeTileNode,
    adaptiveCardTile: adaptiveCardTileNode,
    sendData: sendDataNode,
  };

export function isFlowNodeType(type: unknown): type is FlowNodeType {
  return typeof type === "string" && Object.hasOwn(nodeRegistry, type);
}

/** Whether a node type may appear in a flow of `kind` (main: everything but tile nodes). */
export function allowedIn(type: FlowNodeType, kind: FlowKind): boolean {
  return (nodeRegistry[type].kinds ?? ["main"]).includes(kind);
}

/** Each node type's node, by its `type`. */
type NodeOfType = { [T in FlowNodeType]: Extract<FlowNode, { type: T }> };

/**
 * The definition of a node's type, typed for that node. Indexing the registry with the node's own type
 * parameter lets TypeScript correlate the two (no cast needed).
 */
export function definitionOf<T extends FlowNodeType>(
  node: NodeOfType[T] & { readonly type: T },
): NodeDefinition<NodeOfType[T]> {
  const registry: { readonly [K in FlowNodeType]: NodeDefinition<NodeOfType[K]> } = nodeRegistry;
  return registry[node.type];
}

export type {
  AdaptiveCardTileNode,
  HtmlTileNode,
  IdentityTileNode,
  IframeTileNode,
  KnowledgeTileNode,
  NextActionTileNode,
  SendDataNode,
  SentimentTileNode,
  SetGridNode,
  SummaryTileNode,
  TranscriptTileNode,
  CloseHandoverNode,
  EndNode,
  GoToNode,
  HandoverToAgentNode,
  HttpRequestNode,
  IfNode,
  LookupNode,
  QuestionNode,
  SayNode,
  SetContextNode,
  SetHandoverInactivityNode,
};
export type { NodeDefinition, NodeOutcome, NodeRuntime, NodeTargets } from "./node.ts";
export { answerQuestion } from "./question.ts";
export type { SavedHttpResponse } from "./http-request.ts";
