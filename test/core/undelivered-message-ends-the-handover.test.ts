import { describe, expect, it } from "vitest";
import { BatonError } from "../../src/errors/index.ts";
import { waitFor } from "../factories/wait-for.ts";
import { useCore } from "./core-kit.ts";
import { coreFlow } from "./flows.ts";

// A budget of a fraction of a second stands in for `outbox.retryForMinutes` (two hours by default).
const core = useCore({ flow: coreFlow, outbox: { retryForMs: 1_000 } });

const outage = () => new BatonError("BATON_ERR_8X8_UNAVAILABLE", { operation: "messages.send", status: 503 });

describe("a message the contact center never took within the retry budget", () => {
  it("ends the handover, tells the user the connection was lost, says so in the log, and the flow goes on", async () => {
    const { user: ida, conversation } = await core().withAgent("ida");
    core().fake.failNext("sendUserMessage", outage(), 10_000);
    await ida.say("hello, anyone?");
    await waitFor(async () => (await ida.handover()).state === "error", 10_000, "the handover ended");
    await core().settle();

    expect(await ida.handover()).toMatchObject({ state: "error", machine: { endReason: "rejected" } });
    expect((await ida.shown()).slice(-2)).toEqual([
      "Sorry, the connection to the agent was lost.",
      "outcome error/rejected",
    ]);
    // Retried over the budget rather than given up at the first failure, and never sent.
    const retries = core().logs.filter(
      (l) => l["msg"] === "outbox item retry" && l["kind"] === "handover.send",
    );
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(
      core()
        .fake.callsOf("sendUserMessage")
        .filter((c) => c.conversationId === conversation),
    ).toEqual([]);
    expect(core().logs.find((l) => l["status"] === "dead")).toMatchObject({
      msg: "outbox item gave up: not delivered within its retry budget",
      kind: "handover.send",
    });
    expect(
      core().logs.some(
        (l) =>
          l["msg"] ===
          "a message could not be delivered to the contact center within the retry budget; ending the handover and telling the user",
      ),
    ).toBe(true);
    // The next message is the bot's again.
    const next = await ida.say("hello?");
    expect(next.outputs.map((o) => o.text)).toEqual(["bot heard hello?"]);
  });
});
