/**
 * The flow engine's public types: a validated flow, the per-session state it persists, what starts a run,
 * and what a run produces. The engine is pure apart from its ports (HTTP for httpRequest nodes, a clock):
 * the same flow, state, trigger and port answers always give the same result.
 */
import type { BatonError } from "../errors/index.ts";
import type { FlowHandoverInput } from "../handover/types.ts";
import type { FlowNode } from "./nodes/index.ts";
import type { CopilotFlowInput, FlowActionRequest, FlowKind, FlowOutput } from "./node-io.ts";

// What nodes read and produce lives in node-io.ts: the node registry cannot import this file, which imports
// the registry. Re-exported so code outside the flow keeps finding every flow type here.
export type {
  CopilotFlowInput,
  CopilotGridSpec,
  CopilotTileSpec,
  FlowActionRequest,
  FlowHandoverRequest,
  FlowHttpRequest,
  FlowHttpResponse,
  FlowKind,
  FlowOutput,
  FlowPorts,
} from "./node-io.ts";

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
  /**
   * `POST /inject`: like `input`, but it also runs while a handover is open, entering at the entrypoint
   * (below the handover node, or where the flow moved it), so a backend or an agent's tool can move the flow.
   */
  | { readonly kind: "inject"; readonly text?: string; readonly data?: Readonly<Record<string, unknown>> }
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
