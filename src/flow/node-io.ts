/**
 * What a flow node reads and produces: the flow kinds, the outputs and action requests a node emits, the
 * ports it calls and what a copilot run reads as `input.*`. The node registry, the expression evaluator and
 * the engine's public types (types.ts) all use these; this file imports nothing from the flow, so none of
 * them imports another in a circle.
 */
import type { HandoverRequest } from "../handover/types.ts";
import type { CopilotGrid, TilePlacement } from "../protocol/copilot.ts";
import type { QuickReply } from "../protocol/messages.ts";

/**
 * `main`: the conversation flow an endpoint runs for its users. `copilot`: the flow that fills the agent's
 * Copilot workspace (tile nodes plus logic nodes; no say, question or handover nodes).
 */
export type FlowKind = "main" | "copilot";

/** What a copilot flow reads as `input.*`. */
export interface CopilotFlowInput {
  readonly trigger: "handover" | "userMessage" | "agentMessage" | "postback" | "search";
  /** The message's text (userMessage, agentMessage); null otherwise. */
  readonly text: string | null;
  /** `SDK.postback(value)` from an HTML/iFrame tile, or an Adaptive Card submit (trigger postback). */
  readonly postback: { readonly tileId: string; readonly value: unknown } | null;
  /** A search typed into a knowledge tile (trigger search). */
  readonly search: { readonly tileId: string; readonly query: string } | null;
  /** The session's latest handover as the agent side sees it. */
  readonly handover: {
    readonly status: string;
    readonly queue: string | null;
    readonly agent: string | null;
  } | null;
}

/** What a tile node asks the copilot runner to put into a tile; templates and expressions are rendered. */
export type CopilotTileSpec =
  | { readonly kind: "transcript" }
  | { readonly kind: "sentiment"; readonly input: "lastInput" | "last10" }
  /** Without `query` the runner uses the agent's search in this tile, else the last user message. */
  | { readonly kind: "knowledge"; readonly query?: string; readonly copyable: boolean }
  | {
      readonly kind: "nextAction";
      readonly copyable: boolean;
      /** A fixed suggestion; without it the suggestion comes from the knowledge folder. */
      readonly text?: string;
      readonly query?: string;
    }
  | {
      readonly kind: "identity";
      readonly fields: readonly { readonly label: string; readonly value: string }[];
      readonly imageUrl?: string;
      readonly layout: "horizontal" | "vertical";
    }
  | { readonly kind: "summary"; readonly copyable: boolean }
  | { readonly kind: "html"; readonly html: string; readonly data?: unknown }
  | { readonly kind: "iframe"; readonly url: string; readonly data?: unknown }
  | { readonly kind: "adaptiveCard"; readonly card: Readonly<Record<string, unknown>> };

/** A setGrid node's grid and tiles. */
export interface CopilotGridSpec {
  readonly grid: CopilotGrid;
  readonly tiles: Readonly<Record<string, { readonly placement: TilePlacement; readonly title?: string }>>;
}

/** Something to show. Outside a handover the runtime drops what is meant only for the agent. */
export interface FlowOutput {
  readonly destination: "user" | "agent" | "both";
  readonly text?: string;
  readonly quickReplies?: readonly QuickReply[];
  /** An Adaptive Card (JSON). */
  readonly card?: Readonly<Record<string, unknown>>;
}

/**
 * A handoverToAgent node's request. `providerId` is undefined when the node names no provider: the handover
 * service then uses the endpoint's `handover.provider`.
 */
export type FlowHandoverRequest = Omit<HandoverRequest, "providerId"> & {
  readonly providerId: string | undefined;
};

/** Something a node asks the runtime to do (see FlowAction). */
export type FlowActionRequest =
  | { readonly type: "handover.start"; readonly nodeId: string; readonly request: FlowHandoverRequest }
  | { readonly type: "handover.close"; readonly nodeId: string }
  | { readonly type: "handover.setInactivity"; readonly nodeId: string; readonly seconds: number }
  | { readonly type: "end"; readonly nodeId: string }
  /** Copilot flows only (a main flow with a copilot node does not load). */
  | { readonly type: "copilot.grid"; readonly nodeId: string; readonly spec: CopilotGridSpec }
  | {
      readonly type: "copilot.tile";
      readonly nodeId: string;
      readonly tileId: string;
      readonly spec: CopilotTileSpec;
    }
  | {
      readonly type: "copilot.sendData";
      readonly nodeId: string;
      readonly tileId: string;
      readonly data: unknown;
    };

export interface FlowHttpRequest {
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** JSON text; `content-type: application/json` is then among the headers. */
  readonly body?: string;
  readonly timeoutMs: number;
}

export interface FlowHttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed JSON when the response was JSON, else its text. */
  readonly body: unknown;
}

/** What the engine needs from the outside. */
export interface FlowPorts {
  /** Performs an httpRequest node's call; rejects on network failure or timeout. */
  http(request: FlowHttpRequest): Promise<FlowHttpResponse>;
  /** Milliseconds since the epoch. */
  now(): number;
  readonly session: {
    readonly endpointId: string;
    readonly userId: string;
    readonly sessionId: string;
    readonly locale: string;
  };
}
