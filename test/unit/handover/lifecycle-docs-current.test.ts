import { describe, expect, it } from "vitest";
import {
  eventSamples,
  lifecycleRows,
  renderLifecycleMarkdown,
  type HandoverEventType,
} from "../../../src/handover/machine/index.ts";

describe("docs/handover-lifecycle.md", () => {
  it("is the rendering of the current machine (regenerate with `npx vitest run test/unit/handover -u`)", async () => {
    await expect(renderLifecycleMarkdown()).toMatchFileSnapshot("../../../docs/handover-lifecycle.md");
  });

  it("samples every event type the machine knows", () => {
    const all: Record<HandoverEventType, true> = {
      "request.created": true,
      "request.failed": true,
      "provider.conversationState": true,
      "provider.queued": true,
      "provider.agentJoined": true,
      "provider.agentLeft": true,
      "provider.transferred": true,
      "provider.userLeft": true,
      "provider.agentMessage": true,
      "provider.agentTyping": true,
      "provider.rejected": true,
      "provider.cardAction": true,
      "user.message": true,
      "user.cancel": true,
      "user.typing": true,
      "user.connection": true,
      "bot.close": true,
      "bot.setInactivity": true,
      "timer.fired": true,
    };
    expect(new Set(eventSamples.map(({ event }) => event.type))).toEqual(new Set(Object.keys(all)));
  });

  it("has a row for every (situation, event) pair", () => {
    const rows = lifecycleRows();
    const situations = new Set(rows.map((row) => row.situation));
    expect(rows).toHaveLength(situations.size * eventSamples.length);
  });
});
