import { runFlow } from "../flow/engine.ts";
import type { FlowOutput, FlowPorts, FlowState, FlowTrigger } from "../flow/types.ts";
import type { HandoverService } from "../handover/service.ts";
import type { Store, StoredSession } from "../store/types.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { Turn } from "./turn.ts";

/** Flow runs one turn may cause (a flow that starts a handover that fails, that resumes the flow, …). */
const maxFlowRunsPerTurn = 8;

export interface FlowDriverDeps {
  readonly store: Store;
  readonly handovers: HandoverService;
  readonly http: FlowPorts["http"];
  readonly logger: Logger;
  readonly clock: () => number;
}

/**
 * Runs a session's flow inside a turn: loads the stored position, runs the engine, stores the new position
 * and context, shows the outputs and carries out the actions (handover start, close, inactivity) in the order
 * the flow produced them.
 */
export function createFlowDriver(deps: FlowDriverDeps) {
  const { store, handovers, logger, clock } = deps;

  async function run(turn: Turn, trigger: FlowTrigger): Promise<void> {
    const flow = turn.endpoint.flow;
    if (flow === undefined) return;
    turn.flowRuns += 1;
    if (turn.flowRuns > maxFlowRunsPerTurn) {
      logger.error({ sessionKey: turn.session.id }, "flow runs per turn exceeded; stopping this turn");
      return;
    }
    const fresh = (await store.sessions.get(turn.session.id)) ?? turn.session;
    const result = await runFlow(flow, await positionFor(fresh, trigger), trigger, {
      http: deps.http,
      now: clock,
      session: {
        endpointId: fresh.endpointId,
        userId: fresh.userId,
        sessionId: fresh.sessionId,
        locale: turn.locale,
      },
    });
    for (const error of result.errors) {
      logger.warn({ sessionKey: fresh.id, code: error.code, details: error.details }, "flow problem");
    }
    const { context, ...position } = result.state;
    await turn.transaction((tx) => tx.sessions.updateFlow(fresh.id, { context, flowState: position }));
    // Outputs and actions in the order the flow produced them (an action knows how many outputs preceded it).
    let next = 0;
    for (const action of result.actions) {
      await show(turn, result.outputs.slice(next, action.outputsBefore));
      next = action.outputsBefore;
      switch (action.type) {
        case "handover.start":
          await handovers.start(turn, action.request);
          break;
        case "handover.close":
          await handovers.applyToOpen(turn, { type: "bot.close", at: clock() });
          break;
        case "handover.setInactivity":
          await handovers.applyToOpen(turn, {
            type: "bot.setInactivity",
            seconds: action.seconds,
            at: clock(),
          });
          break;
        case "end":
          break;
        // Copilot actions come from copilot flows only (a main flow with a tile node does not load).
        case "copilot.grid":
        case "copilot.tile":
        case "copilot.sendData":
          break;
      }
    }
    await show(turn, result.outputs.slice(next));
  }

  /**
   * The stored position, healed when it waits for a handover that is not open: its start was rolled back
   * after the position was stored, or its end was committed but the resume never ran (a crash in between).
   * Left alone, every input would be taken for an agent who is not there and the user would hear nothing
   * again; healed, the flow starts over from its start with this input, keeping the context.
   */
  async function positionFor(session: StoredSession, trigger: FlowTrigger): Promise<FlowState | undefined> {
    const state = storedFlowState(session);
    if (state?.waiting !== "handover" || trigger.kind === "handover") return state;
    if ((await handovers.openFor(session.id)) !== undefined) return state;
    logger.warn(
      { sessionKey: session.id, entrypoint: state.entrypoint },
      "the flow waited for a handover that is not open; it starts over",
    );
    return { entrypoint: null, waiting: "none", context: state.context };
  }

  /**
   * Shows outputs to the user; what a flow says to the agent reaches the agent only while a handover is open
   * (there is nobody to read it otherwise), after everything queued for that agent before.
   */
  async function show(turn: Turn, outputs: readonly FlowOutput[]): Promise<void> {
    if (outputs.length === 0) return;
    const open = outputs.some((o) => o.destination !== "user")
      ? await handovers.openFor(turn.session.id)
      : undefined;
    await turn.transaction(async (tx) => {
      for (const output of outputs) {
        if (output.destination !== "agent") {
          await turn.show(tx, {
            source: "bot",
            ...(output.text !== undefined ? { text: output.text } : {}),
            ...(output.quickReplies !== undefined && output.quickReplies.length > 0
              ? { quickReplies: output.quickReplies }
              : {}),
            ...(output.card !== undefined ? { card: output.card } : {}),
          });
        }
        if (output.destination !== "user" && open !== undefined && output.text !== undefined) {
          await handovers.sayToAgent(tx, turn, open.id, output.text);
        }
      }
    });
    await turn.flush();
  }

  return { run };
}

export type FlowDriver = ReturnType<typeof createFlowDriver>;

/** The session's flow state as the engine takes it (position plus the session's context). */
export function storedFlowState(session: StoredSession): FlowState | undefined {
  if (session.flowState === null) return undefined;
  return { ...session.flowState, context: session.context };
}
