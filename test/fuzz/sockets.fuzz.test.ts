import fc from "fast-check";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { isErrorCode } from "../../src/errors/catalog.ts";
import { demoCopilotFlow, demoFlow } from "../factories/embedded-gateway.ts";
import { simulatorAgent } from "../factories/simulator-agent.ts";
import { waitFor } from "../factories/wait-for.ts";
import { connectWebchat } from "../factories/webchat-client.ts";
import {
  anyJson,
  catalogCloseCodes,
  check,
  deepJson,
  fakeCopilotDist,
  fuzzId,
  installFuzzGuards,
  mutatedObject,
  oddString,
  querySafe,
  snapshot,
  startFuzzGateway,
} from "./harness.ts";

installFuzzGuards("sockets");

const fuzz = startFuzzGateway({
  endpoints: () => ({
    web: {
      channel: "webchat",
      flow: demoFlow,
      handover: { provider: "eight" },
      copilot: { flow: demoCopilotFlow },
    },
  }),
  // Refused Copilot links are rate limited per address; every case here comes from 127.0.0.1.
  gatewayCopilot: { dist: await fakeCopilotDist(), maxFailuresPerMinute: 1_000_000 },
});

/** A frame as sent: text (possibly not JSON) or binary bytes. */
type Frame = { readonly text: string } | { readonly binary: Buffer };

/** A socket that records every frame and its close code, and checks each frame against the properties. */
class Probe {
  readonly frames: Record<string, unknown>[] = [];
  closeCode: number | undefined;
  readonly opened: Promise<void>;
  readonly socket: WebSocket;

  constructor(url: string) {
    this.socket = new WebSocket(url);
    this.socket.on("message", (raw: Buffer) => {
      const frame = JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
      this.frames.push(frame);
    });
    this.socket.on("close", (code) => void (this.closeCode = code));
    this.socket.on("error", () => {});
    this.opened = new Promise((resolve, reject) => {
      this.socket.once("open", () => resolve());
      this.socket.once("close", () => reject(new Error(`closed before open (${this.closeCode})`)));
    });
  }

  send(frame: Frame): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    if ("text" in frame) this.socket.send(frame.text);
    else this.socket.send(frame.binary, { binary: true });
  }

  errors(): Record<string, unknown>[] {
    return this.frames.filter((frame) => frame.type === "error");
  }

  /** Every error frame carries a catalog code that is not the internal error; the close code is the catalog's. */
  expectProperties(what: string): void {
    for (const frame of this.errors()) {
      expect(
        typeof frame.code === "string" && isErrorCode(frame.code),
        `${what}: ${JSON.stringify(frame)}`,
      ).toBe(true);
      expect(frame.code, what).not.toBe("BATON_ERR_SERVER_INTERNAL");
    }
    if (this.closeCode !== undefined && this.closeCode !== 1000 && this.closeCode !== 1005) {
      expect(catalogCloseCodes.has(this.closeCode), `${what}: close ${this.closeCode}`).toBe(true);
      expect(this.closeCode, what).not.toBe(1011);
    }
  }

  close(): void {
    this.socket.terminate();
  }
}

const asText = (value: unknown): Frame => ({ text: JSON.stringify(value) ?? "null" });

/** Frames around a shape: the shape mutated, raw junk, deep nesting, binary bytes, or about 1 MB of text. */
function frames(shape: fc.Arbitrary<unknown>, bigSizes: readonly number[]): fc.Arbitrary<Frame> {
  return fc.oneof(
    { weight: 8, arbitrary: shape.map(asText) },
    { weight: 2, arbitrary: anyJson.map(asText) },
    { weight: 1, arbitrary: oddString.map((text) => ({ text })) },
    { weight: 2, arbitrary: deepJson.map((text) => ({ text })) },
    {
      weight: 1,
      arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ binary: Buffer.from(bytes) })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...bigSizes)
        .map((size) => asText({ type: "message", clientMessageId: "big", text: "z".repeat(size) })),
    },
  );
}

const webchatFrame = frames(
  fc.oneof(
    mutatedObject({
      type: fc.constant("hello"),
      userId: fuzzId,
      sessionId: fuzzId,
      lastSeq: fc.oneof(fc.integer(), anyJson),
      locale: oddString,
    }),
    mutatedObject({
      type: fc.constant("message"),
      clientMessageId: fc.oneof(fc.uuid(), oddString),
      text: fc.oneof(oddString, anyJson),
      data: fc.oneof(fc.dictionary(oddString, anyJson, { maxKeys: 3 }), anyJson),
      attachments: fc.oneof(
        fc.array(
          mutatedObject({
            name: oddString,
            contentType: oddString,
            base64: fc.oneof(fc.base64String({ maxLength: 200 }), oddString),
          }),
          { maxLength: 3 },
        ),
        anyJson,
      ),
    }),
    mutatedObject({ type: fc.constant("typing"), active: fc.oneof(fc.boolean(), anyJson) }),
    mutatedObject({ type: fc.constant("cancelHandover") }),
    mutatedObject({ type: fc.oneof(oddString, anyJson) }),
  ),
  // Up to past the 1 MiB of content a frame may carry besides files (an error frame, the socket stays).
  [40_000, 70_000, 1_100_000],
);

let barriers = 0;

