/**
 * The flow engine's public types: a validated flow, the per-session state it persists, what starts a run,
 * and what a run produces. The engine is pure apart from its ports (HTTP for httpRequest nodes, a clock):
 * the same flow, state, trigger and port answers always give the same result.
 */
import type { BatonError } from "../errors/index.ts";
import type { FlowHandoverInput, HandoverRequest } from "../handover/types.ts";
import type { CopilotGrid, TilePlacement } from "../protocol/copilot.ts";
import type { QuickReply } from "../protocol/messages.ts";
import type { FlowNode } from "./nodes/index.ts";

/**
 * `main`: the conversation flow an endpoint runs for its users. `copilot`: the flow that fills the agent's
 * Copilot workspace (tile nodes plus logic nodes; no say, question or handover nodes).
 */
export type FlowKind = "main" | "copilot";

/** A flow that passed validation: every node id it names exists and every expression parsed. */
export interface Flow {
  readonly id: string;
  readonly kind: FlowKind;
  /** Where a session starts, and where the next input starts once the flow is idle. */
  readonly start: string;
  readonly nodes: ReadonlyMap<string, FlowNode>;
  /** The file it was loaded from (for errors and logs). */
  readonly file: string;
}

/**
 * A session's position in its flow. Plain JSON: the runtime stores it after every run, so a restarted
 * gateway continues where it was.
 */
export interface FlowState {
  /** Where the next input (or handover event) enters; null when the flow is idle (next input → start). */
  readonly entrypoint: string | null;
  /**
   * `input`: the next input enters at `entrypoint` (as the answer to `questionNodeId` when set).
   * `handover`: a handover is open; user input goes to the agent, handover events enter at `entrypoint`.
   * `none`: idle.
   */
  readonly waiting: "input" | "handover" | "none";
  readonly questionNodeId?: string;
  /** The handoverToAgent node of the open handover (its `next` is where "belowNode" resumes). */
  readonly handoverNodeId?: string;
  /**
   * A handover outcome held for the user's next message (`run: "nextUserMessage"`, the service's choice for a
   * completion without sendResolveEvent): that input, or a start, sees it as `input.handover`, once.
   */
  readonly pendingHandover?: FlowHandoverInput;
  /** Session context, read as `context.*` and written by question, setContext and httpRequest. */
  readonly context: Readonly<Record<string, unknown>>;
}

/** What starts a run. */
export type FlowTrigger =
  | { readonly kind: "input"; readonly text?: string; readonly data?: Readonly<Record<string, unknown>> }
  | {
      readonly kind: "handover";
      readonly handover: FlowHandoverInput;
      /**
       * Where a terminal status (completed, cancelled, error) resumes. Defaults: completed → the node's
       * `onResolve`; cancelled and error → belowNode. Events (queue, active, inactivity) enter at the
       * entrypoint unless this says belowNode.
       */
      readonly resumeAt?: "belowNode" | "entrypoint";
      /**
       * For a terminal status: `now` (default) runs the flow at once; `nextUserMessage` only moves the
       * position there and keeps the outcome in `pendingHandover` for the next input.
       */
      readonly run?: "now" | "nextUserMessage";
    }
  /** A new session (or a restart of it): runs from `start`, keeping the context. */
  | { readonly kind: "start" }
  /** A copilot flow's run: always from `start`, once, never waiting (see CopilotFlowInput). */
  | { readonly kind: "copilot"; readonly input: CopilotFlowInput };

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

/**
 * Something for the runtime to do after the run. `outputsBefore` is how many of the run's outputs came
 * before it, so outputs and actions can be replayed in the order the flow produced them (a goodbye said to
 * the agent before the handover is closed).
 */
export type FlowAction = FlowActionRequest & { readonly outputsBefore: number };

export interface FlowRunResult {
  readonly state: FlowState;
  readonly outputs: readonly FlowOutput[];
  readonly actions: readonly FlowAction[];
  /** Node ids in the order they ran. */
  readonly trace: readonly string[];
  /**
   * Problems that did not stop the session (BATON_ERR_FLOW_LOOP, _NODE_NOT_ALLOWED, _POSITION_UNKNOWN):
   * the runtime logs them with the session ids and may tell the user something went wrong.
   */
  readonly errors: readonly BatonError[];
}

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
