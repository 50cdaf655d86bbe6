/**
 * The service tier: the conversation and handover services composed as the gateway composes them, on a real
 * in-memory PGlite store, the in-process bus and a real outbox worker, with a fake provider at the port and
 * no HTTP. Provider events and timers are handed to the handover service the way the receiver and the timer
 * service would. Test support only.
 */
import { afterAll, beforeAll } from "vitest";
import { createMemoryBus } from "../../src/bus/memory.ts";
import type { Bus } from "../../src/bus/types.ts";
import { createConversationService, type ConversationService } from "../../src/conversation/service.ts";
import { sessionTopic, type SessionStreamEvent } from "../../src/conversation/session-stream.ts";
import type {
  EndpointRuntime,
  SessionEvent,
  SessionEventSink,
  UserInput,
} from "../../src/conversation/types.ts";
import { parseFlow } from "../../src/flow/index.ts";
import { handoverTimerId } from "../../src/handover/effects.ts";
import type { HandoverTimer } from "../../src/handover/machine/index.ts";
import type { ProviderCapabilities, ProviderEvent } from "../../src/providers/port.ts";
import {
  createOutboxWorker,
  type OutboxWorker,
  type OutboxWorkerOptions,
} from "../../src/runtime/outbox-worker.ts";
import { createStore } from "../../src/store/index.ts";
import type { Store, StoredHandover, StoredMessage, StoredSession } from "../../src/store/types.ts";
import { capturedLogger } from "../unit/runtime/runtime-test-kit.ts";
import { createFakeProvider, type FakeProvider } from "./fake-provider.ts";

export interface CoreOptions {
  /** The endpoint's flow (YAML); without one the endpoint is driven by an external bot (webhook channel). */
  readonly flow?: string;
  readonly capabilities?: ProviderCapabilities;
  /** What the services see of the store (a test may interpose on writes); the kit itself uses the real one. */
  readonly wrapStore?: (store: Store) => Store;
  /** The outbox's retry budget (default: the worker's, two hours). */
  readonly outbox?: Pick<OutboxWorkerOptions, "retryForMs">;
}

export interface Core {
  readonly store: Store;
  readonly bus: Bus;
  readonly service: ConversationService;
  readonly fake: FakeProvider;
  readonly endpoint: EndpointRuntime;
  readonly outbox: OutboxWorker;
  /** What the Copilot would have been told: handover starts and changes, by state. */
  readonly observed: { readonly kind: "started" | "changed"; readonly state: string }[];
  /** Session events the channel sink was handed (the webhook channel's deliveries). */
  readonly staged: SessionEvent[];
  /** Every log line the services wrote, parsed. */
  readonly logs: Record<string, unknown>[];
  /** A user of the endpoint with their own session. */
  user(name: string): Promise<CoreUser>;
  /** A user who asked for an agent, with the provider conversation created and agent-1 in it (active). */
  withAgent(name: string): Promise<{ user: CoreUser; conversation: string }>;
  /** Hands a provider event to the handover service, as the webhook receiver would. */
  event(conversationId: string, event: DistributiveOmit<ProviderEvent, EventBaseKeys>): Promise<void>;
  /** Fires a handover's armed timer as the timer service would (with its stored payload). */
  fireTimer(handoverId: string, timer: HandoverTimer): Promise<void>;
  /** Lets the outbox run until nothing is left to do now. */
  settle(): Promise<void>;
}

type EventBaseKeys = "providerId" | "conversationId" | "eventId" | "occurredAt";
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface CoreUser {
  readonly session: StoredSession;
  /** Everything published on the session's stream, in order. */
  readonly stream: SessionStreamEvent[];
  say(text: string, extra?: Partial<UserInput>): ReturnType<ConversationService["userInput"]>;
  /** The session's stored messages, in order. */
  messages(): Promise<StoredMessage[]>;
  /** The texts of the messages shown to the user (bot, system, agent), in order. */
  shown(): Promise<string[]>;
  /** The session's latest handover. */
  handover(): Promise<StoredHandover>;
  /** The provider conversation of the latest handover, once created. */
  conversationId(): Promise<string>;
}

/**
 * One core per test file (PGlite takes a second or two to start); each test uses its own users.
 *
 * @example
 * const core = useCore({ flow: handoverFlow });
 * it("…", async () => { const ana = await core().user("ana"); await ana.say("agent please"); });
 */
export function useCore(options: CoreOptions = {}): () => Core {
  let core: Core | undefined;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ core, close } = await startCore(options));
  });
  afterAll(async () => {
    await close?.();
  });
  return () => {
    if (core === undefined) throw new Error("the core is not started");
    return core;
  };
}

let eventCounter = 0;

