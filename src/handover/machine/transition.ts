/**
 * The handover state machine: `(state, event) → (state, effects)`, pure. No clock
 * (time comes in events as `at`), no randomness, no I/O, never throws: a late, duplicate or meaningless event
 * is an explicit no-op whose only effect is a `log` saying it was ignored. The service executes the effects.
 *
 * Decisions this file carries (docs/handover-lifecycle.md renders the whole table from this code):
 * - An agent's `left` is held for the provider's agent-left grace (`policy.agentLeftGraceSeconds`): a TRANSFER,
 *   a QUEUED or a new agent inside the grace makes it a transfer; the grace timer or an `idle` conversation
 *   makes it the end (8x8 does not say whether TRANSFER comes before or after the `left`, so both orders are
 *   handled). A grace of 0 ends the handover at the `left`.
 * - Cancelling (intent, button, user.cancel) works only while the request waits (requested, queued). In an
 *   active or transferring chat a cancel keyword is an ordinary message for the agent: the user is talking to
 *   a person, who may be asked to end the chat; and the web chat shows no cancel button then.
 * - closeHandover ends with status `completed` and reason `closed` (the user is handed back to the bot, which
 *   flows written for Cognigy.AI read as completed) and resumes `current`: the flow is already
 *   running the node that asked. A later agent resolve finds a terminal state and is ignored.
 * - Only `flow.resume` ends a handover for the flow, and it is emitted exactly once: on the one transition
 *   into a terminal state, after which every event is ignored.
 */
import type { ProviderAttachment, ProviderCard } from "../../providers/port.ts";
import type { HandoverBanner } from "../../protocol/messages.ts";
import type {
  FlowHandoverInput,
  FlowHandoverStatus,
  HandoverEndReason,
  HandoverRequest,
  HandoverState,
  TerminalHandoverState,
} from "../types.ts";
import { isCancelRequest } from "./cancel-request.ts";
import type {
  FlowResumeAt,
  FlowResumeTrigger,
  HandoverEffect,
  HandoverEvent,
  HandoverEventType,
  HandoverMachineState,
  HandoverTimer,
  HandoverTransition,
  HandoverUserMessageKey,
  HeldUserMessage,
} from "./types.ts";
import { HANDOVER_CANCEL_PAYLOAD, handoverTimers, type HandoverPolicy } from "./types.ts";

/** The states in which the handover is still open. */
export type OpenHandoverState = Exclude<HandoverState, TerminalHandoverState>;

type EventOf<T extends HandoverEventType> = Extract<HandoverEvent, { readonly type: T }>;

/**
 * Starts a handover: the machine's first state and the effects of making the request.
 *
 * @param handoverId Baton's id of this handover; every flow input carries it.
 * @param policy What the provider declared (ProviderCapabilities), kept with the handover.
 * @example
 *   const { state, effects } = initialState(request, Date.now(), randomUUID(), { agentLeftGraceSeconds: 10 });
 *   // effects: provider.create, user.sayText (acceptedMessage) or user.say connecting, user.banner queued,
 *   //          timer.set queueWait (with maxQueueWaitSeconds), log
 */
export function initialState(
  request: HandoverRequest,
  at: number,
  handoverId: string,
  policy: HandoverPolicy,
): HandoverTransition {
  const base = freshState(request, at, handoverId, policy);
  const effects: HandoverEffect[] = [{ type: "provider.create" }];
  if (request.acceptedMessage !== undefined && request.acceptedMessage.trim() !== "") {
    effects.push(acceptedMessage(request, request.acceptedMessage));
  } else {
    effects.push({ type: "user.say", messageKey: "connecting" });
  }
  effects.push({ type: "user.banner", banner: queuedBanner(request) });
  let state = base;
  const maxWait = request.maxQueueWaitSeconds;
  if (maxWait !== undefined && Number.isFinite(maxWait) && maxWait > 0) {
    const dueAt = at + maxWait * 1000;
    state = { ...state, timers: { ...state.timers, queueWait: dueAt } };
    effects.push({ type: "timer.set", timer: "queueWait", seconds: maxWait, dueAt });
  }
  effects.push(logEffect("none", "requested", "start", false, "handover requested"));
  return { state, effects };
}

/**
 * A handover that cannot start: the endpoint's channel cannot hand over, or no provider is configured. Nothing
 * is asked of a provider; the user is told and the flow continues below the node with status `error`, reason
 * `unsupported`: the user is never left waiting for an agent that cannot come.
 */
