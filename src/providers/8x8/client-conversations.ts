import { gatewayPath, readJson, type ChatGatewayOperation, type ClientContext } from "./client-context.ts";
import { iterateAllPages, listQueryParams, toPage } from "./client-paging.ts";
import {
  checkCreateConversation,
  checkId,
  checkListQuery,
  checkPatchConversation,
  checkPostAgentAssignment,
  checkReadReceipt,
  checkThinking,
  checkTyping,
  checkUpdateConversation,
} from "./input-validation.ts";
import type { CallOptions, HttpMethod } from "./transport.ts";
import {
  conversationSchema,
  createdConversationSchema,
  halListSchema,
  interactionSchema,
  participantSchema,
} from "./wire-schemas.ts";
import type {
  Conversation,
  CreateConversationInput,
  CreatedConversation,
  Interaction,
  ListQuery,
  Page,
  Participant,
  PatchConversationInput,
  PostAgentAssignmentInput,
  ReadReceiptInput,
  ThinkingInput,
  TypingInput,
  UpdateConversationInput,
} from "./wire-types.ts";

/** `/chat-gateway/v1/conversations` and its participant/indicator sub-resources. */
export interface ConversationsApi {
  list(query?: ListQuery, options?: CallOptions): Promise<Page<Conversation>>;
  listAll(query?: ListQuery, options?: CallOptions): AsyncIterable<Conversation>;
  /**
   * Starts a conversation and its CC interaction (202). NOT idempotent on 8x8's side (there is no
   * Idempotency-Key): a retry after a lost answer can create a second conversation. Pass `{ retry: false }`
   * when an outbox owns retrying.
   */
  create(input: CreateConversationInput, options?: CallOptions): Promise<CreatedConversation>;
  get(conversationId: string, options?: CallOptions): Promise<Conversation>;
  /** Full update (202); assignment changes apply asynchronously, observe them through events. */
  put(conversationId: string, input: UpdateConversationInput, options?: CallOptions): Promise<Conversation>;
  /** `{assignment}` and/or `{user}` (202); a queue assignment is the bot→agent handover. */
  patch(conversationId: string, input: PatchConversationInput, options?: CallOptions): Promise<Conversation>;
  /** Every CC interaction (routing instance) of the conversation; 8x8 declares no paging params here. */
  interactions(conversationId: string, options?: CallOptions): Promise<readonly Interaction[]>;
  /** Schedules the hand-back to a bot webhook once the agent is done (201). */
  postAgentAssignment(
    conversationId: string,
    input: PostAgentAssignmentInput,
    options?: CallOptions,
  ): Promise<void>;
  /** Typing indicator towards the agent (204). */
  typing(conversationId: string, input: TypingInput, options?: CallOptions): Promise<void>;
  /** Bot "thinking" indicator (204); without `input` 8x8 applies `{authorType: "bot", maxThinkingTimeSeconds: 60}`. */
  thinking(conversationId: string, input?: ThinkingInput, options?: CallOptions): Promise<void>;
  /** Marks every message up to `readAt` as read (204). */
  readReceipt(conversationId: string, input: ReadReceiptInput, options?: CallOptions): Promise<void>;
  /** Everyone who ever joined; `removed: true` means they left. */
  participants(conversationId: string, options?: CallOptions): Promise<readonly Participant[]>;
  /** The user leaves: ends the current interaction and frees the agent (204). There is no "close" call. */
  userLeaves(conversationId: string, options?: CallOptions): Promise<void>;
}

const conversationListSchema = halListSchema("conversations", conversationSchema);
const interactionListSchema = halListSchema("interactions", interactionSchema);
const participantListSchema = halListSchema("participants", participantSchema);

function createBody(input: CreateConversationInput): Record<string, unknown> {
  return {
    channelId: input.channelId,
    user: input.user,
    assignment: input.assignment,
    history: input.history,
  };
}

function updateBody(input: UpdateConversationInput): Record<string, unknown> {
  return { channelId: input.channelId, user: input.user, assignment: input.assignment };
}

/**
 * `notifyChannelWebhookIfExists` is a string on the wire (the spec types it so; its description is copied from
 * `user.name` by mistake). The minute fields go as integers, as the spec says, not as strings as Cognigy.AI
 * sends them.
 */
function postAgentAssignmentBody(input: PostAgentAssignmentInput): Record<string, unknown> {
  const configuration = input.configuration;
  const notify = configuration?.notifyChannelWebhookIfExists;
  return {
    type: input.type ?? "webhook",
    id: input.id,
    configuration:
      configuration === undefined
        ? undefined
        : {
            notifyChannelWebhookIfExists: notify === undefined ? undefined : String(notify),
            maxTotalMinutes: configuration.maxTotalMinutes,
            userTimeoutInMinutes: configuration.userTimeoutInMinutes,
          },
  };
}

