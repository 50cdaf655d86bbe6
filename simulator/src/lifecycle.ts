import { randomBytes } from "node:crypto";
import { ControlError } from "./errors.ts";
import { newId, webhookUriFor, type SimulatorState } from "./state.ts";
import type {
  Assignment,
  Attachment,
  AuthorType,
  Card,
  Conversation,
  ConversationEvent,
  ExternalAuthorType,
  Interaction,
  Message,
  Participant,
  UserData,
} from "./types.ts";

/** A message as the integration posts it (send-message body or a `history.messages` item), validated. */
export type IncomingMessage = {
  authorType: ExternalAuthorType;
  text?: string;
  externalProvider?: { name: string; externalMessageId: string };
  attachments: Array<{ id: string }>;
  cards: Array<Omit<Card, "id" | "actionSubmitted" | "actionExecuted"> & { id?: string }>;
};

/** A file the agent sends from the console or the control API, already decoded and validated. */
export type AgentFile = { fileName: string; contentType: string; content: Buffer };

export type LifecycleOptions = {
  state: SimulatorState;
  /** Hands an event to delivery; `url` is the conversation's webhook at the moment the event happens. */
  deliver(url: string | undefined, event: ConversationEvent): void;
  typingTimeoutMs: number;
  /** Time-limited download link put into MESSAGE events for attachments. */
  attachmentUrl(conversationId: string, attachmentId: string): string;
};

export type Lifecycle = ReturnType<typeof createLifecycle>;

/**
 * The conversation lifecycle (create → queued → agent joins → transfer / leave → idle) and the webhook
 * events each step emits. 8x8 leaves the exact event order unconfirmed; the simulator fixes one order (documented in simulator/README.md) so tests can
 * pin it. Agent-side steps (accept, message, typing, transfer, close) come from the control API and throw
 * a 409 ControlError when the conversation is not in a state that allows them.
 */
