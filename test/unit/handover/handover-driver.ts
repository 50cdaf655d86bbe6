/**
 * A small driver for the pure handover machine: starts a handover, feeds events with a moving clock, keeps
 * every transition's effects. Test support only (no assertions here).
 */
import {
  initialState,
  transition,
  type HandoverEffect,
  type HandoverEffectType,
  type HandoverMachineState,
  type HandoverPolicy,
  type UntimedHandoverEvent,
} from "../../../src/handover/machine/index.ts";
import type { HandoverRequest } from "../../../src/handover/types.ts";

export const T0 = 1_767_225_600_000;

/** The agent-left grace the machine tests run with (what 8x8 declares). */
export const AGENT_LEFT_GRACE_SECONDS = 10;

export function handoverRequest(overrides: Partial<HandoverRequest> = {}): HandoverRequest {
  return {
    providerId: "eight",
    provider: { channelId: "channel-1", queueId: "311" },
    repeatAcceptedMessage: false,
    onResolve: "belowNode",
    sendQueueEvent: false,
    sendActiveEvent: false,
    sendResolveEvent: false,
    transcript: { mode: "full" },
    ...overrides,
  };
}

export interface Driver {
  readonly state: HandoverMachineState;
  /** Effects of the last transition. */
  readonly effects: readonly HandoverEffect[];
  /** Effects of every transition so far, initialState's first. */
  readonly history: readonly (readonly HandoverEffect[])[];
  readonly now: number;
  /** Applies the event `stepMs` (default 1 s) after the previous one, or at `at`. */
  send(event: UntimedHandoverEvent, at?: number): readonly HandoverEffect[];
}

export function startHandover(
  overrides: Partial<HandoverRequest> = {},
  handoverId = "handover-1",
  policy: HandoverPolicy = { agentLeftGraceSeconds: AGENT_LEFT_GRACE_SECONDS },
): Driver {
  let now = T0;
  let { state, effects } = initialState(handoverRequest(overrides), now, handoverId, policy);
  const history: (readonly HandoverEffect[])[] = [effects];
  return {
    get state() {
      return state;
    },
    get effects() {
      return effects;
    },
    get history() {
      return history;
    },
    get now() {
      return now;
    },
    send(event, at) {
      now = at ?? now + 1000;
      ({ state, effects } = transition(state, { ...event, at: now }));
      history.push(effects);
      return effects;
    },
  };
}

/** Common openings. */
export function queued(overrides: Partial<HandoverRequest> = {}): Driver {
  const driver = startHandover(overrides);
  driver.send({ type: "request.created", providerConversationId: "cv-1" });
  driver.send({ type: "provider.queued", queueId: "311", queueName: "Support EN" });
  return driver;
}

export function active(overrides: Partial<HandoverRequest> = {}): Driver {
  const driver = queued(overrides);
  driver.send({ type: "provider.agentJoined", agentId: "agent-anna", agentName: "Anna" });
  return driver;
}

/** Effect types in order, without the log. */
export function kinds(effects: readonly HandoverEffect[]): string[] {
  return effects.filter((effect) => effect.type !== "log").map((effect) => effect.type);
}

export function effectsOf<T extends HandoverEffectType>(
  effects: readonly HandoverEffect[],
  type: T,
): Extract<HandoverEffect, { readonly type: T }>[] {
  return effects.filter(
    (effect): effect is Extract<HandoverEffect, { readonly type: T }> => effect.type === type,
  );
}

export function logOf(effects: readonly HandoverEffect[]): Extract<HandoverEffect, { readonly type: "log" }> {
  const logs = effectsOf(effects, "log");
  if (logs.length !== 1) throw new Error(`expected exactly one log effect, got ${logs.length}`);
  return logs[0]!;
}

export function resumesIn(
  history: readonly (readonly HandoverEffect[])[],
): Extract<HandoverEffect, { readonly type: "flow.resume" }>[] {
  return history.flatMap((effects) => effectsOf(effects, "flow.resume"));
}
