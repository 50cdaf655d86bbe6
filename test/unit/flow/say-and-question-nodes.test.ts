import { describe, expect, it } from "vitest";
import { runFlow } from "../../../src/flow/index.ts";
import { fakePorts, flowOf, input, runAll, texts } from "./flow-test-kit.ts";

describe("say node", () => {
  it("renders text, quick replies and an Adaptive Card with templates, to the user by default", async () => {
    const flow = flowOf({
      hello: {
        type: "say",
        text: "Hi {{ context.name }}",
        quickReplies: [{ title: "Order {{ context.order }}", payload: "order:{{ context.order }}" }],
        card: {
          type: "AdaptiveCard",
          version: "1.3",
          body: [{ type: "TextBlock", text: "Order {{ context.order }}", size: 3 }],
        },
      },
    });
    const result = await runFlow(
      flow,
      { entrypoint: null, waiting: "none", context: { name: "Ada", order: 7 } },
      { kind: "start" },
      fakePorts(),
    );
    expect(result.outputs).toEqual([
      {
        destination: "user",
        text: "Hi Ada",
        quickReplies: [{ title: "Order 7", payload: "order:7" }],
        card: {
          type: "AdaptiveCard",
          version: "1.3",
          body: [{ type: "TextBlock", text: "Order 7", size: 3 }],
        },
      },
    ]);
  });

  it.each(["user", "agent", "both"] as const)("sends to destination %s", async (destination) => {
    const flow = flowOf({ note: { type: "say", text: "note", destination } });
    const [result] = await runAll(flow, [{ kind: "start" }]);
    expect(result!.outputs).toEqual([{ destination, text: "note" }]);
  });

  it("says nothing when the text renders empty and there is nothing else", async () => {
    const flow = flowOf({
      maybe: { type: "say", text: "{{ context.nothing }}", next: "after" },
      after: { type: "say", text: "after" },
    });
    const [result] = await runAll(flow, [{ kind: "start" }]);
    expect(texts(result!)).toEqual(["after"]);
    expect(result!.trace).toEqual(["maybe", "after"]);
  });
});

describe("question node", () => {
  const flow = flowOf({
    ask: {
      type: "question",
      text: "How many seats?",
      quickReplies: [{ title: "Two", payload: "2" }],
      save: "context.booking.seats",
      validate: "number(input.text) >= 1 && number(input.text) <= 8",
      retryText: "Please give a number from 1 to 8.",
      next: "confirm",
    },
    confirm: { type: "say", text: "Booked {{ context.booking.seats }} seats." },
  });

  it("says its prompt and waits for the answer", async () => {
    const [asked] = await runAll(flow, [{ kind: "start" }]);
    expect(asked!.outputs).toEqual([
      { destination: "user", text: "How many seats?", quickReplies: [{ title: "Two", payload: "2" }] },
    ]);
    expect(asked!.state).toMatchObject({ waiting: "input", questionNodeId: "ask", entrypoint: "ask" });
  });

  it("saves a valid answer at its path and continues at next", async () => {
    const [, answered] = await runAll(flow, [{ kind: "start" }, input("3")]);
    expect(answered!.state.context).toEqual({ booking: { seats: "3" } });
    expect(texts(answered!)).toEqual(["Booked 3 seats."]);
    expect(answered!.trace).toEqual(["ask", "confirm"]);
    expect(answered!.state).toMatchObject({ waiting: "none", entrypoint: null });
  });

  it("says the retry text and keeps waiting when validate is false", async () => {
    const [, retried, answered] = await runAll(flow, [{ kind: "start" }, input("twelve"), input("2")]);
    expect(retried!.outputs).toEqual([
      {
        destination: "user",
        text: "Please give a number from 1 to 8.",
        quickReplies: [{ title: "Two", payload: "2" }],
      },
    ]);
    expect(retried!.state).toMatchObject({ waiting: "input", questionNodeId: "ask", context: {} });
    expect(texts(answered!)).toEqual(["Booked 2 seats."]);
  });

  it("asks the prompt again when there is no retry text", async () => {
    const plain = flowOf({
      ask: {
        type: "question",
        text: "Yes or no?",
        save: "context.yes",
        validate: "input.text in context.choices",
      },
    });
    const [, retried] = await runAll(plain, [{ kind: "start" }, input("maybe")]);
    expect(texts(retried!)).toEqual(["Yes or no?"]);
  });

  it("saves input.data when the input has no text", async () => {
    const form = flowOf({ ask: { type: "question", text: "Fill in the form", save: "context.form" } });
    const [, answered] = await runAll(form, [
      { kind: "start" },
      { kind: "input", data: { email: "a@b.test" } },
    ]);
    expect(answered!.state.context).toEqual({ form: { email: "a@b.test" } });
  });
});
