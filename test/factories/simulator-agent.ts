import { request } from "undici";
import type { ConversationSummary, Simulator } from "../../simulator/src/index.ts";
import { waitFor } from "./wait-for.ts";

/** A message as the simulator's control API lists it (8x8's MessageResult plus attachment details). */
export interface SimulatorMessage {
  readonly id: string;
  readonly text: string;
  readonly author: { readonly id: string; readonly type: string };
  readonly attachments: readonly {
    readonly id: string;
    readonly fileName: string;
    readonly contentType: string;
    readonly type: string;
    readonly sizeInBytes: number;
    readonly url: string;
  }[];
}

/** Plays the 8x8 agent through the simulator's control API, as the agent console does. */
export function simulatorAgent(simulator: Simulator) {
  async function control(method: "GET" | "POST", path: string, body?: unknown): Promise<unknown> {
    const response = await request(`${simulator.url}/sim${path}`, {
      method,
      headers: { "content-type": "application/json" },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.body.text();
    if (response.statusCode >= 300)
      throw new Error(`control ${method} ${path}: ${response.statusCode} ${text}`);
    return text === "" ? undefined : (JSON.parse(text) as unknown);
  }
  return {
    /** The first simulator conversation that matches (polling). */
    waitForConversation(match: (c: ConversationSummary) => boolean, timeoutMs = 10_000) {
      return waitFor(() => simulator.conversations().find(match), timeoutMs, "a simulator conversation");
    },
    /** Ids of every simulator conversation so far. */
    conversationIds: () => simulator.conversations().map((c) => c.id),
    accept: (conversationId: string, agentId?: string) =>
      control("POST", `/conversations/${conversationId}/accept`, agentId !== undefined ? { agentId } : {}),
    say: (conversationId: string, text: string) =>
      control("POST", `/conversations/${conversationId}/messages`, { text }),
    /** The agent sends files (and optional text), as the console's "Attach file" does. */
    sendFiles: (
      conversationId: string,
      files: readonly { fileName: string; contentType: string; base64: string }[],
      text?: string,
    ) =>
      control("POST", `/conversations/${conversationId}/messages`, {
        attachments: files,
        ...(text !== undefined ? { text } : {}),
      }),
    /** The conversation's messages with each attachment's name, type and pre-signed link, oldest first. */
    async messages(conversationId: string): Promise<SimulatorMessage[]> {
      const body = (await control("GET", `/conversations/${conversationId}/messages`)) as {
        messages: SimulatorMessage[];
      };
      return body.messages;
    },
    /** The Copilot workspace link the gateway posted into the conversation for the agent, once it is there. */
    copilotLink(conversationId: string, timeoutMs = 10_000): Promise<string> {
      return waitFor(
        async () =>
          (await this.messages(conversationId))
            .map((m) => m.text.match(/https?:\/\/\S+\/copilot\/\?\S+/)?.[0])
            .find((url) => url !== undefined),
        timeoutMs,
        "the copilot link at the agent",
      );
    },
    typing: (conversationId: string) => control("POST", `/conversations/${conversationId}/typing`, {}),
    transfer: (conversationId: string, queueId: string) =>
      control("POST", `/conversations/${conversationId}/transfer`, { queueId }),
    close: (conversationId: string) => control("POST", `/conversations/${conversationId}/close`, {}),
    /** The conversation's participants as the 8x8 API lists them (`removed: true` after leaving). */
    async participants(conversationId: string): Promise<{ id: string; type: string; removed?: boolean }[]> {
      const response = await request(
        `${simulator.url}/chat-gateway/v1/conversations/${conversationId}/participants`,
        { headers: { "x-api-key": simulator.apiKey } },
      );
      const text = await response.body.text();
      if (response.statusCode >= 300) throw new Error(`participants: ${response.statusCode} ${text}`);
      const body = JSON.parse(text) as {
        _embedded?: { participants?: { id: string; type: string; removed?: boolean }[] };
      };
      return body._embedded?.participants ?? [];
    },
    /** Texts of the conversation's messages, oldest first, with their author types. */
    async transcript(conversationId: string): Promise<{ authorType: string; text: string }[]> {
      const body = (await control("GET", `/conversations/${conversationId}/messages`)) as {
        messages: { author: { type: string }; text?: string }[];
      };
      return body.messages.map((m) => ({ authorType: m.author.type, text: m.text ?? "" }));
    },
  };
}
