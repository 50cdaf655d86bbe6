import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { describe, expect, it } from "vitest";
import { validateConfig } from "../../src/config/index.ts";
import { createGateway } from "../../src/index.ts";
import type { CopilotServerFrame } from "../../src/protocol/copilot.ts";
import { createSilentLogger } from "../../src/telemetry/logger.ts";
import { connectCopilot, copilotSocketUrl } from "../factories/copilot-client.ts";
import { demoCopilotFlow, demoFlow, startEmbedded } from "../factories/embedded-gateway.ts";
import { simulatorAgent } from "../factories/simulator-agent.ts";
import { waitFor } from "../factories/wait-for.ts";
import { connectWebchat } from "../factories/webchat-client.ts";

const apiSecret = "api-secret-0123456789abcdef-0123456789";
const metricsToken = "metrics-token-0123456789abcdef-012345";

async function call(url: string, init: { method?: "GET" | "POST"; body?: unknown; bearer?: string } = {}) {
  const response = await request(url, {
    method: init.method ?? "GET",
    headers: {
      ...(init.body !== undefined ? { "content-type": "application/json" } : {}),
      ...(init.bearer !== undefined ? { authorization: `Bearer ${init.bearer}` } : {}),
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await response.body.text();
  const json = () =>
    JSON.parse(text) as { error?: { code: string; field?: string } } & Record<string, unknown>;
  return { status: response.statusCode, headers: response.headers, text, json };
}

/** A stand-in for the built workspace app, so the page is served whether or not `npm run build` ran. */
async function fakeCopilotDist(): Promise<string> {
  const dist = await mkdtemp(join(tmpdir(), "baton-copilot-dist-"));
  await mkdir(join(dist, "assets"));
  await writeFile(join(dist, "index.html"), "<!doctype html><title>workspace</title>");
  return `${dist}/`;
}

const isState = (f: CopilotServerFrame): f is Extract<CopilotServerFrame, { type: "state" }> =>
  f.type === "state";

describe("credentials by role", () => {
  it("the end user's ids and the web chat's URL token do not open the agent's workspace; the agent's signed link does", async () => {
    const { simulator, gateway, webToken } = await startEmbedded({
      copilotFlow: demoCopilotFlow,
      gatewayCopilot: { dist: await fakeCopilotDist() },
    });
    const agent = simulatorAgent(simulator);
    const ids = { userId: "mallory", sessionId: "s-spoof" };
    const chat = await connectWebchat(gateway.url, webToken, ids);
    await chat.waitForMessage((m) => m.source === "bot");
    await chat.say("talk to a human");
    const conversation = await agent.waitForConversation((c) => c.user?.userId === "mallory");
    const link = await agent.copilotLink(conversation.id);
    // The link the agent receives always carries the signed token, next to the parameters people know.
    const params = new URL(link).searchParams;
    expect([...params.keys()]).toEqual(["userId", "sessionId", "URLToken", "auth"]);
    expect(params.get("auth")).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const session = (await gateway.store.sessions.find({ endpointId: "web", ...ids }))!;
    await waitFor(() => gateway.copilot.state(session.id), 10_000, "the workspace");

    // What the user can build from what they know: their own ids and the page's URL token.
    const spoofed = new URL(`${gateway.url}/copilot/`);
    for (const [key, value] of Object.entries({ ...ids, URLToken: webToken }))
      spoofed.searchParams.set(key, value);

    const socket = connectCopilot(copilotSocketUrl(spoofed.toString()));
    socket.send({ type: "postback", tileId: "escalation", value: "escalate" });
    expect(await socket.waitForClose()).toBe(4404);
    expect(socket.frames).toEqual([
      expect.objectContaining({ type: "error", code: "BATON_ERR_COPILOT_ACCESS_DENIED" }),
    ]);
    await gateway.copilot.idle();
    const untouched = await gateway.copilot.state(session.id);
    expect(JSON.stringify(untouched?.tiles.find((t) => t.id === "nextAction"))).not.toContain(
      "Escalation requested",
    );
    expect(JSON.stringify(untouched?.tiles.find((t) => t.id === "escalation")?.content)).not.toContain(
      "Escalation requested",
    );

    // The page is refused the same way over HTTP.
    const page = await call(spoofed.toString());
    expect(page.status).toBe(404);
    expect(page.json().error?.code).toBe("BATON_ERR_COPILOT_ACCESS_DENIED");
    const own = await call(link.replace("//localhost:", "//127.0.0.1:"));
    expect(own.status).toBe(200);
    expect(own.headers["cache-control"]).toBe("no-store");
    expect(own.text).toContain("<title>workspace</title>");

    // The agent's link opens it, and the same postback does change it (so the check above is not vacuous).
    const workspace = connectCopilot(copilotSocketUrl(link));
    await workspace.waitForFrame(isState);
    workspace.send({ type: "postback", tileId: "escalation", value: "escalate" });
    await workspace.waitForTile(
      "nextAction",
      (t) => t.content?.kind === "nextAction" && t.content.text.includes("Escalation requested"),
    );
  });

  it("inject and notify need the endpoint's apiSecret as a bearer token; a refused call creates no session", async () => {
    const { gateway, webToken } = await startEmbedded({
      endpoints: { backend: { channel: "rest", flow: demoFlow, apiSecret } },
    });
    const backendToken = gateway.endpoints.get("backend")!.urlToken;
    const sessionOf = (endpointId: string, sessionId: string) =>
      gateway.store.sessions.find({ endpointId, userId: "u1", sessionId });
    const body = (sessionId: string) => ({
      userId: "u1",
      sessionId,
      text: "Your parcel has left the depot.",
    });

    for (const route of ["inject", "notify"]) {
      // An endpoint without a secret: refused, whatever bearer comes, and the answer names the setting.
      const off = await call(`${gateway.url}/${route}/${webToken}`, {
        method: "POST",
        body: body(`s-off-${route}`),
        bearer: apiSecret,
      });
      expect(off.status).toBe(403);
      expect(off.json().error).toMatchObject({ code: "BATON_ERR_SESSION_API_NOT_ENABLED" });
      expect(JSON.stringify(off.json())).toContain("apiSecret");
      expect(await sessionOf("web", `s-off-${route}`)).toBeUndefined();

      // Without, with a wrong, and with an empty bearer token: 401, nothing changes.
      for (const bearer of [undefined, "wrong-secret-0123456789abcdef-0123456789", ""]) {
        const refused = await call(`${gateway.url}/${route}/${backendToken}`, {
          method: "POST",
          body: body(`s-refused-${route}`),
          ...(bearer === undefined ? {} : { bearer }),
        });
        expect(refused.status, `${route} with ${bearer ?? "no"} bearer`).toBe(401);
        expect(refused.json().error).toMatchObject({
          code: "BATON_ERR_SESSION_API_UNAUTHORIZED",
          field: "authorization",
        });
        expect(refused.headers["www-authenticate"]).toBe("Bearer");
        expect(JSON.stringify(refused.json())).not.toContain(apiSecret);
      }
      expect(await sessionOf("backend", `s-refused-${route}`)).toBeUndefined();

      // The bearer is checked before the body: a bad body with no secret is 401, not 400.
      const unchecked = await call(`${gateway.url}/${route}/${backendToken}`, { method: "POST", body: {} });
      expect(unchecked.status).toBe(401);

      // With the secret it acts.
      const done = await call(`${gateway.url}/${route}/${backendToken}`, {
        method: "POST",
        body: body(`s-ok-${route}`),
        bearer: apiSecret,
      });
      expect(done.status, done.text).toBe(200);
      expect(await sessionOf("backend", `s-ok-${route}`)).toBeDefined();
    }

    // The URL token alone still opens the end user's own REST channel.
    const user = await call(`${gateway.url}/endpoints/${backendToken}`, {
      method: "POST",
      body: { userId: "u1", sessionId: "s-user", text: "hello" },
    });
    expect(user.status).toBe(200);
  });

  it("/metrics needs server.metricsToken when it is set, and is open when it is not", async () => {
    const start = async (server: Record<string, unknown>) => {
      const config = validateConfig({ store: "pglite://memory", server }, { env: {} });
      if (!config.ok) throw new Error(JSON.stringify(config.issues));
      const gateway = await createGateway(config, {
        port: 0,
        host: "127.0.0.1",
        logger: createSilentLogger(),
      });
      return gateway;
    };
    const guarded = await start({ metricsToken });
    const open = await start({});
    try {
      for (const bearer of [undefined, "", "wrong-token-0123456789abcdef-0123456789"]) {
        const refused = await call(`${guarded.url}/metrics`, bearer === undefined ? {} : { bearer });
        expect(refused.status).toBe(401);
        expect(refused.json().error?.code).toBe("BATON_ERR_METRICS_UNAUTHORIZED");
        expect(refused.text).not.toContain("baton_");
      }
      const scraped = await call(`${guarded.url}/metrics`, { bearer: metricsToken });
      expect(scraped.status).toBe(200);
      expect(scraped.text).toContain("# TYPE baton_webhook_events_total counter");
      // The token guards /metrics only: health checks stay open for load balancers.
      expect((await call(`${guarded.url}/healthz`)).status).toBe(200);

      const unguarded = await call(`${open.url}/metrics`);
      expect(unguarded.status).toBe(200);
      expect(unguarded.text).toContain("# TYPE baton_webhook_events_total counter");
    } finally {
      await guarded.close();
      await open.close();
    }
  });
});
