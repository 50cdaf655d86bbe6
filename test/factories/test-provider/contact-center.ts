import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { BatonError } from "../../../src/errors/index.ts";
import type {
  CreateHandoverConversation,
  HandoverOperations,
  HandoverUser,
  ProviderEvent,
  TranscriptEntry,
} from "../../../src/providers/port.ts";
import { createEventDelivery, type DeliveryRecord, type EventDeliveryOptions } from "./event-delivery.ts";
import type {
  DistributiveOmit,
  WireAgentMessage,
  WireConversationState,
  WireCreateConversation,
  WireError,
  WireEvent,
  WireMessageList,
  WireUserMessage,
} from "./wire.ts";

export type TestOperation = keyof HandoverOperations;

export interface CenterFile {
  readonly name: string;
  readonly contentType: string;
  readonly bytes: Buffer;
}

/** Something shown to the agent after the conversation was created. */
export interface CenterMessage {
  readonly from: "user" | "notice" | "agent";
  readonly text: string;
  readonly attachments: readonly CenterFile[];
}

/** A conversation as the contact center holds it: what the agent side sees. */
export interface CenterConversation {
  readonly id: string;
  readonly handoverId: string;
  readonly user: HandoverUser;
  readonly routing: CreateHandoverConversation["routing"];
  readonly transcript: readonly TranscriptEntry[];
  /** User messages, notices and the agent's own messages, oldest first. */
  readonly messages: readonly CenterMessage[];
  /** How often the gateway reported the user typing. */
  readonly userTypingCount: number;
  readonly userLeft: boolean;
  readonly status: "queued" | "assigned" | "ended";
  readonly queueId: string;
  readonly agentId?: string;
  /** The agents' messages as `GET /conversations/{id}` lists them (catch-up), oldest first. */
  readonly agentMessages: readonly WireAgentMessage[];
  /** Agents who were in the conversation and left it. */
  readonly agentsLeft: readonly string[];
}

/** One call of the contact center's API by the provider; `failed` when an injected fault answered it. */
export interface CenterCall {
  readonly operation: TestOperation;
  readonly conversationId?: string;
  readonly failed: boolean;
}

/** Any ProviderEvent for `emit`; the event id and time are made up unless given. */
export type EmittedEvent = DistributiveOmit<
  ProviderEvent,
  "providerId" | "conversationId" | "eventId" | "occurredAt"
> & { readonly eventId?: string; readonly occurredAt?: number };

export interface TestContactCenterOptions {
  /** Shared with the provider: signs every webhook delivery. Random when absent. */
  readonly secret?: string;
  /** Where a conversation is queued when its routing names no queue; default `support`. */
  readonly defaultQueueId?: string;
  readonly delivery?: Omit<EventDeliveryOptions, "secret">;
}

type Conversation = { -readonly [K in keyof CenterConversation]: CenterConversation[K] } & {
  messages: CenterMessage[];
  agentMessages: WireAgentMessage[];
  agentsLeft: string[];
};

class WireFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: WireError,
  ) {
    super(body.error.message);
  }
}

const refuse = (status: number, code: string, message: string) =>
  new WireFailure(status, { error: { code, message } });

/**
 * An in-memory contact center on 127.0.0.1 port 0, for tests: the API the test provider calls, the agent side
 * a test plays, and signed webhook delivery of what happens to the gateway. Close it when done.
 *
 * @example
 * const center = await startTestContactCenter();
 * const provider = testProvider.create("test", center.config, { store, logger, metrics: noopMetrics });
 * // mount the provider on the gateway, then:
 * center.connect(`${gatewayUrl}/handover/testProvider/test`);
 * await center.agent.accept(conversationId);
 * center.failNext("sendUserMessage", new BatonError("BATON_ERR_PROVIDER_REQUEST_REJECTED", { status: 404 }));
 */
