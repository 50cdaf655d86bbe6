import type { Bus } from "../bus/types.ts";
import type { WebchatServerFrame } from "../protocol/webchat.ts";

/**
 * Live updates of one session travel on one bus topic, as the web chat's own server frames. Any instance
 * holding a socket of the session subscribes; whichever instance acts on the conversation publishes.
 */
export function sessionTopic(sessionKey: string): string {
  return `session:${sessionKey}`;
}

/** The lock under which every change to one session happens (inputs, provider events, timers). */
export function sessionLock(sessionKey: string): string {
  return `session-lock:${sessionKey}`;
}

export function publishToSession(bus: Bus, sessionKey: string, frame: WebchatServerFrame): Promise<void> {
  return bus.publish(sessionTopic(sessionKey), frame);
}
