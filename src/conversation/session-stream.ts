import type { Bus } from "../bus/types.ts";
import type { ConversationMessage, HandoverBanner } from "../protocol/messages.ts";

/**
 * What happens live in one session, as the core tells it: a message shown (user, bot, agent, system), the
 * handover banner changing, the agent typing. Channels translate it into their own wire frames (the web
 * chat's socket frames, say); the core never speaks a channel's protocol.
 */
export type SessionStreamEvent =
  | { readonly type: "message"; readonly message: ConversationMessage }
  | { readonly type: "banner"; readonly banner: HandoverBanner }
  | {
      readonly type: "typing";
      readonly source: "agent";
      readonly active: boolean;
      readonly agentName?: string;
    };

/**
 * Live updates of one session travel on one bus topic. Any instance holding a socket of the session
 * subscribes; whichever instance acts on the conversation publishes.
 */
export function sessionTopic(sessionKey: string): string {
  return `session:${sessionKey}`;
}

/** The lock under which every change to one session happens (inputs, provider events, timers). */
export function sessionLock(sessionKey: string): string {
  return `session-lock:${sessionKey}`;
}

export function publishToSession(bus: Bus, sessionKey: string, event: SessionStreamEvent): Promise<void> {
  return bus.publish(sessionTopic(sessionKey), event);
}
