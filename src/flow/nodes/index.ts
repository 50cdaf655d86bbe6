import { closeHandoverNode, type CloseHandoverNode } from "./close-handover.ts";
import { endNode, type EndNode } from "./end.ts";
import { goToNode, type GoToNode } from "./go-to.ts";
import { handoverToAgentNode, type HandoverToAgentNode } from "./handover-to-agent.ts";
import { httpRequestNode, type HttpRequestNode } from "./http-request.ts";
import { ifNode, type IfNode } from "./if.ts";
import { lookupNode, type LookupNode } from "./lookup.ts";
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
  | EndNode;

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
  };

export function isFlowNodeType(type: unknown): type is FlowNodeType {
  return typeof type === "string" && Object.hasOwn(nodeRegistry, type);
}

/** The definition of a node's type, typed for that node. */
export function definitionOf<N extends FlowNode>(node: N): NodeDefinition<N> {
  return nodeRegistry[node.type] as unknown as NodeDefinition<N>;
}

export type {
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
export { maxJsonProperties } from "./handover-to-agent.ts";
