import WebSocket from "ws";
import { onTestFinished } from "vitest";
import type { ConversationMessage } from "../../src/protocol/messages.ts";
import type { WebchatClientFrame, WebchatServerFrame } from "../../src/protocol/webchat.ts";
import { waitFor } from "./wait-for.ts";

export interface WebchatTestClient {
  /** Every frame received, in order. */
  readonly frames: readonly WebchatServerFrame[];
  /** The message frames' messages, in arrival order. */
  messages(): ConversationMessage[];
  send(frame: WebchatClientFrame): void;
  /** Sends a user message and resolves with its ack's seq. */
  say(text: string, extra?: Partial<Extract<WebchatClientFrame, { type: "message" }>>): Promise<number>;
  /** Sends files (with optional text), as the page's attach button does, and resolves with the ack's seq. */
  sendFiles(
    files: NonNullable<Extract<WebchatClientFrame, { type: "message" }>["attachments"]>,
    text?: string,
  ): Promise<number>;
  waitForFrame<T extends WebchatServerFrame>(
    match: (frame: WebchatServerFrame) => frame is T,
    timeoutMs?: number,
  ): Promise<T>;
  waitForMessage(
    match: (message: ConversationMessage) => boolean,
    timeoutMs?: number,
  ): Promise<ConversationMessage>;
  close(): Promise<void>;
}

/**
 * A web chat client over a real WebSocket, speaking src/protocol/webchat.ts like the page does: `hello`,
 * then messages with client ids, acks awaited. Closed when the test ends.
 */
export async function connectWebchat(
  gatewayUrl: string,
  urlToken: string,
  hello: { userId: string; sessionId: string; lastSeq?: number; locale?: string },
): Promise<WebchatTestClient> {
  const socket = new WebSocket(`${gatewayUrl.replace(/^http/, "ws")}/endpoints/${urlToken}/ws`);
  const frames: WebchatServerFrame[] = [];
  socket.on("message", (raw: Buffer) => frames.push(JSON.parse(raw.toString("utf8")) as WebchatServerFrame));
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  onTestFinished(() => {
    socket.terminate();
  });
  const send = (frame: WebchatClientFrame) => socket.send(JSON.stringify(frame));
  send({ type: "hello", ...hello });
  let counter = 0;
  const nextClientMessageId = () => {
    counter += 1;
    return `${hello.sessionId}-${counter}-${Math.random().toString(16).slice(2)}`;
  };
  const acked = (clientMessageId: string) =>
    client.waitForFrame(
      (f): f is Extract<WebchatServerFrame, { type: "ack" }> =>
        f.type === "ack" && f.clientMessageId === clientMessageId,
    );

  const client: WebchatTestClient = {
    frames,
    messages: () => frames.flatMap((f) => (f.type === "message" ? [f.message] : [])),
    send,
    async say(text, extra = {}) {
      const clientMessageId = nextClientMessageId();
      send({ type: "message", clientMessageId, text, ...extra });
      return (await acked(extra.clientMessageId ?? clientMessageId)).seq;
    },
    async sendFiles(files, text) {
      const clientMessageId = nextClientMessageId();
      send({ type: "message", clientMessageId, attachments: files, ...(text !== undefined ? { text } : {}) });
      return (await acked(clientMessageId)).seq;
    },
    waitForFrame(match, timeoutMs = 10_000) {
      return waitFor(() => frames.find(match), timeoutMs, "a web chat frame");
    },
    waitForMessage(match, timeoutMs = 10_000) {
      return waitFor(() => client.messages().find(match), timeoutMs, "a web chat message");
    },
    async close() {
      socket.close();
      await closed;
    },
  };
  await client.waitForFrame((f): f is Extract<WebchatServerFrame, { type: "ready" }> => f.type === "ready");
  return client;
}
