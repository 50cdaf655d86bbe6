import { BatonError } from "../errors/index.ts";
import type { FlowHandoverInput, FlowHandoverStatus } from "../handover/types.ts";
import { copyJson, writeContext } from "./context-path.ts";
import type { ExpressionScope } from "./expressions/index.ts";
import {
  answerQuestion,
  definitionOf,
  type FlowNode,
  type NodeOutcome,
  type NodeRuntime,
} from "./nodes/index.ts";
import type {
  Flow,
  FlowAction,
  FlowOutput,
  FlowPorts,
  FlowRunResult,
  FlowState,
  FlowTrigger,
} from "./types.ts";

/** Nodes one run may execute before it is stopped with BATON_ERR_FLOW_LOOP. */
export const defaultMaxSteps = 200;

/** Statuses that end a handover; the rest (queue, active, inactivity) are events while it runs. */
const terminalStatuses: ReadonlySet<FlowHandoverStatus> = new Set(["completed", "cancelled", "error"]);

export function initialFlowState(): FlowState {
  return { entrypoint: null, waiting: "none", context: {} };
}

type Position = Pick<FlowState, "entrypoint" | "waiting" | "questionNodeId">;
const idle: Position = { entrypoint: null, waiting: "none" };

/**
 * Runs a flow from where the session is, for one trigger, until it waits (a question, a handover, a goTo
 * with wait), ends, or runs out of nodes. Deterministic given the ports' answers.
 *
 * - `input` answers the question the flow waits at (saved, then on to its `next`); otherwise it enters at
 *   the entrypoint, or at `start` when the flow is idle. While a handover is open, input belongs to the
 *   agent: the run does nothing.
 * - `handover` enters at the entrypoint (the handover node's `next` unless the flow moved it); a terminal
 *   status ends the handover and resumes below the node or at the entrypoint. Ignored when no handover is
 *   open (a late resolve after closeHandover). With `run: "nextUserMessage"` a terminal status only moves
 *   the position; the next input runs there and sees the outcome as `input.handover`.
 * - `inject` is `input` outside a handover; while one is open it runs from the entrypoint (as handover events
 *   do), with the injected text and data as `input`, and the handover stays open unless the flow closes it.
 * - `start` runs from `start`, keeping the context; ignored while a handover is open.
 * - `copilot` (copilot flows) runs from `start` once and leaves the flow idle; `input` is the trigger's
 *   CopilotFlowInput.
 *
 * More than `maxSteps` nodes in one run stops it with BATON_ERR_FLOW_LOOP in `errors`; the flow goes idle
 * (or, with a handover open, keeps waiting for it at the same entrypoint).
 *
 * @example
 * const { state, outputs, actions } = await runFlow(flow, saved, { kind: "input", text: "hi" }, ports);
 */
export async function runFlow(
  flow: Flow,
  state: FlowState | undefined,
  trigger: FlowTrigger,
  ports: FlowPorts,
  options: { maxSteps?: number } = {},
): Promise<FlowRunResult> {
  const run = new Run(flow, state ?? initialFlowState(), trigger, ports, options.maxSteps ?? defaultMaxSteps);
  return run.execute();
}

class Run implements NodeRuntime {
  readonly scope: ExpressionScope;
  handoverOpen: boolean;
  private handoverNodeId: string | undefined;
  /** Set when a terminal status is deferred to the next input; a pending one from the state is consumed. */
  private pendingHandover: FlowHandoverInput | undefined;
  private readonly context: Record<string, unknown>;
  private readonly outputs: FlowOutput[] = [];
  private readonly actions: FlowAction[] = [];
  private readonly trace: string[] = [];
  private readonly errors: BatonError[] = [];