describe("fuzz: WebSockets", () => {
  it("the web chat socket: every client frame type, before and after hello", async () => {
    const url = `${fuzz.gateway.url.replace(/^http/, "ws")}/endpoints/${fuzz.token("web")}/ws`;
    await check(
      fc.record({ hello: fc.boolean(), frames: fc.array(webchatFrame, { minLength: 1, maxLength: 3 }) }),
      async ({ hello, frames: sent }) => {
        const probe = new Probe(url);
        try {
          await probe.opened;
          if (hello) {
            probe.send(asText({ type: "hello", userId: "fuzz-ws-user", sessionId: "fuzz-ws-session" }));
            await waitFor(
              () => probe.frames.some((f) => f.type === "ready") || probe.closeCode !== undefined,
              5_000,
              "ready",
            );
          }
          const before = await snapshot(fuzz.gateway);
          const seen = probe.frames.length;
          for (const frame of sent) probe.send(frame);
          // Frames are handled one at a time, in order: the barrier's refusal means the frames before it are done.
          const barrier = `barrier-${(barriers += 1)}`;
          probe.send(asText({ type: "fuzz-barrier", clientMessageId: barrier }));
          await waitFor(
            () => probe.frames.some((f) => f.clientMessageId === barrier) || probe.closeCode !== undefined,
            10_000,
            "the barrier's refusal",
          );
          probe.expectProperties("web chat");
          const answers = probe.frames.slice(seen).filter((f) => f.clientMessageId !== barrier);
          const accepted = answers.some((f) => f.type === "ack" || f.type === "ready");
          const refusedAll = answers.length >= sent.length && answers.every((f) => f.type === "error");
          if (refusedAll && !accepted)
            expect(await snapshot(fuzz.gateway), "refused frames changed state").toEqual(before);
        } finally {
          probe.close();
        }
      },
    );
  });

  it("the Copilot socket with a fuzzed link is refused with a catalog code and changes nothing", async () => {
    await check(
      fc.array(fc.tuple(fc.constantFrom("userId", "sessionId", "URLToken", "auth", "x"), oddString), {
        maxLength: 5,
      }),
      async (query) => {
        const before = await snapshot(fuzz.gateway);
        // NUL in the ids is left to the known-gap case below (an internal error).
        const clean = query.map(([k, v]) => [k, v.replaceAll("\u0000", "")] as const);
        const probe = new Probe(`${fuzz.gateway.url.replace(/^http/, "ws")}/copilot/ws?${querySafe(clean)}`);
        try {
          await probe.opened.catch(() => undefined);
          probe.send(asText({ type: "postback", tileId: "escalation", value: "escalate" }));
          await waitFor(() => probe.closeCode, 10_000, "the refusal");
          probe.expectProperties("copilot link");
          expect(probe.closeCode === 4404 || probe.closeCode === 4429, `close ${probe.closeCode}`).toBe(true);
          expect(await snapshot(fuzz.gateway)).toEqual(before);
        } finally {
          probe.close();
        }
      },
    );
  });

  it("the Copilot socket with a valid signed link: postback, search and junk frames", async () => {
    const { gateway, simulator } = fuzz;
    const agent = simulatorAgent(simulator);
    const chat = await connectWebchat(gateway.url, fuzz.token("web"), {
      userId: "fuzz-agent-user",
      sessionId: "fuzz-agent-s",
    });
    await chat.waitForMessage((m) => m.source === "bot");
    await chat.say("talk to a human");
    const conversation = await agent.waitForConversation((c) => c.user?.userId === "fuzz-agent-user");
    const link = new URL(await agent.copilotLink(conversation.id));
    const probe = new Probe(`${gateway.url.replace(/^http/, "ws")}/copilot/ws${link.search}`);
    await probe.opened;
    await waitFor(
      () => probe.frames.some((f) => f.type === "state") || undefined,
      10_000,
      "the workspace state",
    );
    const tileId = fc.oneof(fc.constantFrom("escalation", "nextAction", "knowledge", "summary"), oddString);
    const copilotFrame = frames(
      fc.oneof(
        mutatedObject({ type: fc.constant("postback"), tileId, value: anyJson }),
        mutatedObject({ type: fc.constant("search"), tileId, query: fc.oneof(oddString, anyJson) }),
        mutatedObject({ type: fc.oneof(oddString, anyJson), tileId }),
      ),
      // Under the socket's 64 KiB hard limit: a bigger frame is not read and closes the socket (1009).
      [20_000, 60_000],
    );
    try {
      await check(copilotFrame, async (frame) => {
        if (probe.closeCode !== undefined) return;
        const errorsBefore = probe.errors().length;
        probe.send(frame);
        probe.send(asText({ type: "fuzz-barrier" }));
        await waitFor(
          () => probe.errors().length > errorsBefore || probe.closeCode !== undefined || undefined,
          10_000,
          "the barrier's refusal",
        );
        probe.expectProperties("copilot frame");
      });
      // Only a frame over the 64 KiB limit may end the socket, and then with the catalog's codes.
      probe.expectProperties("copilot socket");
    } finally {
      probe.close();
      await chat.close();
    }
  });

  it("the Copilot socket with a NUL in sessionId is refused with 4404, not an internal error", async () => {
    const query = `userId=u&sessionId=%00&URLToken=${fuzz.token("web")}&auth=x`;
    const probe = new Probe(`${fuzz.gateway.url.replace(/^http/, "ws")}/copilot/ws?${query}`);
    try {
      await probe.opened.catch(() => undefined);
      await waitFor(() => probe.closeCode, 10_000, "the refusal");
      probe.expectProperties("copilot NUL link");
    } finally {
      probe.close();
    }
  });
});
