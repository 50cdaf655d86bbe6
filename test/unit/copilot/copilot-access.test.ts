import { describe, expect, it } from "vitest";
import { createCopilotLinks } from "../../../src/channels/copilot/links.ts";
import type { CopilotServerFrame } from "../../../src/protocol/copilot.ts";
import { connectCopilot } from "../../factories/copilot-client.ts";
import { demoCopilotFlow, demoFlow, startEmbedded } from "../../factories/embedded-gateway.ts";

const isState = (f: CopilotServerFrame): f is Extract<CopilotServerFrame, { type: "state" }> =>
  f.type === "state";

function socketUrl(base: string, params: Record<string, string>): string {
  return `${base.replace(/^http/, "ws")}/copilot/ws?${new URLSearchParams(params).toString()}`;
}

/** Every refusal looks the same: one error frame with the access code, then close 4404. */
async function expectRefused(url: string, code = 4404): Promise<void> {
  const client = connectCopilot(url);
  expect(await client.waitForClose()).toBe(code);
  const errors = client.frames.filter((f) => f.type === "error");
  expect(errors).toHaveLength(1);
  expect(client.frames.some((f) => f.type === "state")).toBe(false);
}

describe("Copilot workspace access", () => {
  it("opens for the endpoint's token and an existing session; refuses everything else alike with 4404", async () => {
    const { gateway, webToken } = await startEmbedded({
      copilotFlow: demoCopilotFlow,
      endpoints: { plain: { channel: "rest", flow: demoFlow } },
    });
    const plainToken = gateway.endpoints.get("plain")!.urlToken;
    const own = await gateway.conversations.openSession({ endpointId: "web", userId: "u1", sessionId: "s1" });
    await gateway.conversations.openSession({ endpointId: "plain", userId: "u2", sessionId: "s2" });

    const ok = connectCopilot(socketUrl(gateway.url, { userId: "u1", sessionId: "s1", URLToken: webToken }));
    const state = await ok.waitForFrame(isState);
    expect(state.state.sessionKey).toBe(own.id);

    const refusals = [
      { userId: "u1", sessionId: "s1", URLToken: "0".repeat(64) }, // wrong token
      { userId: "u2", sessionId: "s2", URLToken: webToken }, // a session of another endpoint
      { userId: "nobody", sessionId: "s1", URLToken: webToken }, // unknown session
      { userId: "u2", sessionId: "s2", URLToken: plainToken }, // an endpoint without a copilot flow
      { userId: "u1", sessionId: "s1" } as Record<string, string>, // no token at all
    ];
    const frames: unknown[] = [];
    for (const params of refusals) {
      const client = connectCopilot(socketUrl(gateway.url, params));
      expect(await client.waitForClose()).toBe(4404);
      frames.push(client.frames);
    }
    // No oracle: the answers are identical.
    expect(new Set(frames.map((f) => JSON.stringify(f))).size).toBe(1);
    expect(frames[0]).toEqual([
      expect.objectContaining({ type: "error", code: "BATON_ERR_COPILOT_ACCESS_DENIED" }),
    ]);
  });

  it("refuses an address with 4429 after too many refusals, even with a good link", async () => {
    const { gateway, webToken } = await startEmbedded({
      copilotFlow: demoCopilotFlow,
      gatewayCopilot: { maxFailuresPerMinute: 3 },
    });
    await gateway.conversations.openSession({ endpointId: "web", userId: "u1", sessionId: "s1" });
    for (let i = 0; i < 3; i++)
      await expectRefused(
        socketUrl(gateway.url, { userId: "u1", sessionId: "s1", URLToken: "f".repeat(64) }),
      );
    await expectRefused(socketUrl(gateway.url, { userId: "u1", sessionId: "s1", URLToken: webToken }), 4429);
  });

  it("in signed mode opens only with a valid, unexpired token for that session", async () => {
    const { gateway, webToken } = await startEmbedded({
      copilotFlow: demoCopilotFlow,
      copilot: { link: { signed: true, ttlMinutes: 5 } },
    });
    const web = gateway.endpoints.get("web")!;
    const session = await gateway.conversations.openSession({
      endpointId: "web",
      userId: "u1",
      sessionId: "s1",
    });
    const other = await gateway.conversations.openSession({
      endpointId: "web",
      userId: "u9",
      sessionId: "s9",
    });
    const links = createCopilotLinks(gateway.store, { signed: true, ttlMinutes: 5 });
    const link = await links.linkFor(gateway.url, session, web);
    const auth = new URL(link).searchParams.get("auth")!;
    const base = { userId: "u1", sessionId: "s1", URLToken: webToken };

    await connectCopilot(socketUrl(gateway.url, { ...base, auth })).waitForFrame(isState);
    await expectRefused(socketUrl(gateway.url, base)); // unsigned
    await expectRefused(socketUrl(gateway.url, { ...base, auth: `${auth.slice(0, -2)}xx` })); // tampered
    const foreign = new URL(await links.linkFor(gateway.url, other, web)).searchParams.get("auth")!;
    await expectRefused(socketUrl(gateway.url, { ...base, auth: foreign })); // another session's token

    // A token made 10 minutes ago with a 5-minute lifetime has expired.
    const past = createCopilotLinks(
      gateway.store,
      { signed: true, ttlMinutes: 5 },
      () => Date.now() - 10 * 60_000,
    );
    const expired = new URL(await past.linkFor(gateway.url, session, web)).searchParams.get("auth")!;
    await expectRefused(socketUrl(gateway.url, { ...base, auth: expired }));
  });
});

describe("Copilot link keys", () => {
  it("rotate after a day; tokens of the old key verify until they expire", async () => {
    const { gateway } = await startEmbedded({ copilotFlow: demoCopilotFlow });
    const session = await gateway.conversations.openSession({
      endpointId: "web",
      userId: "u1",
      sessionId: "s1",
    });
    let now = Date.now();
    const links = createCopilotLinks(gateway.store, { signed: true, ttlMinutes: 60 }, () => now);
    const web = gateway.endpoints.get("web")!;
    const tokenOf = async () =>
      new URL(await links.linkFor(gateway.url, session, web)).searchParams.get("auth")!;
    const kidOf = (token: string) =>
      (JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString()) as { kid: string }).kid;

    const first = await tokenOf();
    now += 23 * 60 * 60_000 + 30 * 60_000; // 23.5 h: same key (this token lives until 24.5 h)
    const second = await tokenOf();
    expect(kidOf(second)).toBe(kidOf(first));
    now += 31 * 60_000; // 24 h 1 min: a new key
    const third = await tokenOf();
    expect(kidOf(third)).not.toBe(kidOf(first));
    expect(await links.verify(second, session.id)).toBe(true); // old key, token still valid
    expect(await links.verify(first, session.id)).toBe(false); // expired
    expect(await links.verify(third, session.id)).toBe(true);
  });
});
