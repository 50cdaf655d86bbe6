import { Writable } from "node:stream";
import pg from "pg";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { createRedisBus } from "../../src/bus/redis.ts";
import { createPresence } from "../../src/channels/webchat/presence.ts";
import type { StoredSession } from "../../src/store/types.ts";
import { createLogger, createSilentLogger } from "../../src/telemetry/logger.ts";
import { startGatewayPair } from "../factories/gateway-pair.ts";
import { reachAgent, says } from "../factories/handover-steps.ts";
import { startPresenceHolder } from "../factories/presence-holder.ts";
import { simulatorAgent } from "../factories/simulator-agent.ts";
import { waitFor } from "../factories/wait-for.ts";
import { connectWebchat } from "../factories/webchat-client.ts";
import { postgresUrl, redisUrl, uniqueSchema } from "./service-urls.ts";

const userLeft = "The user has left the chat.";
const userBack = "The user is back in the chat.";

const schemas: string[] = [];
afterAll(async () => {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  for (const schema of schemas) await client.query(`drop schema if exists "${schema}" cascade`);
  await client.end();
});

/** The shared PostgreSQL under a schema of its own for this test. */
function freshStore(): string {
  const schema = uniqueSchema("baton_presence");
  schemas.push(schema);
  const url = new URL(postgresUrl);
  url.searchParams.set("schema", schema);
  return url.toString();
}

/** A debug logger whose lines the test can read (what an instance decided, as it logged it). */
function capturingLogger() {
  const messages: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n"))
        if (line !== "") messages.push((JSON.parse(line) as { msg: string }).msg);
      done();
    },
  });
  return { messages, logger: createLogger({ destination, level: "debug" }) };
}

function lastSeqOf(chat: { messages(): { seq: number }[] }): number {
  return Math.max(0, ...chat.messages().map((m) => m.seq));
}

/**
 * Two gateways on one PostgreSQL and one Redis; the user's tabs reach either. The agent hears "the user left"
 * only when no instance holds a socket of the user any more, and "the user is back" from whichever instance
 * the user returns to.
 */
describe("web chat presence across gateway instances", () => {
  it(
    "says nothing while a tab is open on the other instance, 'left' once after the last one, 'back' once on the other",
    { timeout: 90_000 },
    async () => {
      const onA = capturingLogger();
      const { simulator, a, b, webToken } = await startGatewayPair({
        store: freshStore(),
        bus: redisUrl,
        disconnectGraceMs: 500,
        loggers: { a: onA.logger },
      });
      const agent = simulatorAgent(simulator);
      const hello = { userId: "ida", sessionId: "s-presence-across" };
      const tabOnA = await connectWebchat(a.url, webToken, hello);
      await tabOnA.waitForMessage(says("bot", "demo bot"));
      const waiting = await reachAgent(tabOnA, agent, "ida");
      const notices = async () =>
        (await agent.transcript(waiting.id)).filter((m) => m.text === userLeft || m.text === userBack);

      // A second tab, served by B; then the tab on A closes. A's grace runs out and finds the user on B.
      const tabOnB = await connectWebchat(b.url, webToken, { ...hello, lastSeq: lastSeqOf(tabOnA) });
      await tabOnA.close();
      await waitFor(
        () => onA.messages.includes("grace over; the user is still connected"),
        10_000,
        "instance A's grace to run out",
      );
      expect(await notices()).toEqual([]);

      // The last tab, on B, closes: the agent hears it once.
      await tabOnB.close();
      await waitFor(async () => (await notices()).length > 0, 10_000, "the user-left notice at the agent");

      // The user comes back on A (B reported "left"): "back", once.
      const back = await connectWebchat(a.url, webToken, { ...hello, lastSeq: lastSeqOf(tabOnB) });
      await waitFor(async () => (await notices()).length > 1, 10_000, "the user-back notice at the agent");

      // The handover goes on; by the agent's reply every notice there was to send has arrived.
      await agent.say(waiting.id, "Still there?");
      await back.waitForMessage(says("agent", "Still there?"));
      expect(await notices()).toEqual([
        { authorType: "bot", text: userLeft },
        { authorType: "bot", text: userBack },
      ]);
    },
  );

  it("reports the user gone when the only other socket counted was a killed instance's, once its entry expired", async () => {
    const presenceTtlMs = 1_500;
    const prefix = `${uniqueSchema("baton")}:`;
    const bus = await createRedisBus(redisUrl, { prefix, presenceTtlMs });
    onTestFinished(() => bus.close());
    const session = { id: "session-dead-peer", endpointId: "web" } as StoredSession;
    const changes: boolean[] = [];
    const presence = createPresence({
      bus,
      logger: createSilentLogger(),
      graceMsFor: () => 300,
      onChange: (_s, connected) => {
        changes.push(connected);
        return Promise.resolve();
      },
    });
    onTestFinished(() => presence.close());

    // The user had a tab on an instance that was then killed; its entry still counts for a while.
    const dead = await startPresenceHolder({ redisUrl, prefix, key: session.id, presenceTtlMs });
    presence.join(session);
    await dead.kill();
    const closedAt = Date.now();
    presence.leave(session);

    await waitFor(() => changes.length > 0, 10_000, "the user-left report");
    expect(changes).toEqual([false]);
    // Not at the end of the grace (the dead entry counted then), but once the entry had expired.
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(presenceTtlMs);
  });
});
