import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import type { CopilotServerFrame } from "../../src/protocol/copilot.ts";
import {
  connectCopilot,
  copilotLinkAtAgent,
  copilotSocketUrl,
  type CopilotTestClient,
} from "../factories/copilot-client.ts";
import { startGatewayPair } from "../factories/gateway-pair.ts";
import { reachAgent } from "../factories/handover-steps.ts";
import { simulatorAgent } from "../factories/simulator-agent.ts";
import { waitFor } from "../factories/wait-for.ts";
import { connectWebchat } from "../factories/webchat-client.ts";
import { postgresUrl, redisUrl, uniqueSchema } from "./service-urls.ts";

/** Appends every trigger and postback value to the `log` tile's data (test/fixtures/flows/copilot-log.yaml). */
const copilotLogFlow = fileURLToPath(new URL("../fixtures/flows/copilot-log.yaml", import.meta.url));

const schema = uniqueSchema("baton_copilot");
afterAll(async () => {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  await client.query(`drop schema if exists "${schema}" cascade`);
  await client.end();
});

const entries = (text: unknown) => (typeof text === "string" ? text.split(",").filter((e) => e !== "") : []);

const versionsOf = (client: CopilotTestClient) =>
  client.frames.flatMap((f: CopilotServerFrame) => ("workspaceVersion" in f ? [f.workspaceVersion] : []));

/** The same workspace link, opened on the given instance (a load balancer may send the agent to either). */
function onInstance(link: string, instanceUrl: string): string {
  const url = new URL(link);
  const instance = new URL(instanceUrl);
  url.host = instance.host;
  return copilotSocketUrl(url.toString());
}

/**
 * Two gateways on one PostgreSQL and one Redis, a workspace open on each, postbacks on both and user messages
 * through both at once: every update ends up in the stored workspace, and every socket ends on it.
 */
describe("Copilot workspace across gateway instances", () => {
  it(
    "keeps every update made through either instance at once, and each socket ends on the stored workspace",
    { timeout: 90_000 },
    async () => {
      const storeUrl = new URL(postgresUrl);
      storeUrl.searchParams.set("schema", schema);
      const { simulator, a, b, webToken } = await startGatewayPair({
        store: storeUrl.toString(),
        bus: redisUrl,
        copilotFlow: copilotLogFlow,
      });
      const agent = simulatorAgent(simulator);
      const hello = { userId: "kim", sessionId: "s-copilot-across" };
      const chatOnA = await connectWebchat(a.url, webToken, hello);
      await chatOnA.waitForMessage((m) => m.source === "bot");
      const conversation = await reachAgent(chatOnA, agent, "kim");
      const chatOnB = await connectWebchat(b.url, webToken, hello);
      const link = await copilotLinkAtAgent(agent, conversation.id);
      const { session } = await a.store.sessions.getOrCreate({ endpointId: "web", ...hello });
      const workspaceOnA = connectCopilot(onInstance(link, a.url));
      const workspaceOnB = connectCopilot(onInstance(link, b.url));
      await Promise.all(
        [workspaceOnA, workspaceOnB].map((w) => waitFor(() => w.state(), 10_000, "the first state")),
      );

      const fromA = Array.from({ length: 12 }, (_, i) => `a${i}`);
      const fromB = Array.from({ length: 12 }, (_, i) => `b${i}`);
      for (let i = 0; i < 12; i++) {
        workspaceOnA.send({ type: "postback", tileId: "log", value: fromA[i] });
        workspaceOnB.send({ type: "postback", tileId: "log", value: fromB[i] });
      }
      await Promise.all([
        ...Array.from({ length: 3 }, (_, i) => chatOnA.say(`via A ${i}`)),
        ...Array.from({ length: 3 }, (_, i) => chatOnB.say(`via B ${i}`)),
      ]);

      const stored = () => a.store.copilotWorkspaces.get(session.id);
      const dataOf = async () => {
        const log = (await stored())?.state.workspace.tiles.find((t) => t.id === "log")?.content;
        return log?.kind === "html" ? (log.data as { log?: string; triggers?: string }) : {};
      };
      await waitFor(
        async () => {
          const data = await dataOf();
          return (
            entries(data.log).length === 24 &&
            entries(data.triggers).filter((t) => t === "userMessage").length === 6
          );
        },
        30_000,
        "every postback and message in the stored workspace",
      );
      await Promise.all([a.copilot.idle(), b.copilot.idle()]);
      expect(entries((await dataOf()).log).sort()).toEqual([...fromA, ...fromB].sort());

      const final = (await stored())!;
      for (const workspace of [workspaceOnA, workspaceOnB]) {
        await waitFor(() => workspace.shown()?.version === final.version, 10_000, "the socket to catch up");
        expect(workspace.shown()?.workspace).toEqual(final.state.workspace);
        const versions = versionsOf(workspace);
        expect(versions).toEqual([...versions].sort((x, y) => x - y));
      }
    },
  );
});
