import { fileURLToPath } from "node:url";
import { describe, expect, it, onTestFinished } from "vitest";
import type { CopilotServerFrame } from "../../src/protocol/copilot.ts";
import {
  connectCopilot,
  copilotLinkAtAgent,
  copilotSocketUrl,
  type CopilotTestClient,
} from "../factories/copilot-client.ts";
import { startEmbedded } from "../factories/embedded-gateway.ts";
import { reachAgent } from "../factories/handover-steps.ts";
import { simulatorAgent } from "../factories/simulator-agent.ts";
import { connectWebchat } from "../factories/webchat-client.ts";
import { waitFor } from "../factories/wait-for.ts";

/** Appends every trigger and postback value to the `log` tile's data (test/fixtures/flows/copilot-log.yaml). */
const copilotLogFlow = fileURLToPath(new URL("../fixtures/flows/copilot-log.yaml", import.meta.url));

const entries = (text: unknown) => (typeof text === "string" ? text.split(",").filter((e) => e !== "") : []);

/** The stored-workspace versions of a socket's frames, in arrival order. */
const versionsOf = (client: CopilotTestClient) =>
  client.frames.flatMap((f: CopilotServerFrame) => ("workspaceVersion" in f ? [f.workspaceVersion] : []));

describe("Copilot workspace under concurrent updates, over real sockets", () => {
  it(
    "keeps every postback and message of many at once, and every socket ends on the stored workspace",
    { timeout: 60_000 },
    async () => {
      const { simulator, gateway, webToken } = await startEmbedded({ copilotFlow: copilotLogFlow });
      const agent = simulatorAgent(simulator);
      const chat = await connectWebchat(gateway.url, webToken, {
        userId: "cora",
        sessionId: "s-copilot-load",
      });
      await chat.waitForMessage((m) => m.source === "bot");
      const conversation = await reachAgent(chat, agent, "cora");
      const link = await copilotLinkAtAgent(agent, conversation.id);
      const { session } = await gateway.store.sessions.getOrCreate({
        endpointId: "web",
        userId: "cora",
        sessionId: "s-copilot-load",
      });

      const first = connectCopilot(copilotSocketUrl(link));
      const second = connectCopilot(copilotSocketUrl(link));
      await Promise.all([first, second].map((c) => waitFor(() => c.state(), 10_000, "the first state")));

      // Two agents' workspaces post back at once while the user keeps typing, and a third socket opens in
      // the middle of it (its live frames are held while it reads the state).
      const fromFirst = Array.from({ length: 15 }, (_, i) => `first${i}`);
      const fromSecond = Array.from({ length: 15 }, (_, i) => `second${i}`);
      for (let i = 0; i < 15; i++) {
        first.send({ type: "postback", tileId: "log", value: fromFirst[i] });
        second.send({ type: "postback", tileId: "log", value: fromSecond[i] });
      }
      const typed = Array.from({ length: 5 }, (_, i) => chat.say(`message ${i}`));
      const late = connectCopilot(copilotSocketUrl(link));
      await Promise.all(typed);

      const stored = () => gateway.store.copilotWorkspaces.get(session.id);
      const logOf = async () => {
        const log = (await stored())?.state.workspace.tiles.find((t) => t.id === "log")?.content;
        return log?.kind === "html" ? (log.data as { log?: string; triggers?: string }) : {};
      };
      await waitFor(
        async () => entries((await logOf()).log).length === 30,
        20_000,
        "every postback in the stored workspace",
      );
      await gateway.copilot.idle();
      expect(entries((await logOf()).log).sort()).toEqual([...fromFirst, ...fromSecond].sort());
      expect(entries((await logOf()).triggers).filter((t) => t === "userMessage")).toHaveLength(5);

      const final = (await stored())!;
      for (const client of [first, second, late]) {
        await waitFor(() => client.shown()?.version === final.version, 10_000, "the socket to catch up");
        expect(client.shown()?.workspace).toEqual(final.state.workspace);
        // The server never sent a socket an older workspace after a newer one.
        const versions = versionsOf(client);
        expect(versions).toEqual([...versions].sort((a, b) => a - b));
      }
    },
  );

  it(
    "a socket that opens while updates are published starts from the stored state and never goes back",
    { timeout: 60_000 },
    async () => {
      const { simulator, gateway, webToken } = await startEmbedded({ copilotFlow: copilotLogFlow });
      const agent = simulatorAgent(simulator);
      const hello = { userId: "dana", sessionId: "s-copilot-open" };
      const chat = await connectWebchat(gateway.url, webToken, hello);
      await chat.waitForMessage((m) => m.source === "bot");
      const conversation = await reachAgent(chat, agent, "dana");
      const link = await copilotLinkAtAgent(agent, conversation.id);
      const { session } = await gateway.store.sessions.getOrCreate({ endpointId: "web", ...hello });
      await gateway.copilot.idle();

      // Between the socket's subscribe and its read of the state, two updates are saved and published: the
      // socket holds their frames, and the state it reads already contains both.
      const snapshot = gateway.copilot.snapshot.bind(gateway.copilot);
      gateway.copilot.snapshot = async (sessionKey) => {
        gateway.copilot.snapshot = snapshot;
        await gateway.copilot.postback(session, "log", "while-opening-1");
        await gateway.copilot.postback(session, "log", "while-opening-2");
        return snapshot(sessionKey);
      };
      onTestFinished(() => {
        gateway.copilot.snapshot = snapshot;
      });
      const workspace = connectCopilot(copilotSocketUrl(link));
      const first = await workspace.waitForFrame(
        (f): f is Extract<CopilotServerFrame, { type: "state" }> => f.type === "state",
      );
      const stored = (await gateway.store.copilotWorkspaces.get(session.id))!;
      expect(first.workspaceVersion).toBe(stored.version);
      expect(first.state).toEqual(stored.state.workspace);

      // One more update, live: it arrives after the state, and nothing older than the state came in between.
      workspace.send({ type: "postback", tileId: "log", value: "after-opening" });
      await waitFor(() => (workspace.shown()?.version ?? 0) > stored.version, 10_000, "the live update");
      expect(versionsOf(workspace)).toEqual([stored.version, stored.version + 1]);
    },
  );
});
