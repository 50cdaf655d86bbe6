import { describe, expect, it } from "vitest";
import type { ProviderGap } from "../../../src/providers/port.ts";
import {
  createReceiverHarness,
  rejectionOf,
  shareReceiverStoreInFile,
} from "../../factories/eight-by-eight-receiver.ts";
import { waitFor } from "../../factories/wait-for.ts";

shareReceiverStoreInFile();

const message = {
  eventType: "MESSAGE",
  conversationId: "cv_gap",
  timestamp: 1_767_225_671_234,
  data: { isEcho: false, sender: { id: "agent-1", type: "agent" }, text: "Hello" },
};

/** The receiver reports possible losses so the gateway can catch the conversation up from 8x8's API. */
describe("8x8 webhook receiver: reporting gaps", () => {
  it("reports a gap for the conversation of a delivery it answered 503 because the store could not take it", async () => {
    const gaps: ProviderGap[] = [];
    const base = await createReceiverHarness();
    const h = await createReceiverHarness({
      events: {
        ...base.store.webhookEvents,
        recordIfNew: () => Promise.reject(new Error("connection terminated")),
      },
      onGap: (gap) => void gaps.push(gap),
    });
    const error = await rejectionOf(h.deliver(message));
    expect(error).toMatchObject({ code: "BATON_ERR_STORE_UNAVAILABLE", status: 503 });
    expect(gaps).toEqual([{ conversationId: "cv_gap", reason: "BATON_ERR_STORE_UNAVAILABLE" }]);
  });

  it("reports no gap for a delivery refused as forged (its sender would only send it again alike)", async () => {
    const gaps: ProviderGap[] = [];
    const h = await createReceiverHarness({ onGap: (gap) => void gaps.push(gap) });
    const error = await rejectionOf(h.deliver(message, { hmacSecret: Buffer.from("guessed") }));
    expect(error.status).toBe(401);
    const accepted = await h.deliver(message);
    expect(accepted.status).toBe(200);
    await h.receiver.idle();
    expect(gaps).toEqual([]);
  });

  it("reports a gap for the conversation of an event whose handler failed for good", async () => {
    const gaps: ProviderGap[] = [];
    const h = await createReceiverHarness({
      reorderWindowMs: 0,
      handlerRetry: { attempts: 2, initialDelayMs: 1, maxDelayMs: 1 },
      onEvent: () => Promise.reject(new Error("the bus is unreachable")),
      onGap: (gap) => void gaps.push(gap),
    });
    const answered = await h.deliver(message);
    expect(answered.status).toBe(200);
    await h.receiver.idle();
    await waitFor(() => gaps.length > 0, 5_000, "the gap reported");
    expect(gaps).toEqual([{ conversationId: "cv_gap", reason: "unexpected error" }]);
  });
});