  constructor(
    private readonly flow: Flow,
    private readonly state: FlowState,
    private readonly trigger: FlowTrigger,
    readonly ports: FlowPorts,
    private readonly maxSteps: number,
  ) {
    this.handoverOpen = state.waiting === "handover";
    this.handoverNodeId = state.handoverNodeId;
    // The run works on its own copy: the caller's state is never changed, and a failed run changes nothing.
    this.context = copyJson<Record<string, unknown>>(state.context);
    this.scope = {
      input:
        trigger.kind === "copilot"
          ? { ...trigger.input, data: null }
          : {
              text: trigger.kind === "input" || trigger.kind === "inject" ? (trigger.text ?? null) : null,
              data: trigger.kind === "input" || trigger.kind === "inject" ? (trigger.data ?? null) : null,
              handover: trigger.kind === "handover" ? trigger.handover : (state.pendingHandover ?? null),
            },
      context: this.context,
      session: ports.session,
    };
  }

  output(output: FlowOutput): void {
    this.outputs.push(output);
  }

  action(action: Parameters<NodeRuntime["action"]>[0]): void {
    this.actions.push({ ...action, outputsBefore: this.outputs.length });
    if (action.type === "handover.close") {
      this.handoverOpen = false;
      this.handoverNodeId = undefined;
    }
  }

  setContext(path: readonly string[], value: unknown): void {
    writeContext(this.context, path, value);
  }

  async execute(): Promise<FlowRunResult> {
    const trigger = this.trigger;
    switch (trigger.kind) {
      case "start":
        if (this.handoverOpen) return this.unchanged();
        return this.finish(await this.runFrom(this.flow.start));
      case "input":
        if (this.handoverOpen) return this.unchanged();
        return this.finish(await this.onInput());
      case "inject":
        if (!this.handoverOpen) return this.finish(await this.onInput());
        // The handover stays open: the run starts where handover events enter and may close it.
        return this.finish(await this.runFromEntrypoint());
      case "handover":
        if (!this.handoverOpen) return this.unchanged();
        return this.finish(await this.onHandover(trigger));
      case "copilot":
        // A copilot flow keeps no position: every trigger runs it once from its start.
        await this.runFrom(this.flow.start);
        return this.finish(idle);
    }
  }

  private async onInput(): Promise<Position | undefined> {
    const { waiting, questionNodeId } = this.state;
    if (waiting === "input" && questionNodeId !== undefined) {
      const question = this.flow.nodes.get(questionNodeId);
      if (question?.type === "question") {
        this.trace.push(question.id);
        return this.advance(question, answerQuestion(question, this));
      }
      this.positionUnknown(questionNodeId);
      return this.runFrom(this.flow.start);
    }
    return this.runFrom(this.enterAt(this.state.entrypoint) ?? this.flow.start);
  }

  private async onHandover(
    trigger: Extract<FlowTrigger, { kind: "handover" }>,
  ): Promise<Position | undefined> {
    const status = trigger.handover.status;
    const handoverNode =
      this.handoverNodeId === undefined ? undefined : this.flow.nodes.get(this.handoverNodeId);
    if (this.handoverNodeId !== undefined && handoverNode === undefined)
      this.positionUnknown(this.handoverNodeId);
    const below = handoverNode?.type === "handoverToAgent" ? handoverNode.next : undefined;
    const terminal = terminalStatuses.has(status);
    const defaultResume =
      terminal && status === "completed" && handoverNode?.type === "handoverToAgent"
        ? handoverNode.onResolve
        : terminal
          ? "belowNode"
          : "entrypoint";
    const resumeAt = trigger.resumeAt ?? defaultResume;
    if (terminal) {
      this.handoverOpen = false;
      this.handoverNodeId = undefined;
    }
    const entry =
      resumeAt === "belowNode" && handoverNode !== undefined ? below : this.enterAt(this.state.entrypoint);
    if (terminal && trigger.run === "nextUserMessage") {
      // Cognigy.AI's default, so ported flows behave the same: after the agent resolves, the flow carries on
      // when the user writes.
      this.pendingHandover = trigger.handover;
      return entry === undefined ? undefined : { entrypoint: entry, waiting: "input" };
    }
    if (entry === undefined) return undefined;
    return this.runFrom(entry);
  }