export function unsupportedState(
  request: HandoverRequest,
  at: number,
  handoverId: string,
  message: string,
): HandoverTransition {
  // No provider will be asked anything, so there is nothing to wait for.
  const base = freshState(request, at, handoverId, { agentLeftGraceSeconds: 0 });
  return finish(
    base,
    "none",
    { type: "request.failed", reason: "unsupported", message, at },
    {
      to: "error",
      reason: "unsupported",
      error: { reason: "unsupported", message },
      flowStatus: "error",
      userMessage: "error",
      providerLeaves: false,
      resumeAt: "belowNode",
      trigger: "now",
      note: "the channel or provider cannot hand over",
    },
  );
}

/** Applies one event. Total: every (state, event) pair has an answer, most of them "ignored". */
export function transition(state: HandoverMachineState, event: HandoverEvent): HandoverTransition {
  switch (state.state) {
    case "completed":
    case "cancelled":
    case "closed_by_bot":
    case "abandoned":
    case "error":
      return ignore(state, event, `the handover already ended (${state.state})`);
    case "requested":
    case "queued":
    case "active":
    case "transferring":
      return openTransition(state, state.state, event);
  }
}

function openTransition(
  s: HandoverMachineState,
  phase: OpenHandoverState,
  e: HandoverEvent,
): HandoverTransition {
  switch (e.type) {
    case "request.created":
      return onRequestCreated(s, e);
    case "request.failed":
      return onRequestFailed(s, phase, e);
    case "provider.conversationState":
      return onConversationState(s, phase, e);
    case "provider.queued":
      return onQueueAssignment(s, phase, e, e.queueId, e.queueName);
    case "provider.agentJoined":
      return onAgentJoined(s, phase, e, e.agentId, e.agentName);
    case "provider.agentLeft":
      return onAgentLeft(s, phase, e);
    case "provider.transferred":
      return onTransferred(s, phase, e);
    case "provider.userLeft":
      return finish(s, phase, e, {
        to: "abandoned",
        reason: "user_left",
        flowStatus: "cancelled",
        providerLeaves: false,
        resumeAt: "belowNode",
        trigger: "now",
        note: "the provider reports that the user left",
      });
    case "provider.agentMessage":
      return onAgentMessage(s, phase, e);
    case "provider.agentTyping":
      return onAgentTyping(s, phase, e);
    case "provider.rejected":
      return finish(s, phase, e, {
        to: "error",
        reason: "rejected",
        error: { reason: "error", message: e.message },
        flowStatus: "error",
        userMessage: "lost",
        // The provider refused for good: a user-leaves call would be refused as well.
        providerLeaves: false,
        resumeAt: "belowNode",
        trigger: "now",
        note: `the provider refused ${e.operation} for good`,
      });
    case "provider.cardAction":
      return onCardAction(s, phase, e);
    case "user.message":
      return onUserMessage(s, phase, e);
    case "user.cancel":
      return onUserCancel(s, phase, e);
    case "user.typing":
      return onUserTyping(s, phase, e);
    case "user.connection":
      return onUserConnection(s, phase, e);
    case "bot.close":
      return finish(s, phase, e, {
        to: "closed_by_bot",
        reason: "closed",
        flowStatus: "completed",
        userMessage: "closed",
        providerLeaves: true,
        resumeAt: "current",
        trigger: "now",
        note: "closed by the bot",
      });
    case "bot.setInactivity":
      return onSetInactivity(s, phase, e);
    case "timer.fired":
      return onTimerFired(s, phase, e);
  }
}

// ---------------------------------------------------------------------------------------------------------
// The request

function onRequestCreated(s: HandoverMachineState, e: EventOf<"request.created">): HandoverTransition {
  if (s.providerConversationId === e.providerConversationId) return ignore(s, e, "duplicate");
  if (s.providerConversationId !== undefined) {
    return ignore(s, e, `the provider conversation is already ${s.providerConversationId}`);
  }
  return stay(
    s,
    { ...s, providerConversationId: e.providerConversationId },
    e,
    [],
    "provider conversation created",
  );
}

