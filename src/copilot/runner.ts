import type { Bus } from "../bus/types.ts";
import type { EndpointRuntime } from "../conversation/types.ts";
import { BatonError, errorCatalog, isBatonError, type ErrorCode } from "../errors/index.ts";
import { runFlow } from "../flow/engine.ts";
import type {
  CopilotFlowInput,
  CopilotGridSpec,
  CopilotTileSpec,
  FlowAction,
  FlowPorts,
} from "../flow/types.ts";
import type { HandoverState } from "../handover/types.ts";
import { resolveLocale, translate } from "../i18n/catalog.ts";
import type {
  CopilotProblem,
  CopilotServerFrame,
  CopilotTile,
  CopilotWorkspaceState,
  TileContent,
  TranscriptLine,
} from "../protocol/copilot.ts";
import type { ConversationMessage } from "../protocol/messages.ts";
import type { JsonObject, Store, StoredHandover, StoredMessage, StoredSession } from "../store/types.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { AgentNotifier } from "./agent-notifier.ts";
import type { AiService, ConversationLine, KnowledgeIndex } from "./ai/types.ts";
import { emptyWorkspace } from "./default-grid.ts";
import type { WorkspaceRecord } from "./workspace-record.ts";

export type { AgentNotifier } from "./agent-notifier.ts";
export type { WorkspaceRecord } from "./workspace-record.ts";

/** The bus topic a session's workspace frames travel on (every instance holding a workspace socket listens). */
export function copilotTopic(sessionKey: string): string {
  return `copilot:${sessionKey}`;
}

/** Separate from the conversation's lock: a slow model must never hold up the conversation itself. */
function copilotLock(sessionKey: string): string {
  return `copilot-lock:${sessionKey}`;
}

export interface CopilotRunnerDeps {
  readonly store: Store;
  readonly bus: Bus;
  readonly ai: AiService;
  readonly knowledge: KnowledgeIndex;
  /** Masks what the transcript and the AI port must not see (card numbers, e-mails, phone numbers). */
  readonly redact: (text: string) => string;
  readonly logger: Logger;
  /** Endpoints by id; those with a `copilotFlow` have a workspace. */
  readonly endpoints: ReadonlyMap<string, EndpointRuntime>;
  /** For httpRequest nodes in copilot flows. */
  readonly http: FlowPorts["http"];
  readonly clock?: () => number;
  /**
   * The workspace link for a session (`{publicUrl}/copilot/?userId=…&sessionId=…&URLToken=…[&auth=…]`);
   * without it no link is posted to the agent.
   */
  readonly linkFor?: (session: StoredSession, endpoint: EndpointRuntime) => Promise<string>;
  /** The configured link text with `{url}`; default: the catalog's `copilot.link`. */
  readonly linkText?: string;
  /** Where the workspace link goes: the handover's agent (the handover service delivers it after the create call). */
  readonly agent: AgentNotifier;
}

const maxProblems = 20;
const maxTranscriptLines = 200;
/**
 * How often one trigger is applied again after the stored workspace changed under it. The copilot lock makes
 * a conflict rare (a lock that ran out while an instance stalled); a run of them means something is wrong.
 */
const maxSaveAttempts = 5;

/** What one attempt at a trigger came to: saved (and published), nothing to save, or lost to a newer write. */
type Outcome = "saved" | "unchanged" | "conflict";

/** Frames an update sends after its tiles; they get the saved version when they are published. */
type UpdateFrame =
  | { readonly type: "sendData"; readonly tileId: string; readonly data: unknown }
  | { readonly type: "problem"; readonly problem: CopilotProblem };

type Trigger =
  | { readonly kind: "handover"; readonly handover: StoredHandover }
  | { readonly kind: "message"; readonly message: ConversationMessage }
  | { readonly kind: "postback"; readonly tileId: string; readonly value: unknown }
  | { readonly kind: "search"; readonly tileId: string; readonly query: string };

