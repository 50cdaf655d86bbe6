import { describe, expect, it } from "vitest";
import { fakePorts, flowOf, input, runAll, texts } from "./flow-test-kit.ts";
import { runFlow } from "../../../src/flow/index.ts";

const say = (text: string) => ({ type: "say", text });

describe("if node", () => {
  const flow = flowOf({
    check: { type: "if", condition: 'lower(input.text) contains "yes"', then: "yes", else: "no" },
    yes: say("then"),
    no: say("else"),
  });

  it.each([
    ["Yes please", ["then"]],
    ["nope", ["else"]],
  ])("on %j runs the matching branch", async (text, expected) => {
    const [result] = await runAll(flow, [input(text)]);
    expect(texts(result!)).toEqual(expected);
  });

  it("stops the run when the condition is false and there is no else", async () => {
    const onlyThen = flowOf({ check: { type: "if", condition: "false", then: "yes" }, yes: say("then") });
    const [result] = await runAll(onlyThen, [input("x")]);
    expect(result!.outputs).toEqual([]);
    expect(result!.state).toMatchObject({ waiting: "none", entrypoint: null });
  });
});

describe("lookup node", () => {
  const flow = flowOf({
    route: {
      type: "lookup",
      value: "context.tier",
      cases: { gold: "gold", "3": "three", constructor: "odd" },
      default: "other",
    },
    gold: say("gold"),
    three: say("three"),
    odd: say("a case named constructor"),
    other: say("default"),
  });
  const run = (tier: unknown) =>
    runFlow(flow, { entrypoint: null, waiting: "none", context: { tier } }, { kind: "start" }, fakePorts());

  it.each([
    ["gold", "gold"],
    ["Gold", "default"],
    [3, "three"],
    ["constructor", "a case named constructor"],
    ["toString", "default"],
    [null, "default"],
  ])("sends %j to %j (string comparison, case-sensitive)", async (tier, expected) => {
    expect(texts(await run(tier))).toEqual([expected]);
  });

  it("stops the run when nothing matches and there is no default", async () => {
    const noDefault = flowOf({
      route: { type: "lookup", value: "context.tier", cases: { gold: "gold" } },
      gold: say("gold"),
    });
    const [result] = await runAll(noDefault, [input("x")]);
    expect(result!.trace).toEqual(["route"]);
    expect(result!.outputs).toEqual([]);
  });
});

describe("goTo node", () => {
  it("continues at its target", async () => {
    const flow = flowOf({
      jump: { type: "goTo", target: "land" },
      skipped: say("skipped"),
      land: say("landed"),
    });
    const [result] = await runAll(flow, [input("x")]);
    expect(result!.trace).toEqual(["jump", "land"]);
  });

  it("with wait: true stops and makes its target the entrypoint of the next input", async () => {
    const flow = flowOf({
      hello: { type: "say", text: "hello", next: "wait" },
      wait: { type: "goTo", target: "echo", wait: true },
      echo: { type: "say", text: "you said {{ input.text }}", next: "wait" },
    });
    const [first, second, third] = await runAll(flow, [{ kind: "start" }, input("one"), input("two")]);
    expect(first!.state).toMatchObject({ waiting: "input", entrypoint: "echo" });
    expect(texts(second!)).toEqual(["you said one"]);
    expect(texts(third!)).toEqual(["you said two"]);
    expect(third!.trace).toEqual(["echo", "wait"]);
  });
});