export function createConversationsApi({ transport }: ClientContext): ConversationsApi {
  /** The calls on `/conversations/{id}/<sub>` that answer without a body. */
  async function sendWithoutResult(
    operation: ChatGatewayOperation,
    method: HttpMethod,
    conversationId: string,
    sub: readonly string[],
    json: unknown,
    options: CallOptions | undefined,
  ): Promise<void> {
    const path = gatewayPath("conversations", conversationId, ...sub);
    await transport.send({ operation, method, target: { path }, json }, options);
  }

  async function list(query: ListQuery = {}, options?: CallOptions): Promise<Page<Conversation>> {
    checkListQuery(query);
    const response = await transport.send(
      {
        operation: "conversations.list",
        method: "GET",
        target: { path: gatewayPath("conversations") },
        query: listQueryParams(query),
      },
      options,
    );
    return toPage(readJson(response, conversationListSchema, "conversations.list"), query.page ?? 0);
  }

  function listAll(query: ListQuery = {}, options?: CallOptions): AsyncIterable<Conversation> {
    return iterateAllPages((page) => list({ ...query, page }, options), query.page ?? 0);
  }

  async function create(input: CreateConversationInput, options?: CallOptions): Promise<CreatedConversation> {
    checkCreateConversation(input);
    const response = await transport.send(
      {
        operation: "conversations.create",
        method: "POST",
        target: { path: gatewayPath("conversations") },
        json: createBody(input),
      },
      options,
    );
    return readJson(response, createdConversationSchema, "conversations.create");
  }

  async function get(conversationId: string, options?: CallOptions): Promise<Conversation> {
    checkId(conversationId, "conversationId");
    const response = await transport.send(
      {
        operation: "conversations.get",
        method: "GET",
        target: { path: gatewayPath("conversations", conversationId) },
      },
      options,
    );
    return readJson(response, conversationSchema, "conversations.get");
  }

  async function put(
    conversationId: string,
    input: UpdateConversationInput,
    options?: CallOptions,
  ): Promise<Conversation> {
    checkId(conversationId, "conversationId");
    checkUpdateConversation(input);
    const response = await transport.send(
      {
        operation: "conversations.put",
        method: "PUT",
        target: { path: gatewayPath("conversations", conversationId) },
        json: updateBody(input),
      },
      options,
    );
    return readJson(response, conversationSchema, "conversations.put");
  }

  async function patch(
    conversationId: string,
    input: PatchConversationInput,
    options?: CallOptions,
  ): Promise<Conversation> {
    checkId(conversationId, "conversationId");
    checkPatchConversation(input);
    const response = await transport.send(
      {
        operation: "conversations.patch",
        method: "PATCH",
        target: { path: gatewayPath("conversations", conversationId) },
        json: { assignment: input.assignment, user: input.user },
      },
      options,
    );
    return readJson(response, conversationSchema, "conversations.patch");
  }

  async function interactions(
    conversationId: string,
    options?: CallOptions,
  ): Promise<readonly Interaction[]> {
    checkId(conversationId, "conversationId");
    const path = gatewayPath("conversations", conversationId, "interactions");
    const response = await transport.send(
      { operation: "conversations.interactions", method: "GET", target: { path } },
      options,
    );
    return readJson(response, interactionListSchema, "conversations.interactions").items;
  }

  async function postAgentAssignment(
    conversationId: string,
    input: PostAgentAssignmentInput,
    options?: CallOptions,
  ): Promise<void> {
    checkId(conversationId, "conversationId");
    checkPostAgentAssignment(input);
    const body = postAgentAssignmentBody(input);
    await sendWithoutResult(
      "conversations.postAgentAssignment",
      "POST",
      conversationId,
      ["post-agent-assignment"],
      body,
      options,
    );
  }

  async function typing(conversationId: string, input: TypingInput, options?: CallOptions): Promise<void> {
    checkId(conversationId, "conversationId");
    checkTyping(input);
    const body = { authorType: input.authorType };
    await sendWithoutResult("conversations.typing", "POST", conversationId, ["typing"], body, options);
  }

  async function thinking(
    conversationId: string,
    input?: ThinkingInput,
    options?: CallOptions,
  ): Promise<void> {
    checkId(conversationId, "conversationId");
    checkThinking(input);
    // The body is optional: without input nothing is sent and 8x8's defaults apply (bot, 60 s).
    const body =
      input === undefined
        ? undefined
        : { authorType: "bot", maxThinkingTimeSeconds: input.maxThinkingTimeSeconds };
    await sendWithoutResult("conversations.thinking", "POST", conversationId, ["thinking"], body, options);
  }

  async function readReceipt(
    conversationId: string,
    input: ReadReceiptInput,
    options?: CallOptions,
  ): Promise<void> {
    checkId(conversationId, "conversationId");
    checkReadReceipt(input);
    const body = { authorType: input.authorType, readAt: input.readAt };
    await sendWithoutResult(
      "conversations.readReceipt",
      "POST",
      conversationId,
      ["read-receipt"],
      body,
      options,
    );
  }

  async function participants(
    conversationId: string,
    options?: CallOptions,
  ): Promise<readonly Participant[]> {
    checkId(conversationId, "conversationId");
    const path = gatewayPath("conversations", conversationId, "participants");
    const response = await transport.send(
      { operation: "conversations.participants", method: "GET", target: { path } },
      options,
    );
    return readJson(response, participantListSchema, "conversations.participants").items;
  }

  async function userLeaves(conversationId: string, options?: CallOptions): Promise<void> {
    checkId(conversationId, "conversationId");
    const sub = ["participants", "user"];
    await sendWithoutResult(
      "conversations.userLeaves",
      "PATCH",
      conversationId,
      sub,
      { removed: true },
      options,
    );
  }

  return {
    list,
    listAll,
    create,
    get,
    put,
    patch,
    interactions,
    postAgentAssignment,
    typing,
    thinking,
    readReceipt,
    participants,
    userLeaves,
  };
}
