import { describe, expect, it } from "vitest";
import type { Simulator } from "../src/index.ts";
import { api, control, createChannel, createConversation } from "./support/gateway-client.ts";
import { useFreshSimulator } from "./support/fresh-simulator.ts";
import type { WebhookReceiver } from "./support/webhook-receiver.ts";

let sim: Simulator;
let receiver: WebhookReceiver;
useFreshSimulator((fresh) => ({ sim, receiver } = fresh));

type Summary = Record<string, unknown> & { id: string; status: string };

describe("control API", () => {
  it("lists the default queues with their agents", async () => {
    const result = await control(sim, "GET", "/queues");
    expect(result.status).toBe(200);
    expect(result.body).toEqual({
      queues: [
        {
          id: "311",
          name: "Support EN",
          agents: [
            { id: "agent-anna", name: "Anna" },
            { id: "agent-ben", name: "Ben" },
          ],
        },
        { id: "312", name: "Billing DE", agents: [{ id: "agent-clara", name: "Clara" }] },
      ],
    });
  });

  it("summarises conversations for the console: status, queue, user, custom properties, waiting, unread, typing", async () => {
    const channelId = await createChannel(sim, receiver);
    const id = await createConversation(sim, channelId);
    await api(sim, "POST", `/conversations/${id}/messages`, { authorType: "user", text: "anyone?" });
    await api(sim, "POST", `/conversations/${id}/typing`, { authorType: "user" });

    const queued = await control<{ conversations: Summary[] }>(sim, "GET", "/conversations");
    expect(queued.body.conversations).toEqual([
      expect.objectContaining({
        id,
        channelId,
        state: "active",
        status: "queued",
        queueId: "311",
        queueName: "Support EN",
        user: {
          name: "Ana Pereira",
          userId: "crm-1",
          additionalProperties: [{ key: "Plan", value: "gold" }],
        },
        customProperties: [{ key: "Plan", value: "gold" }],
        waitingSince: expect.any(String) as unknown,
        lastMessage: { text: "anyone?", authorType: "user", createdAt: expect.any(String) as unknown },
        unread: 1,
        userTyping: true,
      }),
    ]);

    const accepted = await control<Summary>(sim, "POST", `/conversations/${id}/accept`, {
      agentId: "agent-ben",
    });
    expect(accepted.body).toMatchObject({
      status: "active",
      agentId: "agent-ben",
      agentName: "Ben",
      unread: 0,
    });
    expect(accepted.body).not.toHaveProperty("waitingSince");
  });

  it("answers 409 for agent actions in the wrong state and 404 for unknown conversations", async () => {
    const channelId = await createChannel(sim, receiver);
    const id = await createConversation(sim, channelId);
    for (const action of ["messages", "typing", "transfer"]) {
      const body = action === "messages" ? { text: "hi" } : action === "transfer" ? { queueId: "312" } : {};
      const result = await control<{ error: { code: string } }>(
        sim,
        "POST",
        `/conversations/${id}/${action}`,
        body,
      );
      expect(result.status).toBe(409);
      expect(result.body.error.code).toBe("no_agent");
    }
    await control(sim, "POST", `/conversations/${id}/accept`);
    const again = await control<{ error: { code: string } }>(sim, "POST", `/conversations/${id}/accept`);
    expect(again.status).toBe(409);
    expect((await control(sim, "POST", "/conversations/missing/accept")).status).toBe(404);
  });

  it("answers bad input with 400 {error: {code, field, expected, message}}", async () => {
    const channelId = await createChannel(sim, receiver);
    const id = await createConversation(sim, channelId);
    const cases: Array<[string, unknown, string]> = [
      ["accept", { agentId: "agent-clara" }, "agentId"],
      ["accept", { agentId: 7 }, "agentId"],
      ["transfer", { queueId: "999" }, "queueId"],
      ["messages", { text: "" }, "text"],
    ];
    for (const [action, body, field] of cases) {
      if (action !== "accept") await control(sim, "POST", `/conversations/${id}/accept`);
      const result = await control(sim, "POST", `/conversations/${id}/${action}`, body);
      expect(result.status).toBe(400);
      expect(result.body).toEqual({
        error: {
          code: "invalid_input",
          field,
          expected: expect.any(String) as unknown,
          message: expect.any(String) as unknown,
        },
      });
    }
    const response = await fetch(`${sim.url}/sim/faults`, { method: "PUT", body: "{not json" });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { field: string } }).error.field).toBe("body");
  });
});
