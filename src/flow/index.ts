export { runFlow, initialFlowState, defaultMaxSteps } from "./engine.ts";
export {
  checkFlow,
  parseFlow,
  formatFlowIssue,
  type FlowIssue,
  type FlowCheckResult,
  type FlowLoadOptions,
} from "./load.ts";
export { loadFlowFile, type ReadTextFile } from "./load-file.ts";
export type {
  Flow,
  FlowAction,
  FlowActionRequest,
  FlowKind,
  CopilotFlowInput,
  CopilotGridSpec,
  CopilotTileSpec,
  FlowHandoverRequest,
  FlowHttpRequest,
  FlowHttpResponse,
  FlowOutput,
  FlowPorts,
  FlowRunResult,
  FlowState,
  FlowTrigger,
} from "./types.ts";
export { nodeRegistry, type FlowNode, type FlowNodeType, type SavedHttpResponse } from "./nodes/index.ts";
export {
  evaluate,
  parseExpression,
  parseTemplate,
  renderTemplate,
  type ExpressionScope,
} from "./expressions/index.ts";
