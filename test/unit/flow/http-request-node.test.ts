import { describe, expect, it } from "vitest";
import { runFlow, type FlowHttpRequest, type FlowState } from "../../../src/flow/index.ts";
import { fakePorts, flowOf, texts } from "./flow-test-kit.ts";

const state: FlowState = { entrypoint: null, waiting: "none", context: { order: { id: "A/7 b", qty: 2 } } };

describe("httpRequest node", () => {
  const flow = flowOf({
    call: {
      type: "httpRequest",
      method: "POST",
      url: "https://api.example.test/orders/{{ context.order.id }}?lang={{ session.locale }}",
      headers: { Authorization: "Bearer {{ context.token }}", "X-Note": "{{ input.text }}" },
      body: {
        id: "{{ context.order.id }}",
        qty: "{{ context.order.qty }}",
        note: "qty={{ context.order.qty }}",
        fixed: [1, true],
      },
      timeoutMs: 2_000,
      save: "context.api",
      onError: "failed",
      next: "done",
    },
    done: { type: "say", text: "status {{ context.api.status }}, eta {{ context.api.body.eta }}" },
    failed: { type: "say", text: "failed: {{ context.api.error }} {{ context.api.status }}" },
  });

  it("sends the rendered request: encoded URL values, JSON body with raw values, flattened headers", async () => {
    const ports = fakePorts(() =>
      Promise.resolve({ status: 201, headers: { "x-id": "1" }, body: { eta: "2 days" } }),
    );
    const result = await runFlow(flow, state, { kind: "input", text: "line1\r\nX-Evil: 1" }, ports);
    expect(ports.requests).toEqual<FlowHttpRequest[]>([
      {
        method: "POST",
        url: "https://api.example.test/orders/A%2F7%20b?lang=en",
        headers: {
          "content-type": "application/json",
          authorization: "Bearer ",
          "x-note": "line1 X-Evil: 1",
        },
        body: JSON.stringify({ id: "A/7 b", qty: 2, note: "qty=2", fixed: [1, true] }),
        timeoutMs: 2_000,
      },
    ]);
    expect(result.state.context.api).toEqual({
      status: 201,
      ok: true,
      headers: { "x-id": "1" },
      body: { eta: "2 days" },
      error: null,
      durationMs: 5,
    });
    expect(texts(result)).toEqual(["status 201, eta 2 days"]);
  });

  it.each([
    [
      "a status outside 2xx",
      () => Promise.resolve({ status: 503, headers: {}, body: "busy" }),
      "failed: status 503",
    ],
    ["a network failure", () => Promise.reject(new Error("ECONNREFUSED")), "failed: network 0"],
    [
      "a timeout",
      () => Promise.reject(Object.assign(new Error("timed out"), { name: "TimeoutError" })),
      "failed: timeout 0",
    ],
  ])("on %s saves the error and continues at onError", async (_case, answer, expected) => {
    const result = await runFlow(flow, state, { kind: "start" }, fakePorts(answer));
    expect(texts(result)).toEqual([expected]);
    expect(result.state.context.api).toMatchObject({ ok: false });
  });

  it("continues at next on failure when there is no onError", async () => {
    const noHandler = flowOf({
      call: {
        type: "httpRequest",
        url: "https://api.example.test/ping",
        save: "context.ping",
        next: "after",
      },
      after: { type: "say", text: "ok={{ context.ping.ok }}" },
    });
    const ports = fakePorts(() => Promise.reject(new Error("down")));
    const result = await runFlow(noHandler, undefined, { kind: "start" }, ports);
    expect(texts(result)).toEqual(["ok=false"]);
    expect(ports.requests[0]).toEqual({
      method: "GET",
      url: "https://api.example.test/ping",
      headers: {},
      timeoutMs: 10_000,
    });
  });
});
