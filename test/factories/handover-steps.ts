import type { ConversationSummary } from "../../simulator/src/index.ts";
import type { ConversationMessage } from "../../src/protocol/messages.ts";
import type { WebchatServerFrame } from "../../src/protocol/webchat.ts";
import type { simulatorAgent } from "./simulator-agent.ts";
import type { WebchatTestClient } from "./webchat-client.ts";
import { waitFor } from "./wait-for.ts";

export type SimulatorAgent = ReturnType<typeof simulatorAgent>;

/** Matches the web chat's `handover` frame with the given banner state. */
export const isBanner =
  (state: string) =>
  (f: WebchatServerFrame): f is Extract<WebchatServerFrame, { type: "handover" }> =>
    f.type === "handover" && f.banner.state === state;

/** Matches a message by source whose text contains `part`. */
export const says =
  (source: ConversationMessage["source"], part: string) =>
  (m: ConversationMessage): boolean =>
    m.source === source && (m.text ?? "").includes(part);

/** The first frame after index `from` that matches (frames before it belong to earlier steps). */
export function frameAfter<T extends WebchatServerFrame>(
  chat: WebchatTestClient,
  from: number,
  match: (frame: WebchatServerFrame) => frame is T,
  timeoutMs = 10_000,
): Promise<T> {
  return waitFor(() => chat.frames.slice(from).find(match), timeoutMs, "a web chat frame");
}

/** The first message frame after index `from` that matches. */
export async function messageAfter(
  chat: WebchatTestClient,
  from: number,
  match: (message: ConversationMessage) => boolean,
  timeoutMs = 10_000,
): Promise<ConversationMessage> {
  const frame = await frameAfter(
    chat,
    from,
    (f): f is Extract<WebchatServerFrame, { type: "message" }> => f.type === "message" && match(f.message),
    timeoutMs,
  );
  return frame.message;
}

/**
 * The demo flow's way to a person (after its greeting): "talk to a human", the accepted message and the
 * queued banner, all looked for among the frames that arrive from now on. Resolves with the simulator
 * conversation waiting in the queue for this user.
 */
export async function askForHuman(
  chat: WebchatTestClient,
  agent: SimulatorAgent,
  userId: string,
): Promise<ConversationSummary> {
  const from = chat.frames.length;
  const known = new Set(agent.conversationIds());
  await chat.say("talk to a human");
  await messageAfter(chat, from, says("bot", "connecting you with a person"));
  await frameAfter(chat, from, isBanner("queued"));
  return agent.waitForConversation(
    (c) => c.status === "queued" && c.user?.userId === userId && !known.has(c.id),
  );
}

/** `askForHuman`, then the agent accepts and the user sees the join and the active banner. */
export async function reachAgent(
  chat: WebchatTestClient,
  agent: SimulatorAgent,
  userId: string,
  agentId = "agent-anna",
): Promise<ConversationSummary> {
  const waiting = await askForHuman(chat, agent, userId);
  const from = chat.frames.length;
  await agent.accept(waiting.id, agentId);
  await messageAfter(chat, from, says("system", "joined"));
  await frameAfter(chat, from, isBanner("active"));
  return waiting;
}
