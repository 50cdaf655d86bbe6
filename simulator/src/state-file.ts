import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Logger } from "pino";
import { z } from "zod";
import type { QueuedEvent } from "./delivery.ts";
import type { SavedKeys } from "./signing.ts";
import type { StateCounters } from "./state.ts";
import type { Attachment, Channel, Conversation, QueueConfig, Webhook } from "./types.ts";

/**
 * The simulator's state kept in one JSON file (written to a temporary file, flushed to disk and renamed over
 * the old one, so a crash leaves either the old or the new file, never half of one) plus the attachment
 * bytes, content-addressed, in `<file>.attachments/`: each file is written once and every save after that
 * only names it.
 */
export type SimulatorSnapshot = {
  apiKey: string;
  counters: StateCounters;
  keys: SavedKeys;
  /** The key of the pre-signed attachment links. */
  presignSecret: Buffer;
  queues: QueueConfig[];
  webhooks: Webhook[];
  channels: Channel[];
  conversations: Conversation[];
  /** Events not yet delivered when the state was saved; a restart sends them again under the same id. */
  queuedEvents: QueuedEvent[];
};

const FORMAT = "baton-8x8-simulator-state";
const VERSION = 1;

/**
 * A state file that cannot be used. The message names the file, what is wrong and the way out: a file that
 * cannot be read is `discardable` (start with --fresh, or delete it); one that cannot be written is not.
 */
export class StateFileError extends Error {
  readonly discardable: boolean;

  constructor(
    readonly file: string,
    readonly reason: string,
    options: { unwritable?: boolean } = {},
  ) {
    const discardable = options.unwritable !== true;
    super(
      `The simulator state file ${file} ${reason}. ` +
        (discardable
          ? "Start the simulator with --fresh to discard it, or delete the file."
          : "Make its folder writable, or choose another file."),
    );
    this.name = "StateFileError";
    this.discardable = discardable;
  }
}

/** Where the attachment bytes of a state file live. */
export function attachmentsDirOf(file: string): string {
  return `${file}.attachments`;
}

// --- the file's shape -----------------------------------------------------------------------------

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be a SHA-256 in hex");
const authorType = z.enum(["user", "bot", "agent", "system"]);
const participant = z.object({ id: z.string(), type: authorType, removed: z.boolean() });
const interaction = z.object({
  id: z.string(),
  startTime: z.string(),
  endTime: z.string().optional(),
  queueId: z.string(),
  queuedAt: z.number(),
  agentId: z.string().optional(),
});
const card = z.object({
  id: z.string(),
  contentType: z.string(),
  content: z.record(z.string(), z.unknown()),
  actionSubmitted: z.boolean(),
  actionExecuted: z.boolean(),
});
const message = z.object({
  id: z.string(),
  seq: z.number().int(),
  text: z.string(),
  createdAt: z.string(),
  author: participant,
  externalProvider: z.object({ name: z.string(), externalMessageId: z.string() }).optional(),
  attachments: z.array(z.object({ id: z.string() })),
  cards: z.array(card),
});
const savedAttachment = z.object({
  id: z.string(),
  filename: z.string(),
  contentType: z.string(),
  sizeInBytes: z.number().int().nonnegative(),
  createdAt: z.string(),
  authorType: z.enum(["user", "bot", "agent"]),
  sha256: sha256Hex,
});
const userData = z.object({
  name: z.string().optional(),
  userId: z.string().optional(),
  customerId: z.string().optional(),
  email: z.string().optional(),
  phone: z.string().optional(),
  company: z.string().optional(),
  caseId: z.string().optional(),
  language: z.string().optional(),
  ipaddress: z.string().optional(),
  timezoneOffset: z.number().optional(),
  additionalProperties: z.array(z.object({ key: z.string(), value: z.string() })).optional(),
});
const savedConversation = z.object({
  id: z.string(),
  channelId: z.string(),
  createdAt: z.string(),
  state: z.enum(["created", "active", "idle"]),
  assignment: z.object({ type: z.enum(["queue", "script", "agent"]), id: z.string() }).optional(),
  user: userData,
  /** The live interaction, by id: in memory it is the same object as the last of `interactions`. */
  currentInteractionId: z.string().optional(),
  interactions: z.array(interaction),
  participants: z.array(participant),
  messages: z.array(message),
  attachments: z.array(savedAttachment),
  lastQueueId: z.string().optional(),
  postAgentAssignment: z
    .object({
      type: z.literal("webhook"),
      id: z.string(),
      configuration: z
        .object({
          notifyChannelWebhookIfExists: z.string().optional(),
          maxTotalMinutes: z.number().optional(),
          userTimeoutInMinutes: z.number().optional(),
        })
        .optional(),
    })
    .optional(),
  userTypingUntil: z.number().optional(),
  botTypingUntil: z.number().optional(),
  botThinkingUntil: z.number().optional(),
  readReceipts: z.array(z.object({ authorType: z.enum(["user", "bot"]), readAt: z.number() })),
  agentSeenSeq: z.number(),
});
const stateFileSchema = z.object({
  format: z.literal(FORMAT),
  version: z.literal(VERSION),
  savedAt: z.string(),
  apiKey: z.string().min(1),
  counters: z.object({ lastTimestamp: z.number(), lastSeq: z.number().int() }),
  keys: z.object({
    current: z.string(),
    keys: z.array(z.object({ kid: z.string(), privateKeyPem: z.string() })).min(1),
  }),
  presignSecret: z.string().min(1),
  queues: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      agents: z.array(z.object({ id: z.string(), name: z.string() })),
    }),
  ),
  webhooks: z.array(
    z.object({ id: z.string(), name: z.string(), uri: z.string(), version: z.literal("Chat Gateway v1.0") }),
  ),
  channels: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      type: z.string(),
      webHookId: z.string(),
      routingOptions: z.object({ type: z.literal("queue"), id: z.string() }),
    }),
  ),
  conversations: z.array(savedConversation),
  queuedEvents: z.array(
    z.object({
      eid: z.string(),
      eventType: z.enum([
        "CONVERSATION_UPDATE",
        "QUEUED",
        "MEMBERS_CHANGED",
        "TRANSFER",
        "MESSAGE",
        "ACTIVITY",
      ]),
      conversationId: z.string(),
      url: z.string().optional(),
      body: z.string(),
    }),
  ),
});

