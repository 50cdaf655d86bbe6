import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { WebchatServerFrame } from "../../../src/protocol/webchat.ts";
import { demoFlow, startEmbedded } from "../../factories/embedded-gateway.ts";
import { connectWebchat } from "../../factories/webchat-client.ts";
import { waitFor } from "../../factories/wait-for.ts";

const secret = "s".repeat(40);

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const answer = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: answer.status, body: (await answer.json()) as { error?: { code: string } } };
}

describe("abuse limits (server.limits)", () => {
  it("limits each token route per client address with 429 BATON_ERR_HTTP_RATE_LIMITED", async () => {
    const { gateway, webToken } = await startEmbedded({
      server: { limits: { tokenRoutesPerMinute: 3 } },
      endpoints: { api: { channel: "rest", flow: demoFlow, apiSecret: secret } },
    });
    const apiToken = gateway.endpoints.get("api")!.urlToken;
    const turn = { userId: "u1", sessionId: "s1", text: "hi" };
    for (let i = 0; i < 3; i++)
      expect((await post(`${gateway.url}/endpoints/${webToken}`, turn)).status).toBe(200);
    const limited = await post(`${gateway.url}/endpoints/${webToken}`, turn);
    expect(limited.status).toBe(429);
    expect(limited.body.error?.code).toBe("BATON_ERR_HTTP_RATE_LIMITED");
    // Refusals count too: a guesser of secrets is limited like anyone else.
    const wrong = { authorization: "Bearer wrong" };
    for (let i = 0; i < 3; i++)
      expect(
        (await post(`${gateway.url}/notify/${apiToken}`, { userId: "u", sessionId: "s", text: "x" }, wrong))
          .status,
      ).toBe(401);
    const notify = await post(
      `${gateway.url}/notify/${apiToken}`,
      { userId: "u", sessionId: "s", text: "x" },
      wrong,
    );
    expect(notify.status).toBe(429);
    expect(notify.body.error?.code).toBe("BATON_ERR_HTTP_RATE_LIMITED");
    // The bot API's routes as well (here refused: the endpoint is no external bot's).
    const session = `${gateway.url}/endpoints/${apiToken}/sessions/s?userId=u`;
    for (let i = 0; i < 3; i++) expect((await fetch(session)).status).not.toBe(429);
    expect((await fetch(session)).status).toBe(429);
  });

  it("counts per client address: X-Forwarded-For only with server.trustProxy", async () => {
    const trusted = await startEmbedded({
      server: { trustProxy: true, limits: { tokenRoutesPerMinute: 2 } },
    });
    const url = `${trusted.gateway.url}/endpoints/${trusted.webToken}`;
    const turn = { userId: "u1", sessionId: "s1", text: "hi" };
    const from = (address: string) => ({ "x-forwarded-for": address });
    expect((await post(url, turn, from("203.0.113.1"))).status).toBe(200);
    expect((await post(url, turn, from("203.0.113.1"))).status).toBe(200);
    expect((await post(url, turn, from("203.0.113.1"))).status).toBe(429);
    // Another client behind the same proxy is not held back by the first one.
    expect((await post(url, turn, from("203.0.113.2"))).status).toBe(200);

    const direct = await startEmbedded({ server: { limits: { tokenRoutesPerMinute: 2 } } });
    const directUrl = `${direct.gateway.url}/endpoints/${direct.webToken}`;
    // Without trustProxy the header is the client's word, not its address: both share 127.0.0.1.
    expect((await post(directUrl, turn, from("203.0.113.1"))).status).toBe(200);
    expect((await post(directUrl, turn, from("203.0.113.2"))).status).toBe(200);
    expect((await post(directUrl, turn, from("203.0.113.3"))).status).toBe(429);
  });

  it("limits new sessions per address (REST and web chat hello together); known sessions go on", async () => {
    const { gateway, webToken } = await startEmbedded({ server: { limits: { sessionsPerMinute: 2 } } });
    const url = `${gateway.url}/endpoints/${webToken}`;
    expect((await post(url, { userId: "u1", sessionId: "s1", text: "hi" })).status).toBe(200);
    await connectWebchat(gateway.url, webToken, { userId: "u2", sessionId: "s2" });
    const third = await post(url, { userId: "u3", sessionId: "s3", text: "hi" });
    expect(third.status).toBe(429);
    expect(third.body.error?.code).toBe("BATON_ERR_SESSION_RATE_LIMITED");
    expect(await gateway.store.sessions.find({ endpointId: "web", userId: "u3", sessionId: "s3" })).toBe(
      undefined,
    );
    // The sessions already open are not affected: the next turn and a reconnect both work.
    expect((await post(url, { userId: "u1", sessionId: "s1", text: "again" })).status).toBe(200);
    await connectWebchat(gateway.url, webToken, { userId: "u2", sessionId: "s2", lastSeq: 100 });

    // A hello for a new session gets an error frame; the socket stays open.
    const socket = new WebSocket(`${gateway.url.replace(/^http/, "ws")}/endpoints/${webToken}/ws`);
    const frames: WebchatServerFrame[] = [];
    socket.on("message", (raw: Buffer) => frames.push(JSON.parse(raw.toString()) as WebchatServerFrame));
    await new Promise((resolve) => socket.once("open", resolve));
    socket.send(JSON.stringify({ type: "hello", userId: "u4", sessionId: "s4" }));
    const error = await waitFor(() => frames.find((f) => f.type === "error"), 5_000, "an error frame");
    expect(error).toMatchObject({ code: "BATON_ERR_SESSION_RATE_LIMITED" });
    expect(socket.readyState).toBe(WebSocket.OPEN);
    socket.close();
  });

  it("limits frames per web chat connection: error frames first, 4429 when the client keeps going", async () => {
    const { gateway, webToken } = await startEmbedded({ server: { limits: { webchatFramesPerMinute: 5 } } });
    const socket = new WebSocket(`${gateway.url.replace(/^http/, "ws")}/endpoints/${webToken}/ws`);
    const frames: WebchatServerFrame[] = [];
    let closed: number | undefined;
    socket.on("message", (raw: Buffer) => frames.push(JSON.parse(raw.toString()) as WebchatServerFrame));
    socket.on("close", (code) => (closed = code));
    await new Promise((resolve) => socket.once("open", resolve));
    socket.send(JSON.stringify({ type: "hello", userId: "u1", sessionId: "s1" }));
    await waitFor(() => frames.find((f) => f.type === "ready"), 5_000, "ready");
    for (let i = 0; i < 4; i++) socket.send(JSON.stringify({ type: "typing", active: i % 2 === 0 }));
    socket.send(JSON.stringify({ type: "typing", active: true })); // the 6th frame: over the limit
    const limited = (f: WebchatServerFrame) =>
      f.type === "error" && (f as { code?: string }).code === "BATON_ERR_WEBCHAT_RATE_LIMITED";
    await waitFor(() => frames.find(limited), 5_000, "a rate-limit error frame");
    expect(closed).toBe(undefined);
    for (let i = 0; i < 10; i++) socket.send(JSON.stringify({ type: "typing", active: true }));
    expect(await waitFor(() => closed, 5_000, "the close")).toBe(4429);
    expect(frames.filter(limited)).toHaveLength(11); // ten error frames, then the closing one
  });
});