function onRequestFailed(
  s: HandoverMachineState,
  phase: OpenHandoverState,
  e: EventOf<"request.failed">,
): HandoverTransition {
  switch (phase) {
    case "requested":
      return finish(s, phase, e, {
        to: "error",
        reason: e.reason,
        error: { reason: e.reason, message: e.message },
        flowStatus: "error",
        userMessage: "error",
        providerLeaves: false,
        resumeAt: "belowNode",
        trigger: "now",
        note: `the request failed (${e.reason})`,
      });
    case "queued":
    case "active":
    case "transferring":
      return ignore(s, e, "the provider already accepted the request");
  }
}

// ---------------------------------------------------------------------------------------------------------
// Provider: conversation, queue, agents, transfer

function onConversationState(
  s: HandoverMachineState,
  phase: OpenHandoverState,
  e: EventOf<"provider.conversationState">,
): HandoverTransition {
  switch (e.state) {
    case "created":
      return ignore(s, e, "nothing to do on created");
    case "idle":
      return onIdle(s, phase, e);
    case "active": {
      const type = e.assignment?.type.toLowerCase();
      if (type === "agent" && e.assignment !== undefined) return onAgentJoined(s, phase, e, e.assignment.id);
      if (type === "queue" && e.assignment !== undefined)
        return onQueueAssignment(s, phase, e, e.assignment.id);
      return ignore(s, e, `assignment ${type ?? "none"} is not the handover's concern`);
    }
  }
}

/** No live interaction any more: whatever was going on has ended on the provider's side. */
function onIdle(
  s: HandoverMachineState,
  phase: OpenHandoverState,
  e: EventOf<"provider.conversationState">,
): HandoverTransition {
  switch (phase) {
    case "requested":
    case "queued":
      return finish(s, phase, e, {
        to: "cancelled",
        reason: "provider",
        flowStatus: "cancelled",
        userMessage: "endedByProvider",
        providerLeaves: false,
        resumeAt: "belowNode",
        trigger: "now",
        note: "the provider ended the request before an agent joined",
      });
    case "active":
    case "transferring":
      return complete(s, phase, e, "the provider conversation went idle");
  }
}

/**
 * QUEUED (or an `active` update assigned to a queue). Only QUEUED moves `requested` to `queued`: it carries the
 * queue's name for the user, and 8x8 sends it after the `active` update (the simulator's order; 8x8 leaves it
 * unconfirmed, and a request that never sees QUEUED still works, since an agent may join from `requested`).
 */
function onQueueAssignment(
  s: HandoverMachineState,
  phase: OpenHandoverState,
  e: EventOf<"provider.queued" | "provider.conversationState">,
  queueId: string,
  queueName?: string,
): HandoverTransition {
  const queue = { id: queueId, ...(queueName !== undefined ? { name: queueName } : {}) };
  const known = s.queue;
  const changed = known?.id !== queueId || (queueName !== undefined && known.name !== queueName);
  switch (phase) {
    case "requested": {
      if (e.type !== "provider.queued") {
        return changed ? stay(s, { ...s, queue }, e, [], "queue assigned") : ignore(s, e, "duplicate");
      }
      const next: HandoverMachineState = { ...s, state: "queued", queue, queuedAt: e.at };
      const effects: HandoverEffect[] = [
        {
          type: "user.say",
          messageKey: "queued",
          ...(queueName !== undefined ? { params: { queueName } } : {}),
        },
        { type: "user.banner", banner: queuedBanner(s.request, queueName) },
      ];
      if (s.request.sendQueueEvent) effects.push({ type: "flow.event", input: flowInput(next, "queue") });
      return stay(s, next, e, effects);
    }
    case "queued": {
      if (!changed) return ignore(s, e, "duplicate");
      const merged = known?.id === queueId && queueName === undefined ? known : queue;
      return stay(s, { ...s, queue: merged }, e, [
        { type: "user.banner", banner: queuedBanner(s.request, merged.name) },
      ]);
    }
    case "active":
      if (s.agentLeftPendingSince !== undefined) {
        return becomeTransferring(s, e, "a queue assignment after the agent left means a transfer", {
          queue,
        });
      }
      return ignore(s, e, "an agent holds the conversation (a transfer is announced by TRANSFER)");
    case "transferring":
      return changed ? stay(s, { ...s, queue }, e, [], "the transfer's queue") : ignore(s, e, "duplicate");
  }
}

