import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkFlow, loadFlowFile, type Flow } from "../../../src/flow/index.ts";
import { handover, input, runAll, texts } from "./flow-test-kit.ts";

const demoPath = fileURLToPath(new URL("../../../flows/demo.yaml", import.meta.url));
const loadDemo = (): Promise<Flow> => loadFlowFile(demoPath, (path) => readFile(path, "utf8"));

describe("demo flow (flows/demo.yaml)", () => {
  it("loads without issues", async () => {
    const result = checkFlow(await readFile(demoPath, "utf8"), { file: demoPath });
    expect(result.ok ? [] : result.issues).toEqual([]);
  });

  it("greets and answers the opening-hours and what-can-you-do questions", async () => {
    const flow = await loadDemo();
    const [greeting, hours, abilities, unknown] = await runAll(flow, [
      { kind: "start" },
      input("When are you open?"),
      input("what can you do"),
      input("banana"),
    ]);
    expect(texts(greeting!)[0]).toMatch(/^Hi/);
    expect(greeting!.outputs[0]?.quickReplies?.map((q) => q.title)).toEqual([
      "Opening hours",
      "What can you do?",
      "Talk to a human",
    ]);
    expect(texts(hours!)[0]).toContain("Monday to Friday");
    expect(texts(abilities!)[0]).toContain("opening hours");
    expect(texts(unknown!)[0]).toMatch(/^Sorry/);
    expect(unknown!.state).toMatchObject({ waiting: "input", entrypoint: "remember" });
  });

  it.each(["talk to a human", "Can I speak to an agent?"])(
    "hands %j over to provider eight, queue 311, and resumes on each outcome",
    async (request) => {
      const flow = await loadDemo();
      const [, asked, queued, completed, , cancelled, , failed] = await runAll(flow, [
        { kind: "start" },
        input(request),
        handover("queue", { queue: { id: "311" } }),
        handover("completed"),
        input("human please"),
        handover("cancelled", { reason: "user" }),
        input("agent"),
        handover("error", { error: { reason: "error", message: "8x8 unavailable" } }),
      ]);
      const start = asked!.actions[0];
      expect(start?.type).toBe("handover.start");
      expect(start?.type === "handover.start" && start.request).toMatchObject({
        providerId: "eight",
        provider: { queueId: "311", jsonProperties: { Source: "Baton demo", Request: request } },
        cancelButtonText: "Cancel",
        cancelIntent: { keywords: ["cancel", "never mind"] },
        transcript: { mode: "full" },
        sendQueueEvent: true,
        onResolve: "belowNode",
      });
      expect(start?.type === "handover.start" && start.request.provider.channelId).toBeUndefined();
      expect(queued!.outputs).toEqual([]);
      expect(queued!.state.waiting).toBe("handover");
      expect(texts(completed!)).toEqual(["Welcome back! Anything else?"]);
      expect(completed!.state).toMatchObject({ waiting: "input", entrypoint: "remember" });
      expect(texts(cancelled!)).toEqual(["No problem, I'm here."]);
      expect(texts(failed!)[0]).toMatch(/^Sorry, I couldn't reach/);
    },
  );
});