/**
 * The Copilot runner: keeps one workspace per session in the store and runs the endpoint's copilot flow on
 * each trigger (handover start, user and agent messages during the handover, postbacks, searches), turning
 * its tile actions into tile contents. Every trigger runs the whole flow once; a tile the run does not touch,
 * or touches with the same input as before, keeps its content, so flows need no "once" tricks. The
 * transcript tile follows every message on its own, and the status line every handover change (without a
 * run). The workspace link goes to the agent through `agent` when the handover starts.
 *
 * Work for one session runs in order, under a per-session bus lock (several instances), separate from the
 * conversation's lock. The conversation service's triggers only queue work; `idle()` waits for it.
 *
 * @example
 * const runner = createCopilotRunner({ store, bus, ai: createOfflineAi(), knowledge, redact, logger, endpoints, http, agent });
 * const service = createConversationService({ ...deps, copilot: runner.triggers });
 * // agent: { notifyAgent(handoverId, text) } of the handover service
 */
export function createCopilotRunner(deps: CopilotRunnerDeps) {
  const { store, bus, logger } = deps;
  const clock = deps.clock ?? Date.now;
  const queues = new Map<string, Promise<void>>();
  /** Handover starts queued here and not yet run: session key → handover id. */
  const startsQueued = new Map<string, string>();

  /** Runs `work` after earlier work of the session (in this process) and under the session's copilot lock. */
  function enqueue(sessionKey: string, work: () => Promise<void>): Promise<void> {
    const previous = queues.get(sessionKey) ?? Promise.resolve();
    const next = previous.then(() => bus.withLock(copilotLock(sessionKey), work));
    const settled: Promise<void> = next
      .catch(() => {})
      .then(() => {
        if (queues.get(sessionKey) === settled) queues.delete(sessionKey);
      });
    queues.set(sessionKey, settled);
    return next;
  }

  function queued(sessionKey: string, what: string, work: () => Promise<void>): void {
    enqueue(sessionKey, work).catch((error: unknown) => {
      logger.error({ err: error, sessionKey, trigger: what }, "copilot update failed");
    });
  }

  function copilotEndpoint(session: StoredSession): EndpointRuntime | undefined {
    const endpoint = deps.endpoints.get(session.endpointId);
    return endpoint?.copilotFlow === undefined ? undefined : endpoint;
  }

  async function load(sessionKey: string) {
    const stored = await store.copilotWorkspaces.get(sessionKey);
    if (stored === undefined) return undefined;
    return { record: stored.state, version: stored.version };
  }

  // ----------------------------------------------------------------------------------------------- a run

  /** One trigger's work on one workspace: changes collected, then saved and published together. */
  class Update {
    workspace: { -readonly [K in keyof CopilotWorkspaceState]: CopilotWorkspaceState[K] };
    context: JsonObject;
    searches: Record<string, string>;
    basis: Record<string, string>;
    gridChanged = false;
    handoverStateChanged = false;
    readonly changedTiles = new Set<string>();
    readonly frames: UpdateFrame[] = [];
    private messages: StoredMessage[] | undefined;

    constructor(
      readonly session: StoredSession,
      readonly endpoint: EndpointRuntime,
      public record: WorkspaceRecord,
      readonly version: number | null,
    ) {
      this.workspace = { ...record.workspace, tiles: [...record.workspace.tiles] };
      this.context = { ...record.context };
      this.searches = { ...record.searches };
      this.basis = { ...record.basis };
    }

    async transcript(): Promise<StoredMessage[]> {
      this.messages ??= await store.messages.listTranscript(this.session.id);
      return this.messages;
    }

    tile(id: string): CopilotTile | undefined {
      return this.workspace.tiles.find((tile) => tile.id === id);
    }

    setTile(tile: CopilotTile): void {
      this.workspace.tiles = this.workspace.tiles.map((t) => (t.id === tile.id ? tile : t));
      this.changedTiles.add(tile.id);
    }

    /** True when the status line changes. */
    setHandoverState(state: HandoverState): boolean {
      if (state === this.workspace.handoverState) return false;
      this.workspace.handoverState = state;
      this.handoverStateChanged = true;
      return true;
    }

    problem(code: ErrorCode, detail: string, tileId?: string): void {
      const problem: CopilotProblem = {
        code,
        message: `${errorCatalog[code].message} ${detail}`.trim(),
        ...(tileId === undefined ? {} : { tileId }),
        at: new Date(clock()).toISOString(),
      };
      this.workspace.problems = [...this.workspace.problems, problem].slice(-maxProblems);
      this.frames.push({ type: "problem", problem });
      logger.warn({ sessionKey: this.session.id, code, tileId, detail }, "copilot flow problem");
    }

    applyGrid(spec: CopilotGridSpec): void {
      const tiles = Object.entries(spec.tiles).map(([id, { placement, title }]): CopilotTile => {
        const existing = this.tile(id);
        return {
          ...(existing ?? { id, version: 0 }),
          placement,
          ...(title === undefined ? {} : { title }),
        };
      });
      this.workspace.grid = spec.grid;
      this.workspace.tiles = tiles;
      this.gridChanged = true;
    }

    /**
     * Saves at the version this update was read at, then publishes what changed with the saved version.
     * "conflict": another write came first; nothing was saved or published, and the caller applies the
     * trigger again to the stored workspace.
     */
    async save(): Promise<Outcome> {
      const record: WorkspaceRecord = {
        ...this.record,
        workspace: this.workspace,
        context: this.context,
        searches: this.searches,
        basis: this.basis,
      };
      const saved = await store.copilotWorkspaces.save(this.session.id, record, this.version);
      if (!saved.ok) return "conflict";
      const topic = copilotTopic(this.session.id);
      const publish = (frame: CopilotServerFrame) => bus.publish(topic, frame);
      const workspaceVersion = saved.version;
      // Published under the copilot lock, so every socket gets the versions in order; a client also ignores
      // a state older than its own (a lock that ran out could let an older publish arrive late).
      // The status line travels only in `state` (the protocol has no frame of its own for it); the page
      // keeps every tile that arrives unchanged, so a status change repaints no tile.
      if (this.gridChanged || this.handoverStateChanged)
        await publish({ type: "state", state: this.workspace, workspaceVersion });
      else {
        for (const id of this.changedTiles) {
          const tile = this.tile(id);
          if (tile !== undefined) await publish({ type: "tile", tile, workspaceVersion });
        }
      }
      for (const frame of this.frames) await publish({ ...frame, workspaceVersion });
      return "saved";
    }
  }

  function emptyRecord(session: StoredSession, handover: StoredHandover, startSeq: number): WorkspaceRecord {
    return {
      workspace: { ...emptyWorkspace(session.id), handoverState: handover.state },
      handoverId: handover.id,
      handoverStartSeq: startSeq,
      context: {},
      searches: {},
      basis: {},
    };
  }

  async function runCopilotFlow(update: Update, input: CopilotFlowInput): Promise<void> {
    const flow = update.endpoint.copilotFlow!;
    const { session } = update;
    const sessionContext = (await store.sessions.get(session.id))?.context ?? session.context;
    const baseContext: JsonObject = { ...sessionContext, ...update.context };
    const result = await runFlow(
      flow,
      { entrypoint: null, waiting: "none", context: baseContext },
      { kind: "copilot", input },
      {
        http: deps.http,
        now: clock,
        session: {
          endpointId: session.endpointId,
          userId: session.userId,
          sessionId: session.sessionId,
          locale: resolveLocale(session.locale ?? update.endpoint.locale),
        },
      },
    );
    // Keys the copilot flow changed stay with the workspace; the session's own context is never written.
    for (const [key, value] of Object.entries(result.state.context)) {
      if (JSON.stringify(value) !== JSON.stringify(sessionContext[key])) update.context[key] = value;
    }
    for (const error of result.errors) update.problem(asCode(error.code), describe(error));
    for (const action of result.actions) await applyAction(update, action);
  }

  async function applyAction(update: Update, action: FlowAction): Promise<void> {
    switch (action.type) {
      case "copilot.grid":
        update.applyGrid(action.spec);
        return;
      case "copilot.tile": {
        const tile = update.tile(action.tileId);
        if (tile === undefined) {
          update.problem("BATON_ERR_COPILOT_TILE_UNKNOWN", unknownTile(update, action.tileId, action.nodeId));
          return;
        }
        try {
          await fillTile(update, tile, action.spec);
        } catch (error) {
          update.problem(
            "BATON_ERR_COPILOT_TILE_FAILED",
            `Tile "${action.tileId}" (node "${action.nodeId}"): ${isBatonError(error) ? error.code : "the AI service or knowledge search failed"}.`,
            action.tileId,
          );
          logger.warn(
            { err: error, sessionKey: update.session.id, tileId: action.tileId },
            "copilot tile failed",
          );
        }
        return;
      }
      case "copilot.sendData": {
        const tile = update.tile(action.tileId);
        if (tile === undefined) {
          update.problem("BATON_ERR_COPILOT_TILE_UNKNOWN", unknownTile(update, action.tileId, action.nodeId));
          return;
        }
        const content = tile.content;
        if (content?.kind !== "html" && content?.kind !== "iframe") {
          update.problem(
            "BATON_ERR_COPILOT_TILE_KIND",
            `sendData (node "${action.nodeId}") needs an HTML or iFrame tile; "${tile.id}" is ${content === undefined ? "empty" : `a ${content.kind} tile`}.`,
            tile.id,
          );
          return;
        }
        // Kept as the tile's data (a reload shows it) but sent as sendData: a tile frame would reload the page.
        update.workspace.tiles = update.workspace.tiles.map((t) =>
          t.id === tile.id
            ? { ...tile, content: { ...content, data: action.data }, version: tile.version + 1 }
            : t,
        );
        update.frames.push({ type: "sendData", tileId: tile.id, data: action.data });
        return;
      }
      case "handover.start":
      case "handover.close":
      case "handover.setInactivity":
      case "end":
        // Handover nodes do not load in a copilot flow; `end` only ends the run.
        return;
    }
  }

  function unknownTile(update: Update, tileId: string, nodeId: string): string {
    const ids = update.workspace.tiles.map((t) => t.id).join(", ");
    return `Tile "${tileId}" (node "${nodeId}") is not in the grid (tiles: ${ids}).`;
  }

  async function fillTile(update: Update, tile: CopilotTile, spec: CopilotTileSpec): Promise<void> {
    const computed = await contentFor(update, tile.id, spec);
    if (computed === undefined) return;
    const copyable = "copyable" in spec ? spec.copyable : undefined;
    const sameBasis = update.basis[tile.id] === computed.basis && tile.content !== undefined;
    if (sameBasis && tile.copyable === copyable) return;
    update.basis[tile.id] = computed.basis;
    const { copyable: _old, ...rest } = tile;
    update.setTile({
      ...rest,
      content: await computed.content(),
      ...(copyable === undefined ? {} : { copyable }),
      version: tile.version + 1,
    });
  }

  /** What a tile would show and what that depends on; the content is only computed when the basis changed. */
  async function contentFor(
    update: Update,
    tileId: string,
    spec: CopilotTileSpec,
  ): Promise<{ basis: string; content: () => Promise<TileContent> } | undefined> {
    const specKey = JSON.stringify(spec);
    switch (spec.kind) {
      case "transcript": {
        const lines = transcriptLines(await update.transcript());
        return {
          basis: `${specKey}:${lines.at(-1)?.seq ?? 0}`,
          content: () => Promise.resolve({ kind: "transcript", lines }),
        };
      }
      case "sentiment": {
        const users = (await update.transcript()).filter((m) => m.source === "user" && hasText(m));
        const basis = users.slice(spec.input === "last10" ? -10 : -1);
        return {
          basis: `${specKey}:${basis.at(-1)?.seq ?? 0}`,
          content: async () => {
            const texts = basis.map((m) => deps.redact(m.text!));
            const { label, score } =
              texts.length === 0 ? { label: "neutral" as const, score: 0 } : await deps.ai.sentiment(texts);
            return { kind: "sentiment", label, score, basis: spec.input, engine: deps.ai.engine };
          },
        };
      }
      case "knowledge": {
        const query = spec.query ?? update.searches[tileId] ?? (await lastUserText(update));
        return {
          basis: `knowledge:${query ?? ""}`,
          content: async () => {
            if (query === undefined) return { kind: "knowledge", citations: [], engine: deps.ai.engine };
            const passages = await deps.knowledge.search(query, { limit: 3 });
            if (passages.length === 0)
              return { kind: "knowledge", query, citations: [], engine: deps.ai.engine };
            const answer = await deps.ai.answer(query, passages);
            return {
              kind: "knowledge",
              query,
              answer: answer.text,
              citations: answer.citations,
              engine: deps.ai.engine,
            };
          },
        };
      }
      case "nextAction": {
        if (spec.text !== undefined) {
          const text = spec.text;
          return {
            basis: `nextAction:text:${text}`,
            content: () => Promise.resolve({ kind: "nextAction", text, citations: [] }),
          };
        }
        const query = spec.query ?? (await lastUserText(update));
        return {
          basis: `nextAction:knowledge:${query ?? ""}`,
          content: async () => {
            const none = translate(localeOf(update), "copilot.noSuggestion");
            if (query === undefined) return { kind: "nextAction", text: none, citations: [] };
            const passages = await deps.knowledge.search(query, { limit: 3 });
            if (passages.length === 0) return { kind: "nextAction", text: none, citations: [] };
            const answer = await deps.ai.answer(query, passages);
            return { kind: "nextAction", text: answer.text, citations: answer.citations };
          },
        };
      }
      case "summary": {
        const start = update.record.handoverStartSeq;
        return {
          basis: `summary:${start}`,
          content: async () => {
            const lines: ConversationLine[] = (await update.transcript())
              .filter((m) => m.seq <= start && hasText(m) && (m.source === "user" || m.source === "bot"))
              .map((m) => ({ source: m.source, text: deps.redact(m.text!) }));
            const text = lines.length === 0 ? "" : await deps.ai.summarize(lines);
            return { kind: "summary", text, engine: deps.ai.engine };
          },
        };
      }
      case "identity":
        return {
          basis: specKey,
          content: () =>
            Promise.resolve({
              kind: "identity",
              fields: spec.fields,
              layout: spec.layout,
              ...(spec.imageUrl === undefined ? {} : { imageUrl: spec.imageUrl }),
            }),
        };
      case "html":
        return {
          basis: specKey,
          content: () =>
            Promise.resolve({
              kind: "html",
              html: spec.html,
              ...(spec.data === undefined ? {} : { data: spec.data }),
            }),
        };
      case "iframe":
        return {
          basis: specKey,
          content: () =>
            Promise.resolve({
              kind: "iframe",
              url: spec.url,
              ...(spec.data === undefined ? {} : { data: spec.data }),
            }),
        };
      case "adaptiveCard":
        return { basis: specKey, content: () => Promise.resolve({ kind: "adaptiveCard", card: spec.card }) };
    }
  }

  function transcriptLines(messages: readonly StoredMessage[]): TranscriptLine[] {
    return messages
      .map((m): TranscriptLine | undefined => {
        const text = m.text ?? attachmentText(m) ?? (m.card !== undefined ? "[card]" : undefined);
        if (text === undefined || text === "") return undefined;
        return {
          seq: m.seq,
          source: m.source,
          text: deps.redact(text),
          at: m.createdAt,
          ...(m.agentName !== undefined ? { agentName: m.agentName } : {}),
        };
      })
      .filter((line): line is TranscriptLine => line !== undefined)
      .slice(-maxTranscriptLines);
  }

  /** The transcript tiles follow the conversation whether or not the flow runs. */
  async function refreshTranscripts(update: Update): Promise<void> {
    for (const tile of update.workspace.tiles) {
      const live =
        tile.content?.kind === "transcript" || (tile.content === undefined && tile.id === "transcript");
      if (live) await fillTile(update, tile, { kind: "transcript" });
    }
  }

  async function lastUserText(update: Update): Promise<string | undefined> {
    const last = (await update.transcript()).filter((m) => m.source === "user" && hasText(m)).at(-1);
    return last === undefined ? undefined : deps.redact(last.text!);
  }

  function localeOf(update: Update) {
    return resolveLocale(update.session.locale ?? update.endpoint.locale);
  }

  function handoverInput(handover: StoredHandover | undefined): CopilotFlowInput["handover"] {
    if (handover === undefined) return null;
    const { queue, agent } = handover.machine;
    return {
      status: handover.state,
      queue: queue?.name ?? queue?.id ?? null,
      agent: agent?.name ?? agent?.id ?? null,
    };
  }

  function inputFor(
    update: Update,
    trigger: Trigger,
    own: StoredHandover | undefined,
  ): CopilotFlowInput | undefined {
    const base = { text: null, postback: null, search: null, handover: handoverInput(own) };
    switch (trigger.kind) {
      case "handover":
        return { ...base, trigger: "handover" };
      case "message": {
        const { source } = trigger.message;
        if (source !== "user" && source !== "agent") return undefined;
        if (own?.endedAt !== null) return undefined;
        const text = trigger.message.text === undefined ? null : deps.redact(trigger.message.text);
        return { ...base, trigger: source === "user" ? "userMessage" : "agentMessage", text };
      }
      case "postback":
        return { ...base, trigger: "postback", postback: { tileId: trigger.tileId, value: trigger.value } };
      case "search":
        return { ...base, trigger: "search", search: { tileId: trigger.tileId, query: trigger.query } };
    }
  }

  /**
   * Applies one trigger under the lock, again on the stored workspace each time another write came first, so
   * no trigger is lost to a concurrent one.
   */
  async function untilSaved(
    sessionKey: string,
    what: string,
    attempt: () => Promise<Outcome>,
  ): Promise<void> {
    for (let n = 1; n <= maxSaveAttempts; n++) {
      if ((await attempt()) !== "conflict") return;
      logger.warn(
        { sessionKey, trigger: what, attempt: n },
        "copilot workspace changed concurrently; applying the trigger again to the stored workspace",
      );
    }
    throw new BatonError("BATON_ERR_COPILOT_WORKSPACE_CONFLICT", {
      sessionKey,
      trigger: what,
      attempts: maxSaveAttempts,
    });
  }

  /**
   * The session's open handover when the workspace is not (yet) its and its start trigger is not queued
   * here: it was queued on another instance, which has not run it yet. A message then builds the workspace
   * for it first, so the message reaches the flow instead of being dropped for want of a workspace. (A start
   * queued here runs after the messages of the turn that started it, as on one instance it always did.)
   */
  async function handoverToTakeOver(
    sessionKey: string,
    own: StoredHandover | undefined,
  ): Promise<StoredHandover | undefined> {
    if (own?.endedAt === null) return undefined;
    const open = await store.handovers.findOpenBySession(sessionKey);
    if (open === undefined || open.id === own?.id || startsQueued.get(sessionKey) === open.id)
      return undefined;
    return open;
  }

  /** One attempt at one trigger, under the lock: load (or create), run, refresh the transcript, save, publish. */
  async function process(session: StoredSession, trigger: Trigger): Promise<Outcome> {
    const endpoint = copilotEndpoint(session);
    if (endpoint === undefined) return "unchanged";
    let loaded = await load(session.id);
    if (trigger.kind === "message") {
      const own = loaded === undefined ? undefined : await store.handovers.get(loaded.record.handoverId);
      const open = await handoverToTakeOver(session.id, own);
      if (open !== undefined) {
        const built = await process(session, { kind: "handover", handover: open });
        if (built === "conflict") return built;
        loaded = await load(session.id);
      }
    }
    let update: Update;
    if (trigger.kind === "handover") {
      // Built already for this handover (a message of it came first): its start has nothing left to do.
      if (loaded?.record.handoverId === trigger.handover.id) return "unchanged";
      const last = (await store.messages.listTranscript(session.id, { lastN: 1 })).at(-1)?.seq ?? 0;
      const record =
        loaded === undefined
          ? emptyRecord(session, trigger.handover, last)
          : {
              ...loaded.record,
              handoverId: trigger.handover.id,
              handoverStartSeq: last,
              // A new handover summarises anew.
              basis: Object.fromEntries(
                Object.entries(loaded.record.basis).filter(([, b]) => !b.startsWith("summary:")),
              ),
            };
      update = new Update(session, endpoint, record, loaded?.version ?? null);
      update.gridChanged = loaded === undefined;
    } else {
      if (loaded === undefined) return "unchanged"; // no handover yet: nothing to show
      update = new Update(session, endpoint, loaded.record, loaded.version);
    }
    if (trigger.kind === "postback" || trigger.kind === "search") {
      if (update.tile(trigger.tileId) === undefined)
        throw new BatonError("BATON_ERR_COPILOT_FRAME_INVALID", {
          field: "tileId",
          expected: "the id of a tile in the grid",
        });
    }
    if (trigger.kind === "search") update.searches[trigger.tileId] = trigger.query;
    const own = await store.handovers.get(update.record.handoverId);
    if (own !== undefined) update.setHandoverState(own.state);
    const input = inputFor(update, trigger, own);
    if (input !== undefined) await runCopilotFlow(update, input);
    await refreshTranscripts(update);
    return update.save();
  }

  /** `process` until it is saved (or there was nothing to save). */
  function apply(session: StoredSession, trigger: Trigger): Promise<void> {
    return untilSaved(session.id, trigger.kind, () => process(session, trigger));
  }

  async function postLink(session: StoredSession, handover: StoredHandover): Promise<void> {
    const endpoint = copilotEndpoint(session);
    if (endpoint === undefined || deps.linkFor === undefined) return;
    const url = await deps.linkFor(session, endpoint);
    const locale = resolveLocale(session.locale ?? endpoint.locale);
    const text =
      deps.linkText === undefined
        ? translate(locale, "copilot.link", { url })
        : deps.linkText.replaceAll("{url}", url);
    await deps.agent.notifyAgent(handover.id, text);
  }

  /** The status line follows the workspace's own handover; nothing else of the workspace changes. */
  async function followHandover(session: StoredSession, changed: StoredHandover): Promise<Outcome> {
    const endpoint = copilotEndpoint(session);
    if (endpoint === undefined) return "unchanged";
    const loaded = await load(session.id);
    if (loaded === undefined || loaded.record.handoverId !== changed.id) return "unchanged";
    // Instances queue their own triggers, so two changes may arrive here out of order: a newer stored
    // version wins over the one this trigger carries.
    const stored = await store.handovers.get(changed.id);
    const latest = stored !== undefined && stored.version > changed.version ? stored : changed;
    const update = new Update(session, endpoint, loaded.record, loaded.version);
    if (!update.setHandoverState(latest.state)) return "unchanged";
    return update.save();
  }

  const triggers = {
    onHandoverStarted(session: StoredSession, handover: StoredHandover): void {
      if (copilotEndpoint(session) === undefined || handover.endedAt !== null) return;
      startsQueued.set(session.id, handover.id);
      queued(session.id, "handover", async () => {
        if (startsQueued.get(session.id) === handover.id) startsQueued.delete(session.id);
        try {
          await postLink(session, handover);
        } catch (error) {
          // The workspace does not depend on the link: it is built anyway, and any link to the session opens it.
          logger.error(
            { err: error, sessionKey: session.id, handoverId: handover.id },
            "copilot link not posted",
          );
        }
        await apply(session, { kind: "handover", handover });
      });
    },
    /**
     * After every committed change of a handover (state, queue or agent): the workspace's status line
     * follows `handover.state`, and is published only when it changed. The copilot flow does not run on
     * it: a queue or agent change costs no AI call and repaints no tile, and the flow's next run (message,
     * postback, search) reads the current `input.handover`. A handover other than the workspace's own is
     * ignored: an older one is stale, a newer one takes the workspace over through onHandoverStarted.
     */
    onHandoverChanged(session: StoredSession, handover: StoredHandover): void {
      if (copilotEndpoint(session) === undefined) return;
      queued(session.id, "handoverChanged", () =>
        untilSaved(session.id, "handoverChanged", () => followHandover(session, handover)),
      );
    },
    onMessage(session: StoredSession, message: ConversationMessage): void {
      if (copilotEndpoint(session) === undefined) return;
      queued(session.id, "message", () => apply(session, { kind: "message", message }));
    },
  };

  return {
    triggers,
    /** The workspace as stored, or undefined before the session's first handover. */
    async state(sessionKey: string): Promise<CopilotWorkspaceState | undefined> {
      return (await load(sessionKey))?.record.workspace;
    },
    /** The workspace as stored with its version (what a `state` frame carries), or undefined before it exists. */
    async snapshot(
      sessionKey: string,
    ): Promise<{ state: CopilotWorkspaceState; version: number } | undefined> {
      const loaded = await load(sessionKey);
      return loaded === undefined ? undefined : { state: loaded.record.workspace, version: loaded.version };
    },
    /** `SDK.postback(value)` or an Adaptive Card submit. Throws BATON_ERR_COPILOT_FRAME_INVALID for an unknown tile. */
    postback(session: StoredSession, tileId: string, value: unknown): Promise<void> {
      return enqueue(session.id, () => apply(session, { kind: "postback", tileId, value }));
    },
    /** A search typed into a knowledge tile; the tile then answers it (until the agent searches again). */
    search(session: StoredSession, tileId: string, query: string): Promise<void> {
      return enqueue(session.id, () => apply(session, { kind: "search", tileId, query }));
    },
    /** Resolves once every queued update finished (tests, shutdown). */
    async idle(): Promise<void> {
      while (queues.size > 0) await Promise.all([...queues.values()]);
    },
  };
}

export type CopilotRunner = ReturnType<typeof createCopilotRunner>;

function hasText(message: StoredMessage): boolean {
  return message.text !== undefined && message.text.trim() !== "";
}

function attachmentText(message: StoredMessage): string | undefined {
  const names = message.attachments?.map((a) => a.name) ?? [];
  return names.length === 0 ? undefined : `[${names.join(", ")}]`;
}

function asCode(code: string): ErrorCode {
  return Object.hasOwn(errorCatalog, code) ? (code as ErrorCode) : "BATON_ERR_COPILOT_TILE_FAILED";
}

function describe(error: BatonError): string {
  const { nodeId, expected } = error.details as { nodeId?: unknown; expected?: unknown };
  return [
    typeof nodeId === "string" ? `Node "${nodeId}".` : "",
    typeof expected === "string" ? `Expected ${expected}.` : "",
  ]
    .filter((s) => s !== "")
    .join(" ");
}