  /** While a handover is open: from the entrypoint, or nowhere when the flow has no position. */
  private async runFromEntrypoint(): Promise<Position | undefined> {
    const entry = this.enterAt(this.state.entrypoint);
    return entry === undefined ? undefined : this.runFrom(entry);
  }

  /** The stored entrypoint if the flow still has that node; a vanished one is reported and skipped. */
  private enterAt(entrypoint: string | null): string | undefined {
    if (entrypoint === null) return undefined;
    if (this.flow.nodes.has(entrypoint)) return entrypoint;
    this.positionUnknown(entrypoint);
    return this.handoverOpen ? undefined : this.flow.start;
  }

  private positionUnknown(nodeId: string): void {
    this.errors.push(
      new BatonError("BATON_ERR_FLOW_POSITION_UNKNOWN", {
        nodeId,
        flowId: this.flow.id,
        file: this.flow.file,
      }),
    );
  }

  /** Runs nodes from `nodeId`; returns where the flow then waits, or undefined when it ran out of nodes. */
  private runFrom(nodeId: string): Promise<Position | undefined> {
    return this.advance(undefined, { kind: "continue", next: nodeId });
  }

  /**
   * Follows outcomes node by node until one waits, ends or fails, or there is no next node. `from` is the
   * node that produced `outcome` (undefined for the run's entry).
   */
  private async advance(from: FlowNode | undefined, outcome: NodeOutcome): Promise<Position | undefined> {
    let node = from;
    let steps = 0;
    while (outcome.kind === "continue") {
      const next = outcome.next === undefined ? undefined : this.flow.nodes.get(outcome.next);
      if (next === undefined) return undefined;
      if (steps >= this.maxSteps) {
        this.errors.push(
          new BatonError("BATON_ERR_FLOW_LOOP", {
            nodeId: next.id,
            flowId: this.flow.id,
            file: this.flow.file,
            expected: `at most ${this.maxSteps} nodes per run`,
          }),
        );
        return undefined;
      }
      steps++;
      this.trace.push(next.id);
      node = next;
      outcome = await definitionOf(next).execute(next, this);
    }
    switch (outcome.kind) {
      case "waitForInput":
        return {
          entrypoint: outcome.questionNodeId,
          waiting: "input",
          questionNodeId: outcome.questionNodeId,
        };
      case "waitAt":
        return { entrypoint: outcome.entrypoint, waiting: this.handoverOpen ? "handover" : "input" };
      case "waitForHandover":
        this.handoverOpen = true;
        this.handoverNodeId = node?.id;
        return { entrypoint: outcome.entrypoint ?? null, waiting: "handover" };
      case "end":
        return idle;
      case "fail":
        this.errors.push(outcome.error);
        return undefined;
    }
  }

  /**
   * Where the flow stands after the run. Running out of nodes leaves the flow idle, except while a handover
   * is open: then it keeps waiting at the same entrypoint, so the next event lands where this one did.
   */
  private finish(position: Position | undefined): FlowRunResult {
    const resting: Position =
      position ?? (this.handoverOpen ? { entrypoint: this.state.entrypoint, waiting: "handover" } : idle);
    const state: FlowState = {
      entrypoint: resting.entrypoint,
      waiting: resting.waiting,
      ...(resting.questionNodeId === undefined ? {} : { questionNodeId: resting.questionNodeId }),
      ...(this.handoverOpen && this.handoverNodeId !== undefined
        ? { handoverNodeId: this.handoverNodeId }
        : {}),
      ...(this.pendingHandover === undefined ? {} : { pendingHandover: this.pendingHandover }),
      context: this.context,
    };
    return { state, outputs: this.outputs, actions: this.actions, trace: this.trace, errors: this.errors };
  }

  private unchanged(): FlowRunResult {
    return { state: this.state, outputs: [], actions: [], trace: [], errors: [] };
  }
}