export function createLifecycle(options: LifecycleOptions) {
  const { state } = options;

  function emit(
    conversation: Conversation,
    eventType: ConversationEvent["eventType"],
    data?: object,
    timestamp = state.nextTimestamp(),
  ): void {
    const event: ConversationEvent = {
      eventType,
      conversationId: conversation.id,
      timestamp,
      ...(data === undefined ? {} : { data: data as Record<string, unknown> }),
    };
    options.deliver(webhookUriFor(state, conversation), event);
  }

  function emitConversationUpdate(conversation: Conversation): void {
    emit(conversation, "CONVERSATION_UPDATE", {
      state: conversation.state,
      ...(conversation.assignment === undefined ? {} : { assignment: { ...conversation.assignment } }),
      user: structuredClone(conversation.user),
      channel: "ChatAPI",
    });
  }

  function emitQueued(conversation: Conversation, queueId: string): void {
    emit(conversation, "QUEUED", { queueId, queueName: state.queues.get(queueId)?.name ?? queueId });
  }

  function emitMembersChanged(
    conversation: Conversation,
    memberType: "user" | "agent",
    change: "joined" | "left",
    id: string,
  ): void {
    emit(conversation, "MEMBERS_CHANGED", { memberType, change, id });
  }

  function setParticipant(conversation: Conversation, id: string, type: AuthorType, removed: boolean): void {
    const existing = conversation.participants.find((p) => p.id === id && p.type === type);
    if (existing === undefined) conversation.participants.push({ id, type, removed });
    else existing.removed = removed;
  }

  function newInteraction(queueId: string): Interaction {
    const random = randomBytes(12).toString("base64url");
    return {
      id: `int-${Date.now().toString(16)}-${random}-chat-00-${state.tenantId}`,
      startTime: new Date().toISOString(),
      queueId,
      queuedAt: Date.now(),
    };
  }

  function endInteraction(conversation: Conversation): void {
    if (conversation.interaction !== undefined) conversation.interaction.endTime = new Date().toISOString();
    conversation.interaction = undefined;
  }

  function lastMessageSeq(conversation: Conversation): number {
    return conversation.messages.at(-1)?.seq ?? 0;
  }

  /** A new interaction enters a queue; the conversation becomes (or stays) active. */
  function enterQueue(conversation: Conversation, queueId: string): void {
    conversation.interaction = newInteraction(queueId);
    conversation.interactions.push(conversation.interaction);
    conversation.lastQueueId = queueId;
    conversation.assignment = { type: "queue", id: queueId };
    conversation.state = "active";
  }

  function stopAgentTyping(conversation: Conversation): void {
    if (conversation.agentTyping === undefined) return;
    clearTimeout(conversation.agentTyping.timer);
    conversation.agentTyping = undefined;
    emit(conversation, "ACTIVITY", { name: "typing", value: { users: [] } });
  }

  /** The agent leaves without ending the conversation's state (shared by close, transfer, user-leave). */
  function agentLeaves(conversation: Conversation): void {
    const agentId = conversation.interaction?.agentId;
    if (agentId === undefined) return;
    stopAgentTyping(conversation);
    setParticipant(conversation, agentId, "agent", true);
    emitMembersChanged(conversation, "agent", "left", agentId);
  }

  function goIdle(conversation: Conversation): void {
    endInteraction(conversation);
    conversation.state = "idle";
    emitConversationUpdate(conversation);
  }

  function requireAgent(conversation: Conversation): string {
    const agentId = conversation.interaction?.agentId;
    if (agentId === undefined) {
      throw new ControlError(
        409,
        "no_agent",
        `conversation ${conversation.id} has no agent; accept it first`,
      );
    }
    return agentId;
  }

  function toMessage(conversation: Conversation, incoming: IncomingMessage): Message {
    const author: Participant = { id: incoming.authorType, type: incoming.authorType, removed: false };
    return {
      id: newId(),
      seq: state.nextMessageSeq(),
      text: incoming.text ?? "",
      createdAt: new Date().toISOString(),
      author,
      ...(incoming.externalProvider === undefined
        ? {}
        : { externalProvider: { ...incoming.externalProvider } }),
      attachments: incoming.attachments.map(({ id }) => ({ id })),
      cards: incoming.cards.map((card) => ({
        id: card.id ?? newId(),
        contentType: card.contentType,
        content: card.content,
        actionSubmitted: false,
        actionExecuted: false,
      })),
    };
  }

  function messageEventData(conversation: Conversation, message: Message, isEcho: boolean): object {
    return {
      isEcho,
      sender: { id: message.author.id, type: message.author.type },
      text: message.text,
      attachments: message.attachments.flatMap(({ id }) => {
        const attachment = conversation.attachments.find((a) => a.id === id);
        return attachment === undefined ? [] : [attachmentEventData(conversation, attachment)];
      }),
      cards: message.cards.map(({ contentType, content }) => ({ contentType, content })),
    };
  }

  function attachmentEventData(conversation: Conversation, attachment: Attachment): object {
    return {
      id: attachment.id,
      type: attachmentKind(attachment.contentType),
      preSignedUrl: options.attachmentUrl(conversation.id, attachment.id),
      fileName: attachment.filename,
    };
  }

  return {
    /**
     * Create → CONVERSATION_UPDATE created → CONVERSATION_UPDATE active → QUEUED. With a `script`
     * assignment there is no queue: the bot owns the conversation until it is PATCHed to a queue.
     */
    create(input: { channelId: string; user: UserData; assignment: Assignment; history: IncomingMessage[] }) {
      const conversation: Conversation = {
        id: newId(),
        channelId: input.channelId,
        createdAt: new Date().toISOString(),
        state: "created",
        user: structuredClone(input.user),
        interactions: [],
        participants: [{ id: "user", type: "user", removed: false }],
        messages: [],
        attachments: [],
        readReceipts: [],
        agentSeenSeq: 0,
      };
      for (const item of input.history) {
        // History is the transcript so far: stored for the agent, never echoed as MESSAGE events.
        conversation.messages.push(toMessage(conversation, item));
        setParticipant(conversation, item.authorType, item.authorType, false);
      }
      state.conversations.set(conversation.id, conversation);
      emitConversationUpdate(conversation);
      if (input.assignment.type === "queue") {
        enterQueue(conversation, input.assignment.id);
        emitConversationUpdate(conversation);
        emitQueued(conversation, input.assignment.id);
      } else {
        conversation.assignment = { ...input.assignment };
        conversation.state = "active";
        emitConversationUpdate(conversation);
      }
      return conversation;
    },

    /**
     * PUT/PATCH. User or channel changes emit one CONVERSATION_UPDATE. A different queue moves a waiting
     * interaction (or starts one when idle or bot-owned) and emits CONVERSATION_UPDATE active + QUEUED;
     * an agent holding the conversation leaves first. The current queue changes nothing. A script
     * assignment takes the conversation out of the queue.
     */
    update(
      conversation: Conversation,
      patch: { channelId?: string; user?: UserData; assignment?: Assignment },
    ) {
      if (patch.channelId !== undefined) conversation.channelId = patch.channelId;
      if (patch.user !== undefined) conversation.user = structuredClone(patch.user);
      const target = patch.assignment;
      const current = conversation.interaction;
      // Re-sending the current queue (a PUT carries the whole resource) must not disturb a waiting or
      // already accepted interaction.
      const unchangedQueue =
        target?.type === "queue" && current !== undefined && current.queueId === target.id;
      if (target === undefined || target.type === "agent" || unchangedQueue) {
        emitConversationUpdate(conversation);
        return;
      }
      agentLeaves(conversation);
      endInteraction(conversation);
      if (target.type === "queue") {
        enterQueue(conversation, target.id);
        emitConversationUpdate(conversation);
        emitQueued(conversation, target.id);
      } else {
        conversation.assignment = { ...target };
        conversation.state = "active";
        emitConversationUpdate(conversation);
      }
    },

    /**
     * The integration posts a message (user or bot). Its echo is always `isEcho: true`. While idle, the
     * message starts a new interaction in the last queue first: CONVERSATION_UPDATE active, QUEUED, MESSAGE.
     */
    postMessage(conversation: Conversation, incoming: IncomingMessage, fallbackQueueId: string | undefined) {
      const message = toMessage(conversation, incoming);
      const restartQueue = conversation.lastQueueId ?? fallbackQueueId;
      if (conversation.state === "idle" && restartQueue !== undefined) {
        enterQueue(conversation, restartQueue);
        emitConversationUpdate(conversation);
        emitQueued(conversation, restartQueue);
      }
      conversation.messages.push(message);
      setParticipant(conversation, incoming.authorType, incoming.authorType, false);
      if (incoming.authorType === "user") conversation.userTypingUntil = undefined;
      else conversation.botTypingUntil = conversation.botThinkingUntil = undefined;
      emit(conversation, "MESSAGE", messageEventData(conversation, message, true));
      return message;
    },

    /** User leaves: MEMBERS_CHANGED user left, (agent left), CONVERSATION_UPDATE idle. */
    userLeaves(conversation: Conversation) {
      const userWasIn = conversation.participants.some((p) => p.type === "user" && !p.removed);
      setParticipant(conversation, "user", "user", true);
      if (userWasIn) emitMembersChanged(conversation, "user", "left", "user");
      if (conversation.state === "idle") return;
      agentLeaves(conversation);
      goIdle(conversation);
    },

    /** Agent accepts: MEMBERS_CHANGED agent joined, CONVERSATION_UPDATE active with assignment agent. */
    accept(conversation: Conversation, agentId: string | undefined) {
      const interaction = conversation.interaction;
      if (interaction === undefined || interaction.agentId !== undefined) {
        throw new ControlError(
          409,
          "not_queued",
          `conversation ${conversation.id} is not waiting in a queue`,
        );
      }
      const queue = state.queues.get(interaction.queueId);
      const agent = agentId ?? queue?.agents[0]?.id;
      if (agent === undefined) {
        throw new ControlError(409, "no_agent_available", `queue ${interaction.queueId} has no agents`);
      }
      interaction.agentId = agent;
      conversation.assignment = { type: "agent", id: agent };
      conversation.agentSeenSeq = lastMessageSeq(conversation);
      setParticipant(conversation, agent, "agent", false);
      emitMembersChanged(conversation, "agent", "joined", agent);
      emitConversationUpdate(conversation);
      return agent;
    },

    /**
     * Agent message: stops the agent's typing first (ACTIVITY users []), then MESSAGE isEcho false. Files
     * become conversation attachments (author `agent`) and reach the integration as pre-signed links.
     */
    agentMessage(conversation: Conversation, text: string, files: readonly AgentFile[] = []) {
      const agentId = requireAgent(conversation);
      stopAgentTyping(conversation);
      const attachments = files.map((file): Attachment => ({
        id: newId(),
        filename: file.fileName,
        contentType: file.contentType,
        sizeInBytes: file.content.length,
        createdAt: new Date().toISOString(),
        authorType: "agent",
        content: file.content,
      }));
      conversation.attachments.push(...attachments);
      // The MESSAGE event's timestamp is the message's createdAt, to the millisecond: how the simulator models
      // 8x8 (which does not document it), and what lets a catch-up read recognise a message its webhook brought.
      const at = state.nextTimestamp();
      const message: Message = {
        id: newId(),
        seq: state.nextMessageSeq(),
        text,
        createdAt: new Date(at).toISOString(),
        author: { id: agentId, type: "agent", removed: false },
        attachments: attachments.map(({ id }) => ({ id })),
        cards: [],
      };
      conversation.messages.push(message);
      conversation.agentSeenSeq = message.seq;
      emit(conversation, "MESSAGE", messageEventData(conversation, message, false), at);
      return message;
    },

    /** Agent typing: ACTIVITY typing with the agent, auto-stopped (users []) after the typing timeout. */
    agentTyping(conversation: Conversation) {
      const agentId = requireAgent(conversation);
      conversation.agentSeenSeq = lastMessageSeq(conversation);
      const stop = () => stopAgentTyping(conversation);
      if (conversation.agentTyping !== undefined) {
        // Still typing: extend the indicator instead of repeating the event.
        conversation.agentTyping.timer.refresh();
        return;
      }
      conversation.agentTyping = { agentId, timer: setTimeout(stop, options.typingTimeoutMs) };
      emit(conversation, "ACTIVITY", { name: "typing", value: { users: [{ type: "agent", id: agentId }] } });
    },

    /** Transfer: TRANSFER, MEMBERS_CHANGED agent left, QUEUED (new queue), CONVERSATION_UPDATE active. */
    transfer(conversation: Conversation, queueId: string) {
      requireAgent(conversation);
      stopAgentTyping(conversation);
      emit(conversation, "TRANSFER");
      agentLeaves(conversation);
      endInteraction(conversation);
      enterQueue(conversation, queueId);
      emitQueued(conversation, queueId);
      emitConversationUpdate(conversation);
    },

    /**
     * Agent closes: MEMBERS_CHANGED agent left, CONVERSATION_UPDATE idle. A conversation still waiting in a
     * queue can be closed from the console too (it just goes idle).
     */
    close(conversation: Conversation) {
      if (conversation.state === "idle") {
        throw new ControlError(409, "already_idle", `conversation ${conversation.id} is already idle`);
      }
      agentLeaves(conversation);
      goIdle(conversation);
    },

    /** Clears typing timers so no timer outlives the simulator. */
    stop() {
      for (const conversation of state.conversations.values()) {
        if (conversation.agentTyping !== undefined) clearTimeout(conversation.agentTyping.timer);
        conversation.agentTyping = undefined;
      }
    },
  };
}

/** MESSAGE attachment `type` (image, video, audio or file, 8x8's examples) from the uploaded MIME type. */
export function attachmentKind(contentType: string): "image" | "video" | "audio" | "file" {
  if (contentType.startsWith("image/")) return "image";
  if (contentType.startsWith("video/")) return "video";
  if (contentType.startsWith("audio/")) return "audio";
  return "file";
}
