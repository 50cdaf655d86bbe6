/**
 * A provider at the port for the service tier: records every operation, can be told to fail the next calls
 * of an operation, and never talks HTTP (events are handed to the handover service directly). Test support.
 */
import type {
  CreateHandoverConversation,
  HandoverProvider,
  OutgoingAttachment,
  ProviderCapabilities,
  ReconciledConversation,
} from "../../src/providers/port.ts";

export type FakeOperation = keyof HandoverProvider["handover"];

export type FakeCall =
  | {
      readonly op: "createConversation";
      readonly conversationId: string;
      readonly input: CreateHandoverConversation;
    }
  | {
      readonly op: "sendUserMessage";
      readonly conversationId: string;
      readonly text?: string;
      readonly attachments: readonly OutgoingAttachment[];
    }
  | { readonly op: "notifyAgent"; readonly conversationId: string; readonly text: string }
  | { readonly op: "userTyping"; readonly conversationId: string }
  | { readonly op: "userLeaves"; readonly conversationId: string }
  | { readonly op: "reconcile"; readonly conversationId: string; readonly since: number };

export interface FakeProvider {
  readonly provider: HandoverProvider;
  readonly calls: readonly FakeCall[];
  callsOf<O extends FakeOperation>(op: O): Extract<FakeCall, { op: O }>[];
  /** The next `times` calls of `op` throw `error` (before anything is recorded). */
  failNext(op: FakeOperation, error: unknown, times?: number): void;
  /**
   * What `reconcile` reads of a conversation from now on (the contact center's side, as a test sets it);
   * its messages are filtered by `since`. Unset: a waiting conversation with no messages.
   */
  holds(conversationId: string, conversation: Partial<ReconciledConversation>): void;
  /** The next `reconcile` of this conversation throws `error`. */
  failReadOf(conversationId: string, error: unknown): void;
  /** The next `reconcile` of the conversation waits for the returned release (a read in flight). */
  holdNextRead(conversationId: string): { readonly started: Promise<void>; release(): void };
}

export function createFakeProvider(
  id = "eight",
  capabilities: ProviderCapabilities = {
    maxCustomProperties: 30,
    maxTranscriptMessages: 200,
    agentLeftGraceSeconds: 0,
  },
): FakeProvider {
  const calls: FakeCall[] = [];
  const failures = new Map<FakeOperation, unknown[]>();
  const held = new Map<string, Partial<ReconciledConversation>>();
  const gates = new Map<string, { opened: () => void; release: Promise<void> }>();
  const failingReads = new Map<string, unknown>();
  let conversations = 0;

  function maybeFail(op: FakeOperation): void {
    const queued = failures.get(op);
    if (queued !== undefined && queued.length > 0) throw queued.shift();
  }

  const provider: HandoverProvider = {
    id,
    type: "fake",
    capabilities,
    handover: {
      createConversation(input) {
        maybeFail("createConversation");
        conversations += 1;
        const conversationId = `${id}-conversation-${conversations}`;
        calls.push({ op: "createConversation", conversationId, input });
        return Promise.resolve({ providerConversationId: conversationId });
      },
      sendUserMessage(conversationId, message) {
        maybeFail("sendUserMessage");
        calls.push({
          op: "sendUserMessage",
          conversationId,
          ...(message.text !== undefined ? { text: message.text } : {}),
          attachments: message.attachments ?? [],
        });
        return Promise.resolve();
      },
      notifyAgent(conversationId, text) {
        maybeFail("notifyAgent");
        calls.push({ op: "notifyAgent", conversationId, text });
        return Promise.resolve();
      },
      userTyping(conversationId) {
        maybeFail("userTyping");
        calls.push({ op: "userTyping", conversationId });
        return Promise.resolve();
      },
      userLeaves(conversationId) {
        maybeFail("userLeaves");
        calls.push({ op: "userLeaves", conversationId });
        return Promise.resolve();
      },
      async reconcile(conversationId, since) {
        const gate = gates.get(conversationId);
        if (gate !== undefined) {
          gates.delete(conversationId);
          gate.opened();
          await gate.release;
        }
        maybeFail("reconcile");
        if (failingReads.has(conversationId)) {
          const error = failingReads.get(conversationId);
          failingReads.delete(conversationId);
          throw error;
        }
        calls.push({ op: "reconcile", conversationId, since });
        const conversation = held.get(conversationId) ?? {};
        return {
          agentsLeft: [],
          ended: false,
          ...conversation,
          messages: (conversation.messages ?? []).filter((message) => message.occurredAt >= since),
        };
      },
    },
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
  };

  return {
    provider,
    calls,
    callsOf: <O extends FakeOperation>(op: O) =>
      calls.filter((c): c is Extract<FakeCall, { op: O }> => c.op === op),
    failNext(op, error, times = 1) {
      failures.set(op, [...(failures.get(op) ?? []), ...Array.from({ length: times }, () => error)]);
    },
    holds(conversationId, conversation) {
      held.set(conversationId, conversation);
    },
    failReadOf(conversationId, error) {
      failingReads.set(conversationId, error);
    },
    holdNextRead(conversationId) {
      let opened!: () => void;
      let release!: () => void;
      const started = new Promise<void>((resolve) => (opened = resolve));
      gates.set(conversationId, { opened, release: new Promise<void>((resolve) => (release = resolve)) });
      return { started, release };
    },
  };
}