type StateFile = z.infer<typeof stateFileSchema>;
type SavedConversation = z.infer<typeof savedConversation>;

// --- loading --------------------------------------------------------------------------------------

/**
 * The state an earlier run saved in `file`, or undefined when there is no such file yet. Anything else that
 * keeps it from being used (unreadable, not JSON, another format or version, a missing or damaged
 * attachment) is a {@link StateFileError}.
 */
export async function loadStateFile(file: string): Promise<SimulatorSnapshot | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    // No file yet (ENOTDIR: a part of the path is a file, so there cannot be one): the first save says
    // whether the path can be written.
    const code = errorCode(error);
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw new StateFileError(file, `cannot be read (${errorMessage(error)})`);
  }
  const saved = parseStateFile(file, text);
  const contents = await readAttachments(file, saved.conversations);
  return {
    apiKey: saved.apiKey,
    counters: saved.counters,
    keys: saved.keys,
    presignSecret: Buffer.from(saved.presignSecret, "base64"),
    queues: saved.queues,
    webhooks: saved.webhooks,
    channels: saved.channels,
    conversations: saved.conversations.map((conversation) => toConversation(conversation, contents)),
    queuedEvents: saved.queuedEvents,
  };
}

function parseStateFile(file: string, text: string): StateFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new StateFileError(file, `is not valid JSON (${errorMessage(error)})`);
  }
  const header = json as { format?: unknown; version?: unknown } | null;
  if (typeof header !== "object" || header === null || header.format !== FORMAT) {
    throw new StateFileError(file, "is not a simulator state file");
  }
  if (header.version !== VERSION) {
    throw new StateFileError(
      file,
      `has format version ${JSON.stringify(header.version)}, and this simulator reads version ${VERSION}`,
    );
  }
  const result = stateFileSchema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues.slice(0, 3).map((issue) => {
      const path = issue.path.map(String).join(".") || "(top level)";
      return `${path}: ${issue.message}`;
    });
    throw new StateFileError(file, `is damaged (${issues.join("; ")})`);
  }
  return result.data;
}

/** Every attachment's bytes by hash, each checked against its hash so a damaged file is noticed now. */
async function readAttachments(
  file: string,
  conversations: readonly SavedConversation[],
): Promise<Map<string, Buffer>> {
  const hashes = new Set(conversations.flatMap((c) => c.attachments.map((a) => a.sha256)));
  const contents = new Map<string, Buffer>();
  for (const hash of hashes) {
    const path = join(attachmentsDirOf(file), hash);
    let content: Buffer;
    try {
      content = await readFile(path);
    } catch (error) {
      throw new StateFileError(
        file,
        `refers to the attachment file ${path}, which cannot be read (${errorMessage(error)})`,
      );
    }
    if (sha256(content) !== hash) {
      throw new StateFileError(file, `refers to the attachment file ${path}, whose content is damaged`);
    }
    contents.set(hash, content);
  }
  return contents;
}

function toConversation(saved: SavedConversation, contents: ReadonlyMap<string, Buffer>): Conversation {
  const { currentInteractionId, attachments, ...rest } = saved;
  return {
    ...rest,
    // The live interaction must be the very object in `interactions`: the lifecycle updates it in place.
    interaction: saved.interactions.find((candidate) => candidate.id === currentInteractionId),
    attachments: attachments.map(({ sha256: hash, ...attachment }): Attachment => ({
      ...attachment,
      content: contents.get(hash) ?? Buffer.alloc(0),
    })),
  };
}

