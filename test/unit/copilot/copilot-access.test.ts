import { describe, expect, it } from "vitest";
import { createCopilotLinks } from "../../../src/channels/copilot/links.ts";
import type { CopilotServerFrame } from "../../../src/protocol/copilot.ts";
import type { StoredSession } from "../../../src/store/types.ts";
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

/** The `auth` of a freshly signed link for `session` (the gateway's keys are in its store). */
async function authFor(
  gateway: Awaited<ReturnType<typeof startEmbedded>>["gateway"],
  session: StoredSession,
  endpointId = "web",
): Promise<string> {
  const links = createCopilotLinks(gateway.store, { ttlMinutes: 60 });
  const link = await links.linkFor(gateway.url, session, gateway.endpoints.get(endpointId)!);
  return new URL(link).searchParams.get("auth")!;
}

describe("Copilot workspace access", () => {
  it("opens only with the signed link of that session; refuses everything else alike with 4404", async () => {
    const { gateway, webToken } = await startEmbedded({
      copilotFlow: demoCopilotFlow,
      endpoints: { plain: { channel: "rest", flow: demoFlow } },
    });
    const plainToken = gateway.endpoints.get("plain")!.urlToken;
    const own = await gateway.conversations.openSession({ endpointId: "web", userId: "u1", sessionId: "s1" });
    const plain = await gateway.conversations.openSession({
      endpointId: "plain",
      userId: "u2",
      sessionId: "s2",
    });
    const auth = await authFor(gateway, own);
    const plainAuth = await authFor(gateway, plain, "plain");

    const ok = connectCopilot(
      socketUrl(gateway.url, { userId: "u1", sessionId: "s1", URLToken: webToken, auth }),
    );
    const state = await ok.waitForFrame(isState);
    expect(state.state.sessionKey).toBe(own.id);

    const refusals = [
      // What the end user knows (their own ids and the web chat page's URL token) never opens it.
      { userId: "u1", sessionId: "s1", URLToken: webToken },
      { userId: "u1", sessionId: "s1", URLToken: webToken, auth: "" },
      { userId: "u1", sessionId: "s1", URLToken: "0".repeat(64), auth }, // wrong token
      { userId: "u2", sessionId: "s2", URLToken: webToken, auth: plainAuth }, // a session of another endpoint
      { userId: "nobody", sessionId: "s1", URLToken: webToken, auth }, // unknown session
      { userId: "u2", sessionId: "s2", URLToken: plainToken, auth: plainAuth }, // an endpoint without a copilot flow
      { userId: "u1", sessionId: "s1", auth } as Record<string, string>, // no URL token at all
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

  it("refuses further bad links with 4429 after too many refusals, but a valid link still opens", async () => {
    const { gateway, webToken } = await startEmbedded({
      copilotFlow: demoCopilotFlow,
      gatewayCopilot: { maxFailuresPerMinute: 3 },
    });
    const session = await gateway.conversations.openSession({
      endpointId: "web",
      userId: "u1",
      sessionId: "s1",
    });
    const good = { userId: "u1", sessionId: "s1", URLToken: webToken, auth: await authFor(gateway, session) };
    const bad = { ...good, URLToken: "f".repeat(64) };
    for (let i = 0; i < 3; i++) await expectRefused(socketUrl(gateway.url, bad));
    // The same address (a scanner behind the agents' proxy): the agent's link opens, the socket and the page.
    const ok = connectCopilot(socketUrl(gateway.url, good));
    expect((await ok.waitForFrame(isState)).state.sessionKey).toBe(session.id);
    const page = await fetch(`${gateway.url}/copilot/?${new URLSearchParams(good).toString()}`);
    expect(page.status).not.toBe(429);
    // A further bad link is refused by the limit, on the socket and on the page.
    await expectRefused(socketUrl(gateway.url, bad), 4429);
    const refused = await fetch(`${gateway.url}/copilot/?${new URLSearchParams(bad).toString()}`);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      "BATON_ERR_COPILOT_RATE_LIMITED",
    );
  });

  it("opens only with a valid, unexpired token for that session", async () => {
    const { gateway, webToken } = await startEmbedded({
      copilotFlow: demoCopilotFlow,
      copilot: { link: { ttlMinutes: 5 } },
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
    const links = createCopilotLinks(gateway.store, { ttlMinutes: 5 });
    const link = await links.linkFor(gateway.url, session, web);
    const auth = new URL(link).searchParams.get("auth")!;
    const base = { userId: "u1", sessionId: "s1", URLToken: webToken };

    await connectCopilot(socketUrl(gateway.url, { ...base, auth })).waitForFrame(isState);
    await expectRefused(socketUrl(gateway.url, base)); // unsigned
    await expectRefused(socketUrl(gateway.url, { ...base, auth: `${auth.slice(0, -2)}xx` })); // tampered
    const foreign = new URL(await links.linkFor(gateway.url, other, web)).searchParams.get("auth")!;
    await expectRefused(socketUrl(gateway.url, { ...base, auth: foreign })); // another session's token

    // A token made 10 minutes ago with a 5-minute lifetime has expired.
    const past = createCopilotLinks(gateway.store, { ttlMinutes: 5 }, () => Date.now() - 10 * 60_000);
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
    const links = createCopilotLinks(gateway.store, { ttlMinutes: 60 }, () => now);
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
