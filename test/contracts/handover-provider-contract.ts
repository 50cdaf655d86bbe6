import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  CreateHandoverConversation,
  HandoverProvider,
  ProviderEvent,
  TranscriptEntry,
} from "../../src/providers/port.ts";
import { providerMessageKey } from "../../src/handover/provider-message-key.ts";
import { waitFor } from "../factories/wait-for.ts";

/** A file as the agent side shows it; `bytes` is absent where only the name is shown (transcript lines). */
export interface AgentViewFile {
  readonly name: string;
  readonly bytes?: Buffer;
}

/** One line the agent sees. `bot` is everything the integration said that is not the user's. */
export interface AgentViewMessage {
  readonly from: "user" | "bot" | "agent";
  readonly text: string;
  readonly files: readonly AgentViewFile[];
}

/** What the agent side shows of one conversation right now. */
export interface AgentView {
  readonly user: {
    readonly id?: string;
    readonly name?: string;
    readonly email?: string;
    readonly language?: string;
  };
  readonly properties: Readonly<Record<string, string>>;
  /** Everything shown in the conversation, oldest first: the transcript, then what arrived later. */
  readonly messages: readonly AgentViewMessage[];
  /** The agent side shows (or has shown) that the user is typing. */
  readonly userTyping: boolean;
  readonly userLeft: boolean;
}

/** The human agent at the contact center, and what its screen shows. */
export interface ContractAgentSide {
  /** An agent accepts the waiting conversation; resolves with the agent's participant id. */
  accept(conversationId: string): Promise<string>;
  say(conversationId: string, text: string): Promise<void>;
  typing(conversationId: string): Promise<void>;
  /** The agent ends the conversation. */
  close(conversationId: string): Promise<void>;
  view(conversationId: string): Promise<AgentView>;
}

/** The contact center's webhook deliveries, for the tests of what the provider accepts. */
export interface ContractDeliveries {
  /**
   * A well-formed delivery of an event of this conversation whose signature does not match its body: what
   * an attacker without the signing key could send.
   */
  forged(conversationId: string): Promise<{
    readonly eventId: string;
    readonly headers: Readonly<Record<string, string>>;
    readonly body: Buffer;
  }>;
  /** From now on every event is delivered a second time, byte for byte; `false` stops it. */
  duplicate(enabled: boolean): Promise<void>;
  /** Event ids of this conversation whose deliberate second delivery the gateway answered 2xx. */
  redelivered(conversationId: string): Promise<string[]>;
}

/** What `runHandoverProviderContract` runs against. */
export interface HandoverProviderTarget {
  /** Started, and mounted on a gateway server listening at `gatewayUrl`. */
  readonly provider: HandoverProvider;
  readonly gatewayUrl: string;
  /** The events the provider handed to its `onEvent` for one conversation, in hand-on order. */
  eventsOf(conversationId: string): readonly ProviderEvent[];
  /** Routing that reaches a queue with agents (8x8: the channel its setup made). */
  readonly routing: CreateHandoverConversation["routing"];
  readonly agent: ContractAgentSide;
  readonly deliveries: ContractDeliveries;
  close(): Promise<void>;
}

/** How long an event may take from the contact center to `onEvent` (retries and reorder windows included). */
const eventTimeoutMs = 10_000;

const user = { id: "crm-88231", name: "Ana Pereira", email: "ana.pereira@example.org", language: "pt" };
const at = "2025-03-01T10:00:00.000Z";

/**
 * The behaviour every HandoverProvider must show through the port alone, over real HTTP: what the handover
 * service asks of it reaches the agent side, and what the agent does comes back as ProviderEvents through
 * the webhook the provider declares. One target per run; every test makes its own conversation.
 *
 * @example
 * // test/contracts/handover-provider-test-provider.test.ts
 * runHandoverProviderContract("test provider", openTestProviderTarget);
 */
