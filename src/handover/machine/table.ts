/**
 * The transition table as data, derived by running `transition` — never written by hand, so the docs
 * (docs/handover-lifecycle.md, rendered by lifecycle-markdown.ts) cannot drift from the code.
 *
 * Each open state is reached by driving the machine from `initialState` with a request that switches every
 * option on; then every representative event is applied to it and the outcome recorded.
 */
import type { HandoverRequest, HandoverState } from "../types.ts";
import { initialState, transition, unsupportedState } from "./transition.ts";
import type {
  HandoverEffect,
  HandoverEvent,
  HandoverMachineState,
  HandoverPolicy,
  UntimedHandoverEvent,
} from "./types.ts";
import { HANDOVER_CANCEL_PAYLOAD } from "./types.ts";

/** One situation a handover can be in: a state, sometimes with a sub-state that changes behaviour. */
export interface LifecycleSituation {
  readonly id: string;
  readonly state: HandoverState;
  readonly title: string;
  readonly machine: HandoverMachineState;
}

/** What one event does in one situation. */
export interface LifecycleRow {
  readonly situation: string;
  readonly from: HandoverState;
  readonly event: string;
  readonly to: HandoverState;
  readonly ignored: boolean;
  /** Effects in order, summarised (`user.say(agentJoined)`), without the log. */
  readonly effects: readonly string[];
  /** The log's note: why. */
  readonly note?: string;
  /** The flow.resume of a terminal transition, if any. */
  readonly resume?: Extract<HandoverEffect, { readonly type: "flow.resume" }>;
}

/** The request the table is derived with: every option on, so every effect shows. */
export const tableRequest: HandoverRequest = {
  providerId: "eight",
  provider: { channelId: "channel-1", queueId: "311" },
  acceptedMessage: "Connecting you to a person…",
  repeatAcceptedMessage: true,
  cancelIntent: { keywords: ["cancel"] },
  cancelButtonText: "Cancel",
  onResolve: "belowNode",
  sendQueueEvent: true,
  sendActiveEvent: true,
  sendResolveEvent: true,
  transcript: { mode: "full" },
  maxQueueWaitSeconds: 300,
};

/** The policy the table is derived with: the agent-left grace 8x8 declares (its ProviderCapabilities). */
export const tablePolicy: HandoverPolicy = { agentLeftGraceSeconds: 10 };

const start = 1_000_000;
/** Events are applied late enough for every armed timer to be due. */
const later = start + 24 * 3600 * 1000;

type EventSample = { readonly label: string; readonly event: HandoverEvent };

function sample(label: string, event: UntimedHandoverEvent): EventSample {
  return { label, event: { ...event, at: later } };
}

/** One representative of each event, and of each variant the machine tells apart. */
export const eventSamples: readonly EventSample[] = [
  sample("request.created", { type: "request.created", providerConversationId: "conversation-1" }),
  sample("request.failed", { type: "request.failed", reason: "error", message: "503 from the provider" }),
  sample("provider.conversationState created", { type: "provider.conversationState", state: "created" }),
  sample("provider.conversationState active, queue assigned", {
    type: "provider.conversationState",
    state: "active",
    assignment: { type: "queue", id: "312" },
  }),
  sample("provider.conversationState active, agent assigned", {
    type: "provider.conversationState",
    state: "active",
    assignment: { type: "agent", id: "agent-2" },
  }),
  sample("provider.conversationState idle", { type: "provider.conversationState", state: "idle" }),
  sample("provider.queued (another queue)", {
    type: "provider.queued",
    queueId: "312",
    queueName: "Billing",
  }),
  sample("provider.agentJoined (the current agent)", { type: "provider.agentJoined", agentId: "agent-1" }),
  sample("provider.agentJoined (another agent)", { type: "provider.agentJoined", agentId: "agent-2" }),
  sample("provider.agentLeft (the current agent)", { type: "provider.agentLeft", agentId: "agent-1" }),
  sample("provider.transferred", { type: "provider.transferred" }),
  sample("provider.userLeft", { type: "provider.userLeft" }),
  sample("provider.agentMessage", {
    type: "provider.agentMessage",
    agentId: "agent-1",
    text: "Hello",
    attachments: [],
    cards: [],
  }),
  sample("provider.agentTyping", { type: "provider.agentTyping", active: true }),
  sample("provider.rejected", {
    type: "provider.rejected",
    operation: "send",
    message: "BATON_ERR_8X8_REQUEST_REJECTED: 8x8 rejected the request.",
  }),
  sample("provider.cardAction (cancel quick reply)", {
    type: "provider.cardAction",
    cardKind: "quickReply",
    actionType: "postback",
    data: { title: "Cancel", payload: HANDOVER_CANCEL_PAYLOAD },
  }),
  sample("provider.cardAction (any other)", {
    type: "provider.cardAction",
    cardKind: "adaptiveCard",
    actionType: "Action.Submit",
    data: { answer: 1 },
  }),
  sample("user.message", { type: "user.message", text: "My order is late" }),
  sample("user.message (cancel intent)", { type: "user.message", text: "cancel please" }),
  sample("user.cancel", { type: "user.cancel" }),
  sample("user.typing", { type: "user.typing", active: true }),
  sample("user.connection lost", { type: "user.connection", connected: false }),
  sample("bot.close", { type: "bot.close" }),
  sample("bot.setInactivity", { type: "bot.setInactivity", seconds: 120 }),
  sample("timer.fired queueWait", { type: "timer.fired", timer: "queueWait" }),
  sample("timer.fired agentLeftGrace", { type: "timer.fired", timer: "agentLeftGrace" }),
  sample("timer.fired inactivity", { type: "timer.fired", timer: "inactivity" }),
];