export async function startCore(options: CoreOptions): Promise<{ core: Core; close: () => Promise<void> }> {
  const store = await createStore("pglite://memory");
  await store.migrate();
  const bus = createMemoryBus();
  const { logger, lines: logs } = capturedLogger();
  const fake = createFakeProvider("eight", options.capabilities);
  const urlToken = "a".repeat(64);
  await store.endpoints.ensureToken("web", urlToken);
  const endpoint: EndpointRuntime = {
    id: "web",
    channel: options.flow === undefined ? "webhook" : "webchat",
    urlToken,
    locale: "en",
    presenceGraceMs: null,
    providerId: "eight",
    ...(options.flow === undefined
      ? { callback: { url: "http://127.0.0.1:9/bot", secret: "s".repeat(32) } }
      : { flow: parseFlow(options.flow, { file: "flows/core-test.yaml" }) }),
  };
  const observed: { kind: "started" | "changed"; state: string }[] = [];
  /** The newest handover of each session, ended ones included (the store finds only open ones by session). */
  const latestHandover = new Map<string, string>();
  const staged: SessionEvent[] = [];
  const sessionEvents: SessionEventSink = {
    stage(_repos, _session, _endpoint, event) {
      staged.push(event);
      return Promise.resolve(false);
    },
  };
  const outbox = createOutboxWorker({
    store,
    logger,
    pollIntervalMs: 20,
    backoff: { initialMs: 5, maxMs: 20 },
    ...options.outbox,
  });
  const service = createConversationService({
    store: options.wrapStore?.(store) ?? store,
    bus,
    endpoints: new Map([["web", endpoint]]),
    providers: new Map([[fake.provider.id, fake.provider]]),
    http: () => Promise.reject(new Error("no HTTP in the service tier")),
    logger,
    kickOutbox: () => outbox.kick(),
    sessionEvents,
    copilot: {
      onHandoverStarted: (session, handover) => {
        latestHandover.set(session.id, handover.id);
        observed.push({ kind: "started", state: handover.state });
      },
      onHandoverChanged: (_session, handover) =>
        void observed.push({ kind: "changed", state: handover.state }),
      onMessage: () => {},
    },
  });
  outbox.start(service.handovers.outbox);

  async function settle(): Promise<void> {
    // A handler's outcome can enqueue more (create → request.created → held messages): look until quiet.
    for (let round = 0; round < 20; round++) {
      outbox.kick();
      await outbox.idle();
      const due = await store.outbox.claimNext({ now: new Date(0), limit: 1 });
      if (due.length === 0 && round > 1) return;
    }
  }

  const core: Core = {
    store,
    bus,
    service,
    fake,
    endpoint,
    outbox,
    observed,
    staged,
    logs,
    async user(name) {
      const session = await service.openSession({ endpointId: "web", userId: name, sessionId: `${name}-s` });
      const stream: SessionStreamEvent[] = [];
      await bus.subscribe(sessionTopic(session.id), (event) => void stream.push(event as SessionStreamEvent));
      const messages = () => store.messages.listTranscript(session.id);
      const handover = async () => {
        const id = latestHandover.get(session.id);
        const stored = id === undefined ? undefined : await store.handovers.get(id);
        if (stored === undefined) throw new Error(`no handover in the session of ${name}`);
        return stored;
      };
      return {
        session,
        stream,
        say: (text, extra = {}) =>
          service.userInput({ endpointId: "web", userId: name, sessionId: `${name}-s`, text, ...extra }),
        messages,
        async shown() {
          return (await messages()).filter((m) => m.direction === "out").map((m) => m.text ?? "");
        },
        handover,
        async conversationId() {
          await settle();
          const id = (await handover()).providerConversationId;
          if (id === null) throw new Error("the provider conversation was not created");
          return id;
        },
      };
    },
    async withAgent(name) {
      const user = await core.user(name);
      await user.say("agent");
      const conversation = await user.conversationId();
      await core.event(conversation, { kind: "participant.joined", role: "agent", participantId: "agent-1" });
      return { user, conversation };
    },
    async event(conversationId, event) {
      eventCounter += 1;
      await service.handovers.onProviderEvent({
        ...event,
        providerId: fake.provider.id,
        conversationId,
        eventId: `event-${eventCounter}`,
        occurredAt: Date.now(),
      });
      await settle();
    },
    async fireTimer(handoverId, timer) {
      const stored = await store.timers.get(handoverTimerId(handoverId, timer));
      if (stored === undefined || stored.status !== "scheduled") throw new Error(`${timer} is not armed`);
      await service.handovers.onTimer(stored.payload);
      await settle();
    },
    settle,
  };

  return {
    core,
    async close() {
      await outbox.stop();
      await bus.close();
      await store.close();
    },
  };
}
