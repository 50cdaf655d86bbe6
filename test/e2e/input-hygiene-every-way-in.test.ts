import { request } from "undici";
import WebSocket from "ws";
import { describe, expect, it, onTestFinished } from "vitest";
import type { WebchatServerFrame } from "../../src/protocol/webchat.ts";
import { botSecret, startBotGateway, type BotSetup } from "../factories/bot-gateway.ts";
import { connectWebchat } from "../factories/webchat-client.ts";
import { waitFor } from "../factories/wait-for.ts";

const dirty = "nul\u0000 and lone \ud800 surrogate";
const cleaned = "nul\uFFFD and lone \uFFFD surrogate";
const deep = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

interface Answer {
  readonly error?: { readonly code: string; readonly field?: string; readonly expected?: string };
  readonly message?: { readonly text?: string; readonly quickReplies?: unknown };
}

/** Posts raw JSON text (so a test can send what JSON.stringify never would, or would overflow on). */
async function post(setup: BotSetup, path: string, body: string, bearer?: string) {
  const response = await request(`${setup.gateway.url}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(bearer !== undefined ? { authorization: `Bearer ${bearer}` } : {}),
    },
    body,
  });
  const text = await response.body.text();
  return { status: response.statusCode, json: JSON.parse(text) as Answer };
}

async function sessionsOf(setup: BotSetup, userId: string) {
  return (await setup.gateway.store.sessions.list()).filter((session) => session.userId === userId);
}

async function textsOf(setup: BotSetup, userId: string) {
  const [session] = await sessionsOf(setup, userId);
  if (session === undefined) return [];
  return (await setup.gateway.store.messages.listAfter(session.id, 0)).map((m) => m.text);
}

describe("input hygiene over HTTP (REST, inject, notify, bot API)", () => {
  it("stores NUL and lone surrogates as U+FFFD, in text and in data keys and values, and never answers 5xx", async () => {
    const setup = await startBotGateway();
    const rest = await post(
      setup,
      `/endpoints/${setup.webToken}`,
      JSON.stringify({ userId: "rest-u", sessionId: "rest-s", text: dirty }),
    );
    expect(rest.status).toBe(200);
    expect(await textsOf(setup, "rest-u")).toContain(cleaned);

    // Raw JSON text: a lone surrogate escape and a NUL escape in a data key and value.
    const withData = await post(
      setup,
      `/endpoints/${setup.webToken}`,
      '{"userId":"rest-d","sessionId":"rest-d-s","data":{"k\\u0000":["\\udc00x",{"v":"\\u0000"}]}}',
    );
    expect(withData.status).toBe(200);
    const [session] = await sessionsOf(setup, "rest-d");
    const [stored] = await setup.gateway.store.messages.listAfter(session!.id, 0);
    expect(stored?.data).toEqual({ "k\uFFFD": ["\uFFFDx", { v: "\uFFFD" }] });

    const inject = await post(
      setup,
      `/inject/${setup.botToken}`,
      JSON.stringify({ userId: "inject-u", sessionId: "inject-s", text: dirty, data: { [dirty]: dirty } }),
      botSecret,
    );
    expect(inject.status).toBe(200);

    const notify = await post(
      setup,
      `/notify/${setup.botToken}`,
      JSON.stringify({
        userId: "notify-u",
        sessionId: "notify-s",
        text: dirty,
        quickReplies: [{ title: dirty, payload: dirty }],
      }),
      botSecret,
    );
    expect(notify.status).toBe(200);
    expect(notify.json.message?.text).toBe(cleaned);
    expect(notify.json.message?.quickReplies).toEqual([{ title: cleaned, payload: cleaned }]);
    expect(await textsOf(setup, "notify-u")).toEqual([cleaned]);

    const handover = await post(
      setup,
      `/endpoints/${setup.botToken}/handover`,
      JSON.stringify({
        userId: "bot-u",
        sessionId: "bot-s",
        acceptedMessage: dirty,
        jsonProperties: { [`key${dirty}`]: dirty },
      }),
      botSecret,
    );
    expect(handover.status).toBe(202);
    const [botSession] = await sessionsOf(setup, "bot-u");
    const open = await setup.gateway.store.handovers.findOpenBySession(botSession!.id);
    expect(open?.request).toMatchObject({
      acceptedMessage: cleaned,
      provider: { jsonProperties: { [`key${cleaned}`]: cleaned } },
    });
  });

  it("refuses JSON nested 200 000 deep with BATON_ERR_INPUT_TOO_DEEP (400) on every route, creating no session", async () => {
    const setup = await startBotGateway();
    const body = (userId: string) =>
      `{"userId":"${userId}","sessionId":"${userId}-s","text":"x","data":{"deep":${deep(200_000)}}}`;
    const calls = [
      { path: `/endpoints/${setup.webToken}`, user: "deep-rest" },
      { path: `/inject/${setup.botToken}`, user: "deep-inject", bearer: botSecret },
      { path: `/notify/${setup.botToken}`, user: "deep-notify", bearer: botSecret },
      { path: `/endpoints/${setup.botToken}/handover`, user: "deep-bot", bearer: botSecret },
    ];
    for (const call of calls) {
      const answer = await post(setup, call.path, body(call.user), call.bearer);
      expect(answer.status, call.path).toBe(400);
      expect(answer.json.error).toMatchObject({
        code: "BATON_ERR_INPUT_TOO_DEEP",
        field: "(body)",
        expected: expect.stringContaining("64"),
      });
      expect(await sessionsOf(setup, call.user), call.path).toEqual([]);
    }
    // Sixty-four levels are fine (data itself is two of them).
    const ok = await post(
      setup,
      `/endpoints/${setup.webToken}`,
      `{"userId":"deep-ok","sessionId":"deep-ok-s","data":{"d":${deep(62)}}}`,
    );
    expect(ok.status).toBe(200);
  });

  it("refuses a body over the HTTP limit with BATON_ERR_HTTP_BODY_TOO_LARGE (413), creating no session", async () => {
    const setup = await startBotGateway();
    const answer = await post(
      setup,
      `/endpoints/${setup.webToken}`,
      JSON.stringify({ userId: "big-u", sessionId: "big-s", data: { big: "x".repeat(1024 * 1024) } }),
    );
    expect(answer.status).toBe(413);
    expect(answer.json.error?.code).toBe("BATON_ERR_HTTP_BODY_TOO_LARGE");
    expect(await sessionsOf(setup, "big-u")).toEqual([]);
  });
});

describe("input hygiene on the web chat socket", () => {
  it("stores a message with NUL and a lone surrogate as U+FFFD and acks it", async () => {
    const setup = await startBotGateway();
    const chat = await connectWebchat(setup.gateway.url, setup.webToken, {
      userId: "ws-u",
      sessionId: "ws-s",
    });
    await chat.say(dirty, { data: { [dirty]: [dirty] } });
    expect(await textsOf(setup, "ws-u")).toContain(cleaned);
    await chat.waitForMessage((message) => message.text === cleaned);
  });

  it("answers a too deep frame with an INPUT_TOO_DEEP error frame, creating no session, and keeps the socket", async () => {
    const setup = await startBotGateway();
    const socket = new WebSocket(
      `${setup.gateway.url.replace(/^http/, "ws")}/endpoints/${setup.webToken}/ws`,
    );
    onTestFinished(() => socket.terminate());
    const frames: WebchatServerFrame[] = [];
    socket.on("message", (raw: Buffer) =>
      frames.push(JSON.parse(raw.toString("utf8")) as WebchatServerFrame),
    );
    await new Promise((resolve) => socket.once("open", resolve));
    socket.send(`{"type":"hello","userId":"ws-deep","sessionId":"ws-deep-s","x":${deep(200_000)}}`);
    const error = await waitFor(() => frames.find((f) => f.type === "error"), 5_000, "an error frame");
    expect(error).toMatchObject({ code: "BATON_ERR_INPUT_TOO_DEEP", field: "(frame)" });
    expect(await sessionsOf(setup, "ws-deep")).toEqual([]);
    // Still open: a valid hello is served.
    socket.send(JSON.stringify({ type: "hello", userId: "ws-deep", sessionId: "ws-deep-s" }));
    await waitFor(() => frames.find((f) => f.type === "ready"), 5_000, "ready");
  });

  it("refuses a message carrying more than 1 MiB besides its files, and closes a frame over the hard limit with 1009", async () => {
    const setup = await startBotGateway();
    const chat = await connectWebchat(setup.gateway.url, setup.webToken, {
      userId: "ws-big",
      sessionId: "ws-big-s",
    });
    await chat.waitForFrame((f): f is Extract<WebchatServerFrame, { type: "ready" }> => f.type === "ready");
    chat.send({ type: "message", clientMessageId: "big-1", data: { big: "x".repeat(1024 * 1024) } });
    const error = await chat.waitForFrame(
      (f): f is Extract<WebchatServerFrame, { type: "error" }> => f.type === "error",
    );
    expect(error).toMatchObject({
      code: "BATON_ERR_WEBCHAT_FRAME_INVALID",
      field: "(frame)",
      clientMessageId: "big-1",
    });
    const [session] = await sessionsOf(setup, "ws-big");
    const stored = await setup.gateway.store.messages.listAfter(session!.id, 0);
    expect(stored.filter((m) => m.clientMessageId === "big-1")).toEqual([]);

    // A 5 MB file still fits (its base64 is not counted against the 1 MiB).
    const base64 = Buffer.alloc(5 * 1024 * 1024 - 1024, 7).toString("base64");
    await chat.sendFiles([{ name: "f.bin", contentType: "application/octet-stream", base64 }], "file");

    const raw = new WebSocket(`${setup.gateway.url.replace(/^http/, "ws")}/endpoints/${setup.webToken}/ws`);
    onTestFinished(() => raw.terminate());
    await new Promise((resolve) => raw.once("open", resolve));
    const closed = new Promise<number>((resolve) => raw.once("close", (code) => resolve(code)));
    raw.send("x".repeat(8_039_088));
    expect(await closed).toBe(1009);
  });
});