function drive(events: readonly UntimedHandoverEvent[]): HandoverMachineState {
  let state = initialState(tableRequest, start, "handover-1", tablePolicy).state;
  events.forEach((event, index) => {
    state = transition(state, { ...event, at: start + (index + 1) * 1000 }).state;
  });
  return state;
}

const toQueued = [
  { type: "request.created", providerConversationId: "conversation-1" },
  { type: "provider.queued", queueId: "311", queueName: "Support" },
  { type: "bot.setInactivity", seconds: 120 },
] as const;
const toActive = [
  ...toQueued,
  { type: "provider.agentJoined", agentId: "agent-1", agentName: "Anna" },
] as const;

/** The situations of an open handover, reached by real transitions; terminal states follow from them. */
export function lifecycleSituations(): LifecycleSituation[] {
  const open: Omit<LifecycleSituation, "state">[] = [
    { id: "requested", title: "requested", machine: drive([]) },
    { id: "queued", title: "queued", machine: drive(toQueued) },
    { id: "active", title: "active", machine: drive(toActive) },
    {
      id: "active-agent-left",
      title: "active, the agent's left held (grace)",
      machine: drive([...toActive, { type: "provider.agentLeft", agentId: "agent-1" }]),
    },
    {
      id: "transferring",
      title: "transferring, the transferring agent still in",
      machine: drive([...toActive, { type: "provider.transferred" }]),
    },
    {
      id: "transferring-agent-left",
      title: "transferring, the transferring agent left",
      machine: drive([
        ...toActive,
        { type: "provider.transferred" },
        { type: "provider.agentLeft", agentId: "agent-1" },
      ]),
    },
  ];
  const terminal: Omit<LifecycleSituation, "state">[] = [
    {
      id: "completed",
      title: "completed",
      machine: drive([...toActive, { type: "provider.conversationState", state: "idle" }]),
    },
    { id: "cancelled", title: "cancelled", machine: drive([...toQueued, { type: "user.cancel" }]) },
    { id: "closed_by_bot", title: "closed_by_bot", machine: drive([...toActive, { type: "bot.close" }]) },
    { id: "abandoned", title: "abandoned", machine: drive([...toActive, { type: "provider.userLeft" }]) },
    {
      id: "error",
      title: "error",
      machine: drive([{ type: "request.failed", reason: "error", message: "503 from the provider" }]),
    },
  ];
  return [...open, ...terminal].map((situation) => ({ ...situation, state: situation.machine.state }));
}

/** Every (situation, event sample) pair and what the machine does with it. */
export function lifecycleRows(): LifecycleRow[] {
  const rows: LifecycleRow[] = [];
  for (const situation of lifecycleSituations()) {
    for (const { label, event } of eventSamples) {
      const { state, effects } = transition(situation.machine, event);
      const log = effects.find((effect) => effect.type === "log");
      const resume = effects.find((effect) => effect.type === "flow.resume");
      rows.push({
        situation: situation.id,
        from: situation.state,
        event: label,
        to: state.state,
        ignored: log?.ignored ?? false,
        effects: effects.filter((effect) => effect.type !== "log").map(summarise),
        ...(log?.note !== undefined ? { note: log.note } : {}),
        ...(resume !== undefined ? { resume } : {}),
      });
    }
  }
  return rows;
}

/** A short, stable rendering of one effect for the docs. */
export function summarise(effect: HandoverEffect): string {
  switch (effect.type) {
    case "provider.create":
    case "provider.typing":
    case "provider.userLeaves":
    case "provider.sendUserMessage":
      return effect.type;
    case "provider.notifyAgent":
      return `${effect.type}(${effect.messageKey})`;
    case "user.say":
      return `${effect.type}(${effect.messageKey})`;
    case "user.sayText":
      return `${effect.type}(acceptedMessage)`;
    case "user.relayAgentMessage":
      return effect.type;
    case "user.typing":
      return `${effect.type}(${effect.active ? "on" : "off"})`;
    case "user.banner":
      return `${effect.type}(${effect.banner.state})`;
    case "flow.event":
      return `${effect.type}(${effect.input.status}${effect.input.inactivityCount !== undefined ? ` #${effect.input.inactivityCount}` : ""})`;
    case "flow.resume":
      return `${effect.type}(${[effect.input.status, effect.input.reason].filter((part) => part !== undefined).join("/")})`;
    case "timer.set":
    case "timer.cancel":
      return `${effect.type}(${effect.timer})`;
    case "log":
      return `log(${effect.from} → ${effect.to})`;
  }
}

/** How a handover starts: `initialState`, or `unsupportedState` when the channel cannot hand over. */
export function startRows(): LifecycleRow[] {
  const starts = [
    { event: "initialState", result: initialState(tableRequest, start, "handover-1", tablePolicy) },
    {
      event: "unsupportedState",
      result: unsupportedState(tableRequest, start, "handover-1", "this channel cannot hand over"),
    },
  ];
  return starts.map(({ event, result }) => {
    const log = result.effects.find((effect) => effect.type === "log");
    const resume = result.effects.find((effect) => effect.type === "flow.resume");
    return {
      situation: "start",
      from: "requested",
      event,
      to: result.state.state,
      ignored: false,
      effects: result.effects.filter((effect) => effect.type !== "log").map(summarise),
      ...(log?.note !== undefined ? { note: log.note } : {}),
      ...(resume !== undefined ? { resume } : {}),
    };
  });
}