export function runHandoverProviderContract(
  name: string,
  openTarget: () => Promise<HandoverProviderTarget>,
): void {
  describe(`handover provider contract: ${name}`, () => {
    let target: HandoverProviderTarget;
    let counter = 0;

    beforeAll(async () => {
      target = await openTarget();
    });
    afterAll(async () => {
      await target?.close();
    });

    async function newConversation(
      input: Partial<Omit<CreateHandoverConversation, "handoverId">> = {},
    ): Promise<string> {
      const { providerConversationId } = await target.provider.handover.createConversation({
        handoverId: `contract-handover-${Date.now().toString(36)}-${(counter += 1)}`,
        user,
        routing: target.routing,
        transcript: [],
        ...input,
      });
      return providerConversationId;
    }

    const view = (conversationId: string) => target.agent.view(conversationId);

    /** Polls the agent side until `found` picks something out of its view. */
    function seen<T>(
      conversationId: string,
      found: (view: AgentView) => T | undefined | false,
      what: string,
    ) {
      return waitFor(async () => found(await view(conversationId)), eventTimeoutMs, what);
    }

    function handedOn<E extends ProviderEvent>(
      conversationId: string,
      match: (event: ProviderEvent) => event is E,
      what: string,
    ): Promise<E> {
      return waitFor(() => target.eventsOf(conversationId).find(match), eventTimeoutMs, what);
    }

    function webhookPath(): string {
      const webhook = target.provider.webhook;
      if (webhook === undefined) throw new Error("the provider declares no webhook");
      return webhook.path;
    }

    it("declares its capabilities and a webhook path", () => {
      const { capabilities, webhook } = target.provider;
      expect(Number.isInteger(capabilities.maxCustomProperties)).toBe(true);
      expect(capabilities.maxCustomProperties).toBeGreaterThanOrEqual(1);
      expect(Number.isInteger(capabilities.maxTranscriptMessages)).toBe(true);
      expect(capabilities.maxTranscriptMessages).toBeGreaterThanOrEqual(1);
      expect(capabilities.agentLeftGraceSeconds).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(capabilities.agentLeftGraceSeconds)).toBe(true);
      expect(webhook?.path).toMatch(/^(\/[A-Za-z0-9._~-]+)+$/);
    });

    it("creates a conversation whose agent side shows the user, the custom properties and the transcript", async () => {
      const transcript: TranscriptEntry[] = [
        { source: "user", text: "I was charged twice", at },
        { source: "bot", text: "Let me get you an agent.", at },
        { source: "user", text: "", at, attachments: ["receipt.pdf"] },
      ];
      const conversationId = await newConversation({
        routing: { ...target.routing, properties: { Plan: "gold", Order: "A-1009" } },
        transcript,
      });
      expect(conversationId).toEqual(expect.any(String));
      expect(conversationId).not.toBe("");
      const shown = await view(conversationId);
      expect(shown.user).toMatchObject(user);
      expect(shown.properties).toEqual({ Plan: "gold", Order: "A-1009" });
      expect(shown.messages.map((m) => m.from)).toEqual(["user", "bot", "user"]);
      expect(shown.messages[0]!.text).toContain("I was charged twice");
      expect(shown.messages[1]!.text).toContain("Let me get you an agent.");
      // A transcript names its files (they are not re-sent): in the text or as a file entry.
      expect(mentions(shown.messages[2]!)).toContain("receipt.pdf");
    });

    it("carries as many custom properties and transcript messages as its capabilities declare", async () => {
      const { maxCustomProperties, maxTranscriptMessages } = target.provider.capabilities;
      const properties = Object.fromEntries(
        Array.from({ length: maxCustomProperties }, (_, i) => [`key${i + 1}`, `value ${i + 1}`]),
      );
      const transcript = Array.from({ length: maxTranscriptMessages }, (_, i): TranscriptEntry => ({
        source: i % 2 === 0 ? "user" : "bot",
        text: `line ${i + 1}`,
        at,
      }));
      const conversationId = await newConversation({
        routing: { ...target.routing, properties },
        transcript,
      });
      const shown = await view(conversationId);
      expect(shown.properties).toEqual(properties);
      expect(shown.messages.map((m) => m.text)).toEqual(transcript.map((entry) => entry.text));
    });

    it("relays the user's text message to the agent side", async () => {
      const conversationId = await newConversation();
      await target.provider.handover.sendUserMessage(conversationId, { text: "Is anyone there?" });
      const message = await seen(
        conversationId,
        (v) => v.messages.find((m) => m.from === "user" && m.text === "Is anyone there?"),
        "the user's message on the agent side",
      );
      expect(message.files).toEqual([]);
    });

    it("relays the user's attachment to the agent side with its name and bytes", async () => {
      const conversationId = await newConversation();
      const bytes = Buffer.from("%PDF-1.4 refund receipt\n", "utf8");
      await target.provider.handover.sendUserMessage(conversationId, {
        attachments: [{ name: "refund-receipt.pdf", contentType: "application/pdf", bytes }],
      });
      const file = await seen(
        conversationId,
        (v) =>
          v.messages.flatMap((m) => (m.from === "user" ? m.files : [])).find((f) => f.bytes !== undefined),
        "the user's file on the agent side",
      );
      expect(file.name).toBe("refund-receipt.pdf");
      expect(file.bytes?.equals(bytes)).toBe(true);
    });

    it("shows a notice to the agent", async () => {
      const conversationId = await newConversation();
      await target.provider.handover.notifyAgent(conversationId, "The user left the chat.");
      const notice = await seen(
        conversationId,
        (v) => v.messages.find((m) => m.text === "The user left the chat."),
        "the notice on the agent side",
      );
      expect(notice.from).toBe("bot");
    });

    it("with checkFirst, does not post again a user message or notice that already reached the agent side", async () => {
      const conversationId = await newConversation();
      const { handover } = target.provider;
      await handover.sendUserMessage(conversationId, { text: "My order never came" });
      await handover.notifyAgent(conversationId, "The user left the chat.");
      // The notice's answer was lost, say: the next attempt is told nothing equal was completed before it.
      const notice = await handover.notifyAgent(conversationId, "The user left the chat.", {
        checkFirst: { identicalBefore: 0 },
      });
      await handover.sendUserMessage(conversationId, { text: "Hello?" });
      const user = await handover.sendUserMessage(
        conversationId,
        { text: "Hello?" },
        { checkFirst: { identicalBefore: 0 } },
      );
      await handover.sendUserMessage(conversationId, { text: "Still there?" });
      const shown = await seen(
        conversationId,
        (v) => v.messages.some((m) => m.text === "Still there?") && v,
        "the message after the checked ones",
      );
      expect(notice).toEqual({ alreadyThere: true });
      expect(user).toEqual({ alreadyThere: true });
      expect(shown.messages.map((m) => [m.from, m.text])).toEqual([
        ["user", "My order never came"],
        ["bot", "The user left the chat."],
        ["user", "Hello?"],
        ["user", "Still there?"],
      ]);
    });

    it("with checkFirst, posts a message whose earlier attempt did not land, even one equal to the message before it", async () => {
      const conversationId = await newConversation();
      const { handover } = target.provider;
      await handover.sendUserMessage(conversationId, { text: "ok" });
      await target.agent.accept(conversationId);
      await target.agent.say(conversationId, "Anything else?");
      // The user really wrote "ok" twice; the second attempt failed before it reached the contact center.
      const second = await handover.sendUserMessage(
        conversationId,
        { text: "ok" },
        { checkFirst: { identicalBefore: 1 } },
      );
      const shown = await seen(
        conversationId,
        (v) => v.messages.filter((m) => m.from === "user" && m.text === "ok").length === 2 && v,
        "the second ok on the agent side",
      );
      expect(second).toEqual({ alreadyThere: false });
      expect(shown.messages.map((m) => [m.from, m.text])).toEqual([
        ["user", "ok"],
        ["agent", "Anything else?"],
        ["user", "ok"],
      ]);
    });

    it("shows the user typing on the agent side", async () => {
      const conversationId = await newConversation();
      expect((await view(conversationId)).userTyping).toBe(false);
      await target.provider.handover.userTyping(conversationId);
      await seen(conversationId, (v) => v.userTyping, "the user typing on the agent side");
    });

    it("ends the conversation on the agent side when the user leaves", async () => {
      const conversationId = await newConversation();
      await target.agent.accept(conversationId);
      expect((await view(conversationId)).userLeft).toBe(false);
      await target.provider.handover.userLeaves(conversationId);
      await seen(conversationId, (v) => v.userLeft, "the user gone from the agent side");
    });

    it("hands on the agent joining, writing, typing and closing as events, in order", async () => {
      const conversationId = await newConversation();
      const agentId = await target.agent.accept(conversationId);
      await target.agent.say(conversationId, "Hi Ana, I refunded the duplicate charge.");
      await target.agent.typing(conversationId);
      await target.agent.close(conversationId);
      await handedOn(conversationId, isEnd, "participant.left or conversation.state idle");

      const events = target.eventsOf(conversationId);
      const joined = events.findIndex((e) => e.kind === "participant.joined" && e.role === "agent");
      const said = events.findIndex((e) => e.kind === "message.received" && e.sender.role === "agent");
      const typing = events.findIndex(
        (e) => e.kind === "typing" && e.typists.some((t) => t.role === "agent"),
      );
      const ended = events.findIndex(isEnd);
      expect(
        [joined, said, typing, ended].every((index) => index >= 0),
        events.map(label).join(", "),
      ).toBe(true);
      expect(joined < said && said < typing && typing < ended, events.map(label).join(", ")).toBe(true);

      expect(events[joined]).toMatchObject({ participantId: agentId });
      expect(events[said]).toMatchObject({
        sender: { id: agentId, role: "agent" },
        text: "Hi Ana, I refunded the duplicate charge.",
        attachments: [],
      });
      expect(events[typing]).toMatchObject({ typists: [{ id: agentId, role: "agent" }] });
      for (const event of events) {
        expect(event).toMatchObject({ providerId: target.provider.id, conversationId });
        expect(event.eventId).toEqual(expect.any(String));
        expect(event.occurredAt).toBeGreaterThan(0);
      }
      expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
    });

    it("refuses a delivery with a bad signature at its webhook path with 401 and hands nothing on", async () => {
      const conversationId = await newConversation();
      await target.agent.accept(conversationId);
      const forged = await target.deliveries.forged(conversationId);
      const path = webhookPath();
      for (const url of [
        `${target.gatewayUrl}${path}/${encodeURIComponent(target.provider.id)}`,
        `${target.gatewayUrl}${path}`,
      ]) {
        const response = await request(url, { method: "POST", headers: forged.headers, body: forged.body });
        expect(response.statusCode, url).toBe(401);
        expect(await response.body.json()).toMatchObject({
          error: { code: "BATON_ERR_WEBHOOK_SIGNATURE_INVALID" },
        });
      }
      // A genuine event after the forged one: once it is handed on, a forged one would have been too.
      await target.agent.say(conversationId, "After the forgery.");
      await handedOn(conversationId, isAgentMessage, "the genuine agent message");
      expect(target.eventsOf(conversationId).map((e) => e.eventId)).not.toContain(forged.eventId);
      expect(
        target
          .eventsOf(conversationId)
          .filter(isAgentMessage)
          .map((e) => e.text),
      ).toEqual(["After the forgery."]);
    });

    it("hands on an event delivered twice once", async () => {
      const conversationId = await newConversation();
      await target.deliveries.duplicate(true);
      let message: Extract<ProviderEvent, { kind: "message.received" }>;
      try {
        await target.agent.accept(conversationId);
        await target.agent.say(conversationId, "Only once, please.");
        message = await handedOn(conversationId, isAgentMessage, "the agent message");
        // The second delivery was answered, so the provider has already decided about it.
        await waitFor(
          async () => (await target.deliveries.redelivered(conversationId)).includes(message.eventId),
          eventTimeoutMs,
          "the second delivery of the agent message answered",
        );
      } finally {
        await target.deliveries.duplicate(false);
      }
      const ids = target.eventsOf(conversationId).map((e) => e.eventId);
      expect(ids.filter((id) => id === message.eventId)).toHaveLength(1);
      expect(new Set(ids).size).toBe(ids.length);
    });

    describe("catch-up (reconcile)", () => {
      function reconcile(conversationId: string, since = 0) {
        const operations = target.provider.handover;
        if (operations.reconcile === undefined)
          throw new Error("the provider cannot be caught up with (no reconcile)");
        return operations.reconcile(conversationId, since);
      }

      /** What the service's de-duplication compares: a caught-up message must equal its webhook's. */
      const asKeyed = (event: Extract<ProviderEvent, { kind: "message.received" }>) => ({
        sender: event.sender,
        occurredAt: event.occurredAt,
        text: event.text,
        attachments: event.attachments.map((a) => a.id),
        cards: event.cards,
        key: providerMessageKey(event),
      });

      it("reads back the agent's messages exactly as their webhook events carried them, oldest first", async () => {
        const conversationId = await newConversation();
        await target.agent.accept(conversationId);
        await target.agent.say(conversationId, "First, the refund.");
        await target.agent.say(conversationId, "Second, the receipt.");
        await waitFor(
          () => target.eventsOf(conversationId).filter(isAgentMessage).length === 2,
          eventTimeoutMs,
          "both agent messages handed on",
        );
        const delivered = target.eventsOf(conversationId).filter(isAgentMessage);

        const read = await reconcile(conversationId);
        const caughtUp = read.messages.filter((m) => m.sender.role === "agent");
        expect(caughtUp.map(asKeyed)).toEqual(delivered.map(asKeyed));
        for (const message of read.messages) {
          expect(message).toMatchObject({
            providerId: target.provider.id,
            conversationId,
            kind: "message.received",
          });
        }
        expect(new Set(read.messages.map((m) => m.eventId)).size).toBe(read.messages.length);
      });

      it("lists only the messages created at or after `since`", async () => {
        const conversationId = await newConversation();
        await target.agent.accept(conversationId);
        await target.agent.say(conversationId, "Old news.");
        await target.agent.say(conversationId, "New news.");
        const second = await waitFor(
          () => target.eventsOf(conversationId).filter(isAgentMessage)[1],
          eventTimeoutMs,
          "the second agent message handed on",
        );
        const read = await reconcile(conversationId, second.occurredAt);
        expect(read.messages.map((m) => m.text)).toEqual(["New news."]);
        expect((await reconcile(conversationId, second.occurredAt + 1)).messages).toEqual([]);
      });

      it("reports a waiting conversation's queue, the agent who holds it, and the end after the agent closes", async () => {
        const conversationId = await newConversation();
        const waiting = await reconcile(conversationId);
        expect(waiting).toMatchObject({ ended: false, agentsLeft: [] });
        expect(waiting.agent).toBeUndefined();
        expect(waiting.queueId).toEqual(expect.any(String));

        const agentId = await target.agent.accept(conversationId);
        const held = await reconcile(conversationId);
        expect(held).toMatchObject({ ended: false, agent: { id: agentId } });
        expect(held.queueId).toBeUndefined();

        await target.agent.close(conversationId);
        const ended = await reconcile(conversationId);
        expect(ended.ended).toBe(true);
        expect(ended.agent).toBeUndefined();
        expect(ended.agentsLeft).toContain(agentId);
      });
    });
  });
}

function isAgentMessage(event: ProviderEvent): event is Extract<ProviderEvent, { kind: "message.received" }> {
  return event.kind === "message.received" && event.sender.role === "agent";
}

/** The agent's close: the agent leaving, or the conversation going idle (a provider may send both). */
function isEnd(event: ProviderEvent): event is ProviderEvent {
  return (
    (event.kind === "participant.left" && event.role === "agent") ||
    (event.kind === "conversation.state" && event.state === "idle")
  );
}

/** The text of a message and the names of its files, for checks that must not care which one names a file. */
function mentions(message: AgentViewMessage): string {
  return [message.text, ...message.files.map((file) => file.name)].join("\n");
}

/** A compact label for failure messages, e.g. `participant.joined:agent`. */
function label(event: ProviderEvent): string {
  switch (event.kind) {
    case "participant.joined":
    case "participant.left":
      return `${event.kind}:${event.role}`;
    case "message.received":
      return `message:${event.sender.role}`;
    case "typing":
      return `typing:${event.typists.map((t) => t.role).join(",") || "none"}`;
    case "conversation.state":
      return `state:${event.state}`;
    default:
      return event.kind;
  }
}