function onAgentJoined(
  s: HandoverMachineState,
  phase: OpenHandoverState,
  e: EventOf<"provider.agentJoined" | "provider.conversationState" | "provider.agentMessage">,
  agentId: string,
  agentName?: string,
): HandoverTransition {
  switch (phase) {
    case "requested":
    case "queued":
      return becomeActive(s, e, agentId, agentName);
    case "transferring":
      if (s.transferPending && s.agent?.id === agentId)
        return ignore(s, e, "the transferring agent is still in");
      return becomeActive(s, e, agentId, agentName, "a new agent after the transfer");
    case "active":
      if (s.agentLeftPendingSince !== undefined) {
        // An assignment update naming the agent who just left is late news, not a rejoin: only a join counts.
        if (e.type === "provider.conversationState" && s.agent?.id === agentId) {
          return ignore(s, e, "a late assignment to the agent who left");
        }
        return becomeActive(
          s,
          e,
          agentId,
          agentName,
          "an agent joined while the previous one's left was held",
        );
      }
      if (s.agent?.id === agentId) return ignore(s, e, "duplicate");
      return becomeActive(s, e, agentId, agentName, "another agent took over");
  }
}

function onAgentLeft(
  s: HandoverMachineState,
  phase: OpenHandoverState,
  e: EventOf<"provider.agentLeft">,
): HandoverTransition {
  switch (phase) {
    case "requested":
    case "queued":
      return ignore(s, e, "no agent has joined");
    case "active": {
      if (s.agent !== undefined && s.agent.id !== e.agentId) return ignore(s, e, "not the current agent");
      if (s.agentLeftPendingSince !== undefined) return ignore(s, e, "duplicate");
      const grace = s.policy.agentLeftGraceSeconds;
      if (grace <= 0) return complete(s, phase, e, "the agent left (the provider announces transfers first)");
      const dueAt = e.at + grace * 1000;
      const next: HandoverMachineState = {
        ...s,
        agentLeftPendingSince: e.at,
        timers: { ...s.timers, agentLeftGrace: dueAt },
      };
      return stay(
        s,
        next,
        e,
        [{ type: "timer.set", timer: "agentLeftGrace", seconds: grace, dueAt }],
        "held: a TRANSFER may follow",
      );
    }
    case "transferring": {
      if (!s.transferPending) return ignore(s, e, "the transferring agent already left");
      if (s.agent !== undefined && s.agent.id !== e.agentId)
        return ignore(s, e, "not the transferring agent");
      const { agent: _agent, ...rest } = s;
      return stay(s, { ...rest, transferPending: false }, e, [], "the transferring agent left: not the end");
    }
  }
}

function onTransferred(
  s: HandoverMachineState,
  phase: OpenHandoverState,
  e: EventOf<"provider.transferred">,
): HandoverTransition {
  switch (phase) {
    case "requested":
    case "queued":
      return ignore(s, e, "no agent to transfer from");
    case "active":
      return s.agentLeftPendingSince !== undefined
        ? becomeTransferring(s, e, "TRANSFER after the agent left")
        : becomeTransferring(s, e, "TRANSFER; the agent's left will follow");
    case "transferring":
      return ignore(s, e, "duplicate");
  }
}

function onAgentMessage(
  s: HandoverMachineState,
  phase: OpenHandoverState,
  e: EventOf<"provider.agentMessage">,
): HandoverTransition {
  switch (phase) {
    case "requested":
    case "queued": {
      // The message proves an agent took the conversation, whatever happened to the join event.
      const joined = becomeActive(s, e, e.agentId, undefined, "an agent message before the join");
      const relay = relayEffect(joined.state, e);
      return {
        state: joined.state,
        effects: [...joined.effects.slice(0, -1), relay, joined.effects.at(-1)!],
      };
    }
    case "active":
    case "transferring":
      return stay(s, s, e, [relayEffect(s, e)]);
  }
}

function relayEffect(
  s: HandoverMachineState,
  e: {
    readonly agentId: string;
    readonly text: string;
    readonly attachments: readonly ProviderAttachment[];
    readonly cards: readonly ProviderCard[];
  },
): HandoverEffect {
  const agentName = s.agent?.id === e.agentId ? s.agent.name : undefined;
  return {
    type: "user.relayAgentMessage",
    text: e.text,
    attachments: e.attachments,
    cards: e.cards,
    ...(agentName !== undefined ? { agentName } : {}),
  };
}

function onAgentTyping(
  s: HandoverMachineState,
  phase: OpenHandoverState,
  e: EventOf<"provider.agentTyping">,
): HandoverTransition {
  switch (phase) {
    case "requested":
    case "queued":
      return ignore(s, e, "no agent has joined");
    case "active":
    case "transferring": {
      const agentName = s.agent?.name;
      return stay(s, s, e, [
        { type: "user.typing", active: e.active, ...(agentName !== undefined ? { agentName } : {}) },
      ]);
    }
  }
}