/** `fresh`: the state file and its attachments are removed, so the next save starts from nothing. */
export async function discardStateFile(file: string): Promise<void> {
  await rm(file, { force: true });
  await rm(attachmentsDirOf(file), { recursive: true, force: true });
}

// --- saving ---------------------------------------------------------------------------------------

export type StateSaver = {
  /** Notes a change; a save follows within the delay (changes meanwhile are saved together). */
  changed(): void;
  /** Saves now if anything changed since the last save; rejects when the write fails. */
  flush(): Promise<void>;
  /** The last save, then no more; a failure is logged, not thrown. */
  close(): Promise<void>;
};

export type StateSaverOptions = {
  file: string;
  snapshot(): SimulatorSnapshot;
  /** How long after a change the save happens. */
  delayMs: number;
  logger: Logger;
  /** Attachment contents already on disk (those just loaded), so they are not written again. */
  known?: Iterable<Buffer>;
};

export function createStateSaver(options: StateSaverOptions): StateSaver {
  const { file } = options;
  const attachmentsDir = attachmentsDirOf(file);
  const written = new Set<string>();
  const hashes = new WeakMap<Buffer, string>();
  let dirty = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();

  function hashOf(content: Buffer): string {
    let hash = hashes.get(content);
    if (hash === undefined) {
      hash = sha256(content);
      hashes.set(content, hash);
    }
    return hash;
  }
  for (const content of options.known ?? []) written.add(hashOf(content));

  /**
   * The state is serialized synchronously, so one save is one consistent moment of it, whatever changes
   * while the files are written. New attachment bytes are on disk before the file that names them.
   */
  async function save(): Promise<void> {
    if (!dirty) return;
    dirty = false;
    const newFiles = new Map<string, Buffer>();
    let text: string;
    try {
      text = serialize(options.snapshot(), newFiles);
      await mkdir(dirname(file), { recursive: true });
      if (newFiles.size > 0) await mkdir(attachmentsDir, { recursive: true });
      for (const [hash, content] of newFiles) {
        await writeFileDurably(join(attachmentsDir, hash), content);
        written.add(hash);
      }
      await writeFileDurably(file, text);
    } catch (error) {
      // Whatever was not saved is saved with the next change (or the flush on close).
      dirty = true;
      throw error;
    }
  }

  function serialize(snapshot: SimulatorSnapshot, newFiles: Map<string, Buffer>): string {
    const body: StateFile = {
      format: FORMAT,
      version: VERSION,
      savedAt: new Date().toISOString(),
      apiKey: snapshot.apiKey,
      counters: snapshot.counters,
      keys: snapshot.keys,
      presignSecret: snapshot.presignSecret.toString("base64"),
      queues: snapshot.queues,
      webhooks: snapshot.webhooks,
      channels: snapshot.channels,
      conversations: snapshot.conversations.map((conversation) => toSaved(conversation, newFiles)),
      queuedEvents: snapshot.queuedEvents,
    };
    return JSON.stringify(body);
  }

  function toSaved(conversation: Conversation, newFiles: Map<string, Buffer>): SavedConversation {
    // agentTyping holds a live timer: a typing indicator does not outlive the run that showed it.
    const { interaction, attachments, agentTyping: _agentTyping, ...rest } = conversation;
    return {
      ...rest,
      ...(interaction === undefined ? {} : { currentInteractionId: interaction.id }),
      attachments: attachments.map(({ content, ...attachment }) => {
        const hash = hashOf(content);
        if (!written.has(hash)) newFiles.set(hash, content);
        return { ...attachment, sha256: hash };
      }),
    };
  }

  /** Saves run one after another, never two at once on the same temporary file. */
  function enqueueSave(): Promise<void> {
    const next = chain.then(save);
    chain = next.catch(() => undefined);
    return next;
  }

  return {
    changed() {
      dirty = true;
      if (closed || timer !== undefined) return;
      timer = setTimeout(() => {
        timer = undefined;
        enqueueSave().catch((error: unknown) => {
          options.logger.error({ err: error, file }, "could not save the simulator state");
        });
      }, options.delayMs);
    },
    flush() {
      clearTimeout(timer);
      timer = undefined;
      return enqueueSave();
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      await enqueueSave().catch((error: unknown) => {
        options.logger.error({ err: error, file }, "could not save the simulator state");
      });
    },
  };
}

/** Temporary file, fsync, rename over the target, fsync the folder: the rename itself survives a crash. */
async function writeFileDurably(path: string, data: string | Buffer): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    // 0600: the file holds the API key and the private signing keys.
    const handle = await open(temporary, "w", 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await syncFolder(dirname(path));
}

async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, "r");
  try {
    await handle.sync();
  } catch {
    // Some file systems cannot fsync a folder; the rename is still atomic there.
  } finally {
    await handle.close();
  }
}

function sha256(content: Buffer): string {
  return createHash("sha256").update(content).digest("hex");
}

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