export async function startTestContactCenter(options: TestContactCenterOptions = {}) {
  const secret = options.secret ?? randomBytes(16).toString("hex");
  const defaultQueueId = options.defaultQueueId ?? "support";
  const delivery = createEventDelivery({ secret, ...options.delivery });
  const conversations = new Map<string, Conversation>();
  const files = new Map<string, CenterFile>();
  const faults = new Map<TestOperation, BatonError[]>();
  /** Calls of an operation still to be carried out and then answered with a reset connection. */
  const lostAnswers = new Map<TestOperation, number>();
  const answerLost = new WeakSet<IncomingMessage>();
  /** Conversations whose messages the provider listed (it checks before sending again), in call order. */
  const lookups: string[] = [];
  const calls: CenterCall[] = [];
  let counter = 0;
  let lastOccurredAt = 0;
  const nextId = (prefix: string): string => `${prefix}-${(counter += 1)}-${randomBytes(4).toString("hex")}`;

  const server = createServer((req, res) => {
    answer(req, res).catch((error: unknown) => res.destroy(error as Error));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // ------------------------------------------------------------------------------------------ the API

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const { status, body, contentType = "application/json" } = await route(req);
      if (answerLost.has(req)) {
        // Carried out, and then the answer never arrives: the caller cannot tell whether it happened.
        req.socket.resetAndDestroy();
        return;
      }
      res.writeHead(status, { "content-type": contentType });
      res.end(body instanceof Buffer ? body : JSON.stringify(body ?? {}));
    } catch (error) {
      const failure = error instanceof WireFailure ? error : refuse(500, "internal", String(error));
      res.writeHead(failure.status, { "content-type": "application/json" });
      res.end(JSON.stringify(failure.body));
    }
  }

  /**
   * `POST /conversations`, `POST /conversations/{id}/messages | notices | typing | leave`,
   * `GET /conversations/{id}?since=` (catch-up) and `GET /files/{id}` for the files agents send. An ended
   * conversation takes no more messages, notices or typing (409); leaving is always accepted, so a repeated
   * leave is harmless.
   */
  async function route(
    req: IncomingMessage,
  ): Promise<{ status: number; body?: object | Buffer; contentType?: string }> {
    const [path = "", query = ""] = (req.url ?? "").split("?");
    const [, first, id = "", action] = path.split("/").map(decodeURIComponent);
    if (req.method === "GET" && first === "files") {
      const file = files.get(id);
      if (file === undefined) throw refuse(404, "not_found", "no such file");
      return { status: 200, body: file.bytes, contentType: file.contentType };
    }
    if (req.method === "GET" && first === "conversations" && action === undefined) {
      called("reconcile", id);
      const conversation = conversations.get(id);
      if (conversation === undefined) throw refuse(404, "not_found", `conversation ${id} does not exist`);
      return {
        status: 200,
        body: standing(conversation, Number(new URLSearchParams(query).get("since") ?? 0)),
      };
    }
    if (req.method === "GET" && first === "conversations" && action === "messages") {
      lookups.push(id);
      const conversation = conversations.get(id);
      if (conversation === undefined) throw refuse(404, "not_found", `conversation ${id} does not exist`);
      return { status: 200, body: listed(conversation) };
    }
    if (req.method !== "POST" || first !== "conversations") throw refuse(404, "not_found", "no such route");
    const body = JSON.parse((await readBody(req)).toString("utf8") || "{}") as unknown;
    if (id === "") {
      called("createConversation");
      loseAnswerIfAsked(req, "createConversation");
      return { status: 201, body: create(body as WireCreateConversation) };
    }
    const operation = operationOf(action);
    const conversation = conversations.get(id);
    called(operation, id);
    if (conversation === undefined) throw refuse(404, "not_found", `conversation ${id} does not exist`);
    loseAnswerIfAsked(req, operation);
    if (operation === "userLeaves") {
      userLeaves(conversation);
      return { status: 204 };
    }
    if (conversation.status === "ended") throw refuse(409, "ended", `conversation ${id} has ended`);
    if (operation === "sendUserMessage") conversation.messages.push(userMessage(body as WireUserMessage));
    if (operation === "notifyAgent") {
      conversation.messages.push({ from: "notice", text: (body as { text: string }).text, attachments: [] });
    }
    if (operation === "userTyping") conversation.userTypingCount += 1;
    return { status: 204 };
  }

  function operationOf(action: string | undefined): TestOperation {
    switch (action) {
      case "messages":
        return "sendUserMessage";
      case "notices":
        return "notifyAgent";
      case "typing":
        return "userTyping";
      case "leave":
        return "userLeaves";
      default:
        throw refuse(404, "not_found", "no such route");
    }
  }

  /** Records the call and answers it with the next injected fault of its operation, if there is one. */
  function called(operation: TestOperation, conversationId?: string): void {
    const fault = faults.get(operation)?.shift();
    calls.push({
      operation,
      ...(conversationId === undefined ? {} : { conversationId }),
      failed: fault !== undefined,
    });
    if (fault === undefined) return;
    throw new WireFailure(fault.status, {
      error: { code: fault.code, message: fault.message, details: fault.details },
    });
  }

  function loseAnswerIfAsked(req: IncomingMessage, operation: TestOperation): void {
    const left = lostAnswers.get(operation) ?? 0;
    if (left === 0) return;
    lostAnswers.set(operation, left - 1);
    answerLost.add(req);
  }

  /** What the agent side shows after the create, newest first, as the provider compares it. */
  function listed(conversation: Conversation): WireMessageList {
    return {
      messages: [...conversation.messages].reverse().map((message) => ({
        author: message.from === "notice" ? "bot" : message.from,
        text: message.text,
        attachments: message.attachments.length,
      })),
    };
  }

  function create(input: WireCreateConversation): { conversationId: string } {
    const conversation: Conversation = {
      id: nextId("conv"),
      handoverId: input.handoverId,
      user: input.user,
      routing: input.routing,
      transcript: input.transcript,
      messages: [],
      userTypingCount: 0,
      userLeft: false,
      status: "queued",
      queueId: input.routing.queueId ?? defaultQueueId,
      agentMessages: [],
      agentsLeft: [],
    };
    conversations.set(conversation.id, conversation);
    // After the answer is written, as a real contact center would: the event may still overtake it.
    setImmediate(() =>
      background(send(conversation, { kind: "conversation.queued", queueId: conversation.queueId })),
    );
    return { conversationId: conversation.id };
  }

  function standing(conversation: Conversation, since: number): WireConversationState {
    return {
      status: conversation.status,
      queueId: conversation.queueId,
      ...(conversation.agentId === undefined ? {} : { agentId: conversation.agentId }),
      agentsLeft: [...conversation.agentsLeft],
      messages: conversation.agentMessages.filter((message) => message.occurredAt >= since),
    };
  }

  function userMessage(body: WireUserMessage): CenterMessage {
    return {
      from: "user",
      text: body.text ?? "",
      attachments: body.attachments.map(({ name, contentType, base64 }) => ({
        name,
        contentType,
        bytes: Buffer.from(base64, "base64"),
      })),
    };
  }

  function userLeaves(conversation: Conversation): void {
    if (conversation.userLeft) return;
    conversation.userLeft = true;
    const events: EmittedEvent[] = [{ kind: "participant.left", role: "user", participantId: "user" }];
    if (conversation.status !== "ended") events.push(...endEvents(conversation));
    setImmediate(() => background(sendAll(conversation, events)));
  }

  // ------------------------------------------------------------------------------------------ events

  /** Strictly increasing, so events sort by it; an agent message keeps its instant for `GET` (catch-up). */
  function nextOccurredAt(): number {
    lastOccurredAt = Math.max(Date.now(), lastOccurredAt + 1);
    return lastOccurredAt;
  }

  function send(conversation: Conversation, event: EmittedEvent): Promise<string> {
    const wire = {
      ...event,
      conversationId: conversation.id,
      eventId: event.eventId ?? nextId("evt"),
      occurredAt: event.occurredAt ?? nextOccurredAt(),
    } as WireEvent;
    return delivery.send(wire).then(() => wire.eventId);
  }

  async function sendAll(conversation: Conversation, events: readonly EmittedEvent[]): Promise<void> {
    await Promise.all(events.map((event) => send(conversation, event)));
  }

  /** The agent (if any) leaves and the conversation goes idle; the caller sends the events. */
  function endEvents(conversation: Conversation): EmittedEvent[] {
    const events: EmittedEvent[] = [];
    if (conversation.agentId !== undefined) {
      events.push({ kind: "participant.left", role: "agent", participantId: conversation.agentId });
      conversation.agentsLeft.push(conversation.agentId);
    }
    events.push({ kind: "conversation.state", state: "idle" });
    conversation.status = "ended";
    delete conversation.agentId;
    return events;
  }

  function open(conversationId: string): Conversation {
    const conversation = conversations.get(conversationId);
    if (conversation === undefined)
      throw new Error(`no conversation ${conversationId} at the contact center`);
    if (conversation.status === "ended") throw new Error(`conversation ${conversationId} has ended`);
    return conversation;
  }

  function assigned(conversationId: string): Conversation & { agentId: string } {
    const conversation = open(conversationId);
    if (conversation.agentId === undefined) throw new Error(`no agent has accepted ${conversationId}`);
    return conversation as Conversation & { agentId: string };
  }

  /** What a human agent does; each call resolves once the gateway has answered the events it causes. */
  const agent = {
    async accept(conversationId: string, agentId = "agent-1"): Promise<string> {
      const conversation = open(conversationId);
      conversation.status = "assigned";
      conversation.agentId = agentId;
      await send(conversation, { kind: "participant.joined", role: "agent", participantId: agentId });
      return agentId;
    },
    async say(conversationId: string, text: string, attachments: readonly CenterFile[] = []): Promise<void> {
      const conversation = assigned(conversationId);
      conversation.messages.push({ from: "agent", text, attachments });
      const message: WireAgentMessage = {
        id: nextId("msg"),
        senderId: conversation.agentId,
        occurredAt: nextOccurredAt(),
        text,
        attachments: attachments.map((file) => {
          const id = nextId("file");
          files.set(id, file);
          const kind = /^(image|video|audio)\//.exec(file.contentType)?.[1] ?? "file";
          return { id, kind, fileName: file.name, url: `${url}/files/${id}` };
        }),
      };
      conversation.agentMessages.push(message);
      await send(conversation, {
        kind: "message.received",
        sender: { id: message.senderId, role: "agent" },
        text,
        attachments: message.attachments,
        cards: [],
        occurredAt: message.occurredAt,
      });
    },
    /** The agent starts typing, or stops with `false`. */
    async typing(conversationId: string, active = true): Promise<void> {
      const conversation = assigned(conversationId);
      const typists = active ? [{ id: conversation.agentId, role: "agent" as const }] : [];
      await send(conversation, { kind: "typing", typists });
    },
    /** Announces the transfer before the agent leaves, so a grace of 0 s is enough. */
    async transfer(conversationId: string, queueId: string): Promise<void> {
      const { agentId } = assigned(conversationId);
      const conversation = open(conversationId);
      conversation.status = "queued";
      conversation.queueId = queueId;
      conversation.agentsLeft.push(agentId);
      delete conversation.agentId;
      await sendAll(conversation, [
        { kind: "conversation.transferred" },
        { kind: "participant.left", role: "agent", participantId: agentId },
        { kind: "conversation.queued", queueId },
      ]);
    },
    /** The agent (or, before one joined, the queue) ends the conversation. */
    async close(conversationId: string): Promise<void> {
      const conversation = open(conversationId);
      await sendAll(conversation, endEvents(conversation));
    },
  };

  return {
    /** The API's base URL: the provider's `baseUrl`. */
    url,
    secret,
    /** The test provider's config for this contact center. */
    config: { type: "test" as const, baseUrl: url, secret },
    agent,
    /** Sets the gateway URL events are posted to (`{gateway}{webhook.path}/{providerId}`) and starts delivery. */
    connect: (webhookUrl: string): void => delivery.connect(webhookUrl),
    conversation: (id: string): CenterConversation | undefined => conversations.get(id),
    conversations: (): CenterConversation[] => [...conversations.values()],
    /** Every API call so far, oldest first. */
    calls: (): readonly CenterCall[] => [...calls],
    /**
     * The next `times` calls of `operation` are carried out (the message is stored, the conversation created)
     * and then answered with a reset connection: the provider cannot tell whether they happened.
     */
    loseNextAnswer(operation: TestOperation, times = 1): void {
      lostAnswers.set(operation, (lostAnswers.get(operation) ?? 0) + times);
    },
    /** The conversations whose messages the provider looked up (before sending again), oldest first. */
    lookups: (): readonly string[] => [...lookups],
    /** The next `times` calls of `operation` are answered with `error`, which the provider throws as it is. */
    failNext(operation: TestOperation, error: BatonError, times = 1): void {
      faults.set(operation, [...(faults.get(operation) ?? []), ...Array<BatonError>(times).fill(error)]);
    },
    /** Delivers any event for a conversation; resolves with its event id once the gateway answered it. */
    async emit(conversationId: string, event: EmittedEvent): Promise<string> {
      const conversation = conversations.get(conversationId);
      if (conversation === undefined)
        throw new Error(`no conversation ${conversationId} at the contact center`);
      return await send(conversation, event);
    },
    /** From now on every event is delivered twice, the second time byte for byte (false stops it). */
    duplicateDeliveries: (enabled: boolean): void => delivery.duplicateDeliveries(enabled),
    /** Every delivery attempt, oldest first. */
    deliveries: (conversationId?: string): DeliveryRecord[] =>
      delivery.log().filter((d) => conversationId === undefined || d.conversationId === conversationId),
    /** Resolves when every event so far has been delivered (or given up). */
    settled: (): Promise<void> => delivery.settled(),
    async close(): Promise<void> {
      await delivery.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type TestContactCenter = Awaited<ReturnType<typeof startTestContactCenter>>;

/** Delivery never rejects (failures end up in the delivery log); this only satisfies the floating-promise rule. */
function background(work: Promise<unknown>): void {
  work.catch(() => undefined);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