function onCardAction(
  s: HandoverMachineState,
  phase: OpenHandoverState,
  e: EventOf<"provider.cardAction">,
): HandoverTransition {
  const cancel = e.cardKind === "quickReply" && payloadOf(e.data) === HANDOVER_CANCEL_PAYLOAD;
  switch (phase) {
    case "requested":
    case "queued":
      if (cancel) return cancelByUser(s, phase, e);
      return ignore(s, e, "card actions never reach the flow during a handover");
    case "active":
    case "transferring":
      return ignore(s, e, "card actions never reach the flow during a handover");
  }
}

function payloadOf(data: unknown): unknown {
  return typeof data === "object" && data !== null && "payload" in data ? data.payload : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// The user

function onUserMessage(
  s: HandoverMachineState,
  phase: OpenHandoverState,
  e: EventOf<"user.message">,
): HandoverTransition {
  const waiting = phase === "requested" || phase === "queued";
  if (waiting && isCancelRequest(s.request, e.text)) return cancelByUser(s, phase, e);
  const text = e.text?.trim() ?? "";
  const attachments = e.attachments ?? [];
  // Never hand a provider an empty message: the agent would see a blank bubble, and 8x8 may reject it.
  if (text === "" && attachments.length === 0) return ignore(s, e, "nothing to pass on");
  const message = {
    ...(text !== "" && e.text !== undefined ? { text: e.text } : {}),
    ...(attachments.length > 0 ? { attachments } : {}),
  };
  const reset = resetInactivity(s, e.at);
  switch (phase) {
    case "requested":
    case "queued": {
      const effects: HandoverEffect[] = [{ type: "provider.sendUserMessage", ...message }, ...reset.effects];
      const accepted = s.request.acceptedMessage;
      if (s.request.repeatAcceptedMessage && accepted !== undefined && accepted.trim() !== "") {
        effects.push(acceptedMessage(s.request, accepted));
      }
      return stay(s, reset.state, e, effects);
    }
    case "active":
      if (s.agentLeftPendingSince !== undefined) {
        // 8x8 starts a new interaction in the old queue when a message is posted after the interaction ended:
        // hold the message until it is clear whether the agent's left was a transfer.
        const held: HeldUserMessage = { ...message, at: e.at };
        return stay(
          s,
          { ...reset.state, heldUserMessages: [...s.heldUserMessages, held] },
          e,
          reset.effects,
          "held",
        );
      }
      return stay(s, reset.state, e, [{ type: "provider.sendUserMessage", ...message }, ...reset.effects]);
    case "transferring":
      return stay(s, reset.state, e, [{ type: "provider.sendUserMessage", ...message }, ...reset.effects]);
  }
}

function onUserCancel(
  s: HandoverMachineState,
  phase: OpenHandoverState,
  e: EventOf<"user.cancel">,
): HandoverTransition {
  switch (phase) {
    case "requested":
    case "queued":
      return cancelByUser(s, phase, e);
    case "active":
    case "transferring":
      return ignore(s, e, "cancelling is offered only while waiting for an agent");
  }
}

function onUserTyping(
  s: HandoverMachineState,
  phase: OpenHandoverState,
  e: EventOf<"user.typing">,
): HandoverTransition {
  if (!e.active) return ignore(s, e, "the provider has no stop-typing call");
  switch (phase) {
    case "requested":
      return ignore(s, e, "no provider conversation yet");
    case "queued":
    case "active":
    case "transferring":
      return stay(s, s, e, [{ type: "provider.typing" }]);
  }
}

function onUserConnection(
  s: HandoverMachineState,
  phase: OpenHandoverState,
  e: EventOf<"user.connection">,
): HandoverTransition {
  if (e.connected === s.userConnected) return ignore(s, e, "no change");
  const next = { ...s, userConnected: e.connected };
  switch (phase) {
    case "requested":
      return stay(s, next, e, [], "recorded; there is nobody to tell yet");
    case "queued":
    case "active":
    case "transferring":
      return stay(s, next, e, [
        { type: "provider.notifyAgent", messageKey: e.connected ? "userReturned" : "userLeft" },
      ]);
  }
}

function cancelByUser(
  s: HandoverMachineState,
  phase: OpenHandoverState,
  e: HandoverEvent,
): HandoverTransition {
  return finish(s, phase, e, {
    to: "cancelled",
    reason: "user",
    flowStatus: "cancelled",
    userMessage: "cancelled",
    providerLeaves: true,
    resumeAt: "belowNode",
    trigger: "now",
    note: "cancelled by the user",
  });
}

// ---------------------------------------------------------------------------------------------------------
// Inactivity and timers

function onSetInactivity(
  s: HandoverMachineState,
  phase: OpenHandoverState,
  e: EventOf<"bot.setInactivity">,
): HandoverTransition {
  if (!Number.isFinite(e.seconds) || e.seconds <= 0) return ignore(s, e, `invalid seconds ${e.seconds}`);
  switch (phase) {
    case "requested":
    case "transferring":
      return ignore(s, e, "inactivity can be armed only while queued or active");
    case "queued":
    case "active": {
      // The count is kept: the usual flow re-arms after each warning and closes the handover at a threshold.
      const dueAt = e.at + e.seconds * 1000;
      const next: HandoverMachineState = {
        ...s,
        inactivity: { ...s.inactivity, seconds: e.seconds },
        timers: { ...s.timers, inactivity: dueAt },
      };
      return stay(s, next, e, [{ type: "timer.set", timer: "inactivity", seconds: e.seconds, dueAt }]);
    }
  }
}

function onTimerFired(
  s: HandoverMachineState,
  phase: OpenHandoverState,
  e: EventOf<"timer.fired">,
): HandoverTransition {
  const dueAt = s.timers[e.timer];
  if (dueAt === undefined) return ignore(s, e, `${e.timer} is not armed`);
  if (e.at < dueAt) return ignore(s, e, `stale ${e.timer} fire (re-armed since)`);
  switch (e.timer) {
    case "queueWait":
      return onQueueWaitExpired(s, phase, e);
    case "agentLeftGrace":
      return onAgentLeftGraceExpired(s, phase, e);
    case "inactivity":
      return onInactivityExpired(s, phase, e);
  }
}

function onQueueWaitExpired(
  s: HandoverMachineState,
  phase: OpenHandoverState,
  e: EventOf<"timer.fired">,
): HandoverTransition {
  switch (phase) {
    case "requested":
    case "queued":
      return finish(s, phase, e, {
        to: "cancelled",
        reason: "timeout",
        flowStatus: "cancelled",
        userMessage: "timeout",
        providerLeaves: true,
        resumeAt: "belowNode",
        trigger: "now",
        note: "maxQueueWait passed",
      });
    case "active":
    case "transferring":
      return ignore(s, e, "an agent joined");
  }
}

function onAgentLeftGraceExpired(
  s: HandoverMachineState,
  phase: OpenHandoverState,
  e: EventOf<"timer.fired">,
): HandoverTransition {
  switch (phase) {
    case "active":
      if (s.agentLeftPendingSince === undefined) return ignore(s, e, "no agent left");
      return complete(s, phase, e, "no transfer within the grace");
    case "requested":
    case "queued":
    case "transferring":
      return ignore(s, e, "no agent left");
  }
}

function onInactivityExpired(
  s: HandoverMachineState,
  phase: OpenHandoverState,
  e: EventOf<"timer.fired">,
): HandoverTransition {
  const seconds = s.inactivity.seconds;
  if (seconds === undefined) return ignore(s, e, "inactivity is not armed");
  switch (phase) {
    case "requested":
      return ignore(s, e, "inactivity is not armed");
    case "queued":
    case "active":
    case "transferring": {
      // Keeps running through a transfer (from the flow's side it is still an agent chat), re-armed each time.
      const count = s.inactivity.count + 1;
      const dueAt = e.at + seconds * 1000;
      const next: HandoverMachineState = {
        ...s,
        inactivity: { seconds, count },
        timers: { ...s.timers, inactivity: dueAt },
      };
      return stay(s, next, e, [
        { type: "flow.event", input: flowInput(next, "inactivity", { inactivityCount: count }) },
        { type: "timer.set", timer: "inactivity", seconds, dueAt },
      ]);
    }
  }
}

function resetInactivity(
  s: HandoverMachineState,
  at: number,
): { state: HandoverMachineState; effects: HandoverEffect[] } {
  const seconds = s.inactivity.seconds;
  if (seconds === undefined || s.timers.inactivity === undefined) {
    return {
      state: s.inactivity.count === 0 ? s : { ...s, inactivity: { ...s.inactivity, count: 0 } },
      effects: [],
    };
  }
  const dueAt = at + seconds * 1000;
  return {
    state: { ...s, inactivity: { seconds, count: 0 }, timers: { ...s.timers, inactivity: dueAt } },
    effects: [{ type: "timer.set", timer: "inactivity", seconds, dueAt }],
  };
}

// ---------------------------------------------------------------------------------------------------------
// Shared transitions

function becomeActive(
  s: HandoverMachineState,
  e: HandoverEvent,
  agentId: string,
  agentName?: string,
  note?: string,
): HandoverTransition {
  const agent = { id: agentId, ...(agentName !== undefined ? { name: agentName } : {}) };
  const { agentLeftPendingSince: _since, ...rest } = s;
  const effects: HandoverEffect[] = [];
  let timers = s.timers;
  for (const timer of ["queueWait", "agentLeftGrace"] as const) {
    if (timers[timer] !== undefined) {
      effects.push({ type: "timer.cancel", timer });
      timers = withoutTimer(timers, timer);
    }
  }
  effects.push(...flushHeld(s));
  const next: HandoverMachineState = {
    ...rest,
    state: "active",
    agent,
    transferPending: false,
    heldUserMessages: [],
    timers,
    activeAt: s.activeAt ?? e.at,
  };
  effects.push(
    {
      type: "user.say",
      messageKey: "agentJoined",
      ...(agentName !== undefined ? { params: { agentName } } : {}),
    },
    { type: "user.banner", banner: { state: "active", ...(agentName !== undefined ? { agentName } : {}) } },
  );
  if (s.request.sendActiveEvent) effects.push({ type: "flow.event", input: flowInput(next, "active") });
  return stay(s, next, e, effects, note);
}

function becomeTransferring(
  s: HandoverMachineState,
  e: HandoverEvent,
  note: string,
  extra: Partial<Pick<HandoverMachineState, "queue">> = {},
): HandoverTransition {
  const agentAlreadyLeft = s.agentLeftPendingSince !== undefined;
  const { agentLeftPendingSince: _since, agent, ...rest } = s;
  const effects: HandoverEffect[] = [];
  let timers = s.timers;
  if (timers.agentLeftGrace !== undefined) {
    effects.push({ type: "timer.cancel", timer: "agentLeftGrace" });
    timers = withoutTimer(timers, "agentLeftGrace");
  }
  effects.push(...flushHeld(s));
  effects.push(
    { type: "user.say", messageKey: "transferring" },
    { type: "user.banner", banner: { state: "transferring" } },
  );
  const next: HandoverMachineState = {
    ...rest,
    ...(agentAlreadyLeft || agent === undefined ? {} : { agent }),
    ...extra,
    state: "transferring",
    transferPending: !agentAlreadyLeft,
    heldUserMessages: [],
    timers,
  };
  return stay(s, next, e, effects, note);
}

function flushHeld(s: HandoverMachineState): HandoverEffect[] {
  return s.heldUserMessages.map(({ at: _at, ...message }) => ({
    type: "provider.sendUserMessage",
    ...message,
  }));
}

function complete(
  s: HandoverMachineState,
  phase: OpenHandoverState,
  e: HandoverEvent,
  note: string,
): HandoverTransition {
  const agentName = s.agent?.name;
  return finish(s, phase, e, {
    to: "completed",
    flowStatus: "completed",
    userMessage: "agentLeft",
    ...(agentName !== undefined ? { userParams: { agentName } } : {}),
    providerLeaves: false,
    resumeAt: s.request.onResolve,
    trigger: s.request.sendResolveEvent ? "now" : "nextUserMessage",
    note:
      s.heldUserMessages.length > 0
        ? `${note}; ${s.heldUserMessages.length} held user message(s) not passed on (they stay in the transcript)`
        : note,
  });
}

interface Ending {
  readonly to: TerminalHandoverState;
  readonly reason?: HandoverEndReason;
  readonly error?: { readonly reason: "unsupported" | "error"; readonly message: string };
  readonly flowStatus: Extract<FlowHandoverStatus, "completed" | "cancelled" | "error">;
  readonly userMessage?: HandoverUserMessageKey;
  readonly userParams?: Readonly<Record<string, string>>;
  /** Withdraw the request / free the agent on the provider's side. */
  readonly providerLeaves: boolean;
  readonly resumeAt: FlowResumeAt;
  readonly trigger: FlowResumeTrigger;
  readonly note: string;
}

/**
 * The one way into a terminal state. Order: cancel the armed timers, end the provider side, tell the user,
 * clear the banner, resume the flow, log — so the provider is released before the flow can start another
 * handover, and the user reads the outcome before whatever the flow says next.
 */
function finish(
  s: HandoverMachineState,
  from: HandoverState | "none",
  e: HandoverEvent,
  ending: Ending,
): HandoverTransition {
  const effects: HandoverEffect[] = handoverTimers
    .filter((timer) => s.timers[timer] !== undefined)
    .map((timer) => ({ type: "timer.cancel", timer }));
  if (ending.providerLeaves) effects.push({ type: "provider.userLeaves" });
  if (ending.userMessage !== undefined) {
    effects.push({
      type: "user.say",
      messageKey: ending.userMessage,
      ...(ending.userParams !== undefined ? { params: ending.userParams } : {}),
    });
  }
  effects.push({ type: "user.banner", banner: { state: "none" } });
  const { agentLeftPendingSince: _since, ...rest } = s;
  const next: HandoverMachineState = {
    ...rest,
    state: ending.to,
    transferPending: false,
    heldUserMessages: [],
    timers: {},
    endedAt: e.at,
    ...(ending.reason !== undefined ? { endReason: ending.reason } : {}),
    ...(ending.error !== undefined ? { error: ending.error } : {}),
  };
  const input = flowInput(next, ending.flowStatus, {
    ...(ending.reason !== undefined ? { reason: ending.reason } : {}),
    ...(ending.error !== undefined ? { error: ending.error } : {}),
  });
  effects.push({ type: "flow.resume", input, resumeAt: ending.resumeAt, trigger: ending.trigger });
  effects.push(logEffect(from, ending.to, e.type, false, ending.note));
  return { state: next, effects };
}

// ---------------------------------------------------------------------------------------------------------
// Small builders

function freshState(
  request: HandoverRequest,
  at: number,
  handoverId: string,
  policy: HandoverPolicy,
): HandoverMachineState {
  return {
    handoverId,
    state: "requested",
    request,
    requestedAt: at,
    policy,
    transferPending: false,
    heldUserMessages: [],
    inactivity: { count: 0 },
    timers: {},
    userConnected: true,
  };
}

function acceptedMessage(request: HandoverRequest, text: string): HandoverEffect {
  const button = request.cancelButtonText?.trim();
  return {
    type: "user.sayText",
    text,
    ...(button !== undefined && button !== ""
      ? { quickReplies: [{ title: button, payload: HANDOVER_CANCEL_PAYLOAD }] }
      : {}),
  };
}

function queuedBanner(request: HandoverRequest, queueName?: string): HandoverBanner {
  const cancelLabel = request.cancelButtonText?.trim();
  return {
    state: "queued",
    ...(queueName !== undefined ? { queueName } : {}),
    ...(cancelLabel !== undefined && cancelLabel !== "" ? { cancelLabel } : {}),
  };
}

function flowInput(
  s: HandoverMachineState,
  status: FlowHandoverStatus,
  extra: Partial<FlowHandoverInput> = {},
): FlowHandoverInput {
  return {
    status,
    handoverId: s.handoverId,
    providerId: s.request.providerId,
    ...(s.queue !== undefined ? { queue: s.queue } : {}),
    ...(s.agent !== undefined ? { agent: s.agent } : {}),
    ...extra,
  };
}

function withoutTimer(
  timers: HandoverMachineState["timers"],
  timer: HandoverTimer,
): HandoverMachineState["timers"] {
  const { [timer]: _removed, ...rest } = timers;
  return rest;
}

function stay(
  from: HandoverMachineState,
  next: HandoverMachineState,
  e: HandoverEvent,
  effects: readonly HandoverEffect[],
  note?: string,
): HandoverTransition {
  return { state: next, effects: [...effects, logEffect(from.state, next.state, e.type, false, note)] };
}

function ignore(s: HandoverMachineState, e: HandoverEvent, note: string): HandoverTransition {
  return { state: s, effects: [logEffect(s.state, s.state, e.type, true, note)] };
}

function logEffect(
  from: HandoverState | "none",
  to: HandoverState,
  event: HandoverEventType | "start",
  ignored: boolean,
  note?: string,
): HandoverEffect {
  return { type: "log", from, to, event, ignored, ...(note !== undefined ? { note } : {}) };
}
