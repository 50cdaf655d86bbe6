import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createSimulator, StateFileError, type Simulator, type SimulatorOptions } from "../src/index.ts";
import { api, control, createChannel, createConversation } from "./support/gateway-client.ts";
import { verifySignature } from "./support/verify-signature.ts";
import { waitFor } from "./support/wait-for.ts";
import { startWebhookReceiver, type WebhookReceiver } from "./support/webhook-receiver.ts";

const workDir = await mkdtemp(join(tmpdir(), "baton-sim-state-"));
afterAll(() => rm(workDir, { recursive: true, force: true }));

const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const resource of opened.splice(0).reverse()) await resource.close();
});

let fileCounter = 0;
/** A state file path of its own for each test, in a folder that does not exist yet. */
function newStateFile(): string {
  fileCounter += 1;
  return join(workDir, `run-${fileCounter}`, "simulator-state.json");
}

async function simulatorWith(options: SimulatorOptions): Promise<Simulator> {
  const sim = await createSimulator(options);
  opened.push(sim);
  return sim;
}

async function receiverFor(respond?: Parameters<typeof startWebhookReceiver>[0]): Promise<WebhookReceiver> {
  const receiver = await startWebhookReceiver(respond);
  opened.push(receiver);
  return receiver;
}

type ControlMessage = {
  id: string;
  text: string;
  createdAt: string;
  author: { id: string; type: string };
  attachments: Array<{ id: string; fileName?: string; url?: string }>;
};

async function controlMessages(sim: Simulator, id: string): Promise<ControlMessage[]> {
  const result = await control<{ messages: ControlMessage[] }>(sim, "GET", `/conversations/${id}/messages`);
  return result.body.messages;
}

/** Messages without the pre-signed links, whose expiry is computed at each read. */
function withoutLinks(messages: ControlMessage[]) {
  return messages.map((message) => ({
    ...message,
    attachments: message.attachments.map(({ url: _url, ...attachment }) => attachment),
  }));
}

async function uploadAttachment(sim: Simulator, conversationId: string, bytes: Uint8Array, filename: string) {
  const form = new FormData();
  form.append("attachment", new Blob([bytes], { type: "application/pdf" }), filename);
  form.append("authorType", "user");
  const response = await fetch(`${sim.url}/chat-gateway/v1/conversations/${conversationId}/attachments`, {
    method: "POST",
    headers: { "x-api-key": sim.apiKey },
    body: form,
  });
  return ((await response.json()) as { id: string }).id;
}

async function download(url: string): Promise<{ status: number; bytes: Buffer }> {
  const response = await fetch(url, { headers: {} });
  return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) };
}

describe("the simulator's state file", () => {
  it("keeps conversations, message ids, participants, channels, webhooks, attachments and the API key across a restart", async () => {
    const stateFile = newStateFile();
    const receiver = await receiverFor();
    const first = await simulatorWith({ stateFile });
    const channelId = await createChannel(first, receiver);
    const id = await createConversation(first, channelId);
    const userFile = new Uint8Array([37, 80, 68, 70, 0, 255, 1, 2]);
    const attachmentId = await uploadAttachment(first, id, userFile, "invoice.pdf");
    await api(first, "POST", `/conversations/${id}/messages`, {
      authorType: "user",
      text: "here is the invoice",
      attachments: [{ id: attachmentId }],
    });
    await control(first, "POST", `/conversations/${id}/accept`, { agentId: "agent-ben" });
    await control(first, "POST", `/conversations/${id}/messages`, {
      text: "Thanks, checking",
      attachments: [{ fileName: "note.txt", contentType: "text/plain", base64: "aGVsbG8=" }],
    });
    const before = {
      summaries: first.conversations(),
      messages: withoutLinks(await controlMessages(first, id)),
      webhooks: (await api(first, "GET", "/webhooks")).body,
      channels: (await api(first, "GET", "/channels")).body,
      participants: (await api(first, "GET", `/conversations/${id}/participants`)).body,
      interactions: (await api(first, "GET", `/conversations/${id}/interactions`)).body,
    };
    await first.close();

    const second = await simulatorWith({ stateFile });

    expect(second.restored).toBe(true);
    expect(second.apiKey).toBe(first.apiKey);
    expect(second.conversations()).toEqual(before.summaries);
    expect(withoutLinks(await controlMessages(second, id))).toEqual(before.messages);
    // Self links carry the base URL, which is the new port's.
    const relinked = (body: unknown) => JSON.stringify(body).replaceAll(first.url, second.url);
    expect(JSON.stringify((await api(second, "GET", "/webhooks")).body)).toBe(relinked(before.webhooks));
    expect(JSON.stringify((await api(second, "GET", "/channels")).body)).toBe(relinked(before.channels));
    expect(JSON.stringify((await api(second, "GET", `/conversations/${id}/participants`)).body)).toBe(
      relinked(before.participants),
    );
    expect(JSON.stringify((await api(second, "GET", `/conversations/${id}/interactions`)).body)).toBe(
      relinked(before.interactions),
    );
    const content = await fetch(
      `${second.url}/chat-gateway/v1/conversations/${id}/attachments/${attachmentId}/content`,
      { headers: { "x-api-key": second.apiKey } },
    );
    expect(Buffer.from(await content.arrayBuffer()).equals(Buffer.from(userFile))).toBe(true);
    const agentFile = (await controlMessages(second, id)).at(-1)?.attachments[0]?.url ?? "";
    expect((await download(agentFile)).bytes.toString("utf8")).toBe("hello");
  });

  it("carries on where the run before stopped: new messages sort after the old, the agent can still reply and close", async () => {
    const stateFile = newStateFile();
    const receiver = await receiverFor();
    const first = await simulatorWith({ stateFile });
    const channelId = await createChannel(first, receiver);
    const id = await createConversation(first, channelId);
    await api(first, "POST", `/conversations/${id}/messages`, { authorType: "user", text: "before" });
    await control(first, "POST", `/conversations/${id}/accept`);
    await first.settled();
    const eventsBefore = receiver.labels(id).length;
    await first.close();

    const second = await simulatorWith({ stateFile });
    await api(second, "POST", `/conversations/${id}/messages`, { authorType: "user", text: "after" });
    const reply = await control(second, "POST", `/conversations/${id}/messages`, { text: "agent after" });
    const closed = await control<{ status: string }>(second, "POST", `/conversations/${id}/close`);

    expect(reply.status).toBe(201);
    expect(closed.body.status).toBe("idle");
    const newestFirst = await api<{ _embedded: { messages: Array<{ text: string }> } }>(
      second,
      "GET",
      `/conversations/${id}/messages`,
    );
    expect(newestFirst.body._embedded.messages.map((m) => m.text)).toEqual([
      "agent after",
      "after",
      "before",
    ]);
    // The restored live interaction is the one the lifecycle ends: it gets its end time.
    const interactions = await api<{ _embedded: { interactions: Array<{ endTime?: string }> } }>(
      second,
      "GET",
      `/conversations/${id}/interactions`,
    );
    expect(interactions.body._embedded.interactions.map((i) => i.endTime !== undefined)).toEqual([true]);
    await waitFor(() => receiver.labels(id).length === eventsBefore + 4, {
      what: "the events after the restart",
    });
    expect(receiver.labels(id).slice(eventsBefore)).toEqual([
      "MESSAGE:user/echo",
      "MESSAGE:agent/new",
      "MEMBERS_CHANGED:agent/left",
      "CONVERSATION_UPDATE:idle/agent",
    ]);
  });

  it("keeps the signing keys: deliveries signed before the restart verify against the restarted JWK endpoint", async () => {
    const stateFile = newStateFile();
    const receiver = await receiverFor();
    const first = await simulatorWith({ stateFile });
    const channelId = await createChannel(first, receiver);
    const oldKid = first.currentKid();
    await createConversation(first, channelId);
    const newKid = await first.rotateKey();
    await createConversation(first, channelId);
    await waitFor(() => receiver.accepted().length === 7, { what: "verify and six events" });
    await first.close();

    const second = await simulatorWith({ stateFile });

    expect(second.currentKid()).toBe(newKid);
    expect(second.publicJwk(oldKid)).toEqual(first.publicJwk(oldKid));
    for (const request of receiver.requests) {
      expect(await verifySignature(second.url, request.raw, request.headers)).toBe(true);
    }
  });

  it("keeps the key of the pre-signed links: a MESSAGE's file link from before the restart still downloads", async () => {
    const stateFile = newStateFile();
    const receiver = await receiverFor();
    const first = await simulatorWith({ stateFile });
    const channelId = await createChannel(first, receiver);
    const id = await createConversation(first, channelId);
    await control(first, "POST", `/conversations/${id}/accept`);
    await control(first, "POST", `/conversations/${id}/messages`, {
      attachments: [{ fileName: "map.png", contentType: "image/png", base64: "iVBORw0KGgo=" }],
    });
    const message = await waitFor(() => receiver.requests.find((r) => r.event.eventType === "MESSAGE"), {
      what: "the agent's MESSAGE",
    });
    const link = new URL(
      String((message.event.data?.["attachments"] as Array<{ preSignedUrl: string }>)[0]?.preSignedUrl),
    );
    await first.close();

    const second = await simulatorWith({ stateFile });
    const downloaded = await download(`${second.url}${link.pathname}${link.search}`);

    expect(downloaded.status).toBe(200);
    expect(downloaded.bytes.toString("base64")).toBe("iVBORw0KGgo=");
  });

  it("sends the events a stopped run had not delivered after the restart, under the same event ids", async () => {
    const stateFile = newStateFile();
    let accepting = false;
    const receiver = await receiverFor(({ event }) =>
      event.eventType === "WEB_HOOK_VERIFY" || accepting ? 200 : 503,
    );
    const first = await simulatorWith({ stateFile, retry: { baseDelayMs: 60_000 } });
    const channelId = await createChannel(first, receiver);
    const id = await createConversation(first, channelId);
    await waitFor(() => first.webhookLog().some((a) => a.conversationId === id && a.outcome === "failed"), {
      what: "the first refused event",
    });
    const queuedEids = [
      ...new Set(
        first
          .webhookLog()
          .filter((a) => a.conversationId === id)
          .map((a) => a.eid),
      ),
    ];
    await first.close();
    accepting = true;

    const second = await simulatorWith({ stateFile });
    await waitFor(() => receiver.labels(id).length === 3, { what: "the three kept events" });

    expect(receiver.labels(id)).toEqual([
      "CONVERSATION_UPDATE:created",
      "CONVERSATION_UPDATE:active/queue",
      "QUEUED:311",
    ]);
    const delivered = receiver.accepted().filter((r) => r.event.conversationId === id);
    expect(delivered[0]?.headers["x-8x8-event-id"]).toBe(queuedEids[0]);
    expect(new Set(delivered.map((r) => r.headers["x-8x8-event-id"])).size).toBe(3);
    await second.settled();
  });

  it("has the kept undelivered events in the file from the next start on, so a crash right after loses none", async () => {
    const stateFile = newStateFile();
    const receiver = await receiverFor(({ event }) => (event.eventType === "WEB_HOOK_VERIFY" ? 200 : 503));
    const first = await simulatorWith({ stateFile, retry: { baseDelayMs: 60_000 } });
    const id = await createConversation(first, await createChannel(first, receiver));
    await waitFor(() => first.webhookLog().some((a) => a.conversationId === id), { what: "a first attempt" });
    await first.close();

    // Still refusing, and never closed: only what this run wrote at its start is on disk.
    await simulatorWith({ stateFile, retry: { baseDelayMs: 60_000 } });
    const onDisk = JSON.parse(await readFile(stateFile, "utf8")) as {
      queuedEvents: Array<{ conversationId: string }>;
    };

    expect(onDisk.queuedEvents.map((e) => e.conversationId)).toEqual([id, id, id]);
  });

  it("saves shortly after a change without waiting for close, to a 0600 file with no temporary file left", async () => {
    const stateFile = newStateFile();
    const sim = await simulatorWith({ stateFile });
    const created = await api<{ id: string }>(sim, "POST", "/webhooks", {
      name: "kept",
      uri: "http://127.0.0.1:9/hook",
      version: "Chat Gateway v1.0",
    });

    // No persisted() call: the debounced save alone must write it.
    await waitFor(async () => (await readFile(stateFile, "utf8")).includes(created.body.id), {
      what: "the webhook in the state file",
    });
    await sim.persisted();
    expect((await stat(stateFile)).mode & 0o777).toBe(0o600);
    expect((await readdir(join(stateFile, ".."))).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("refuses a corrupt file with a StateFileError naming the file and what to do, and changes nothing", async () => {
    const stateFile = newStateFile();
    await mkdir(join(stateFile, ".."), { recursive: true });
    const cases: Array<[string, RegExp]> = [
      ['{"format": "baton-8x8-simulator-state", "ver', /is not valid JSON \(.+\)/],
      ["", /is not valid JSON/],
      ['{"conversations": []}', /is not a simulator state file/],
      [
        '{"format": "baton-8x8-simulator-state", "version": 2}',
        /has format version 2, and this simulator reads version 1/,
      ],
      ['{"format": "baton-8x8-simulator-state", "version": 1, "apiKey": 7}', /is damaged \(.*apiKey/],
    ];
    for (const [content, reason] of cases) {
      await writeFile(stateFile, content);
      const failure = await createSimulator({ stateFile }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(StateFileError);
      const message = (failure as StateFileError).message;
      expect(message).toContain(`The simulator state file ${stateFile} `);
      expect(message).toMatch(reason);
      expect(message).toMatch(/Start the simulator with --fresh to discard it, or delete the file\.$/);
      expect(await readFile(stateFile, "utf8")).toBe(content);
    }
  });

  it("names an unreadable file and a missing attachment file", async () => {
    const folderInstead = newStateFile();
    await mkdir(folderInstead, { recursive: true });
    await expect(createSimulator({ stateFile: folderInstead })).rejects.toThrow(/cannot be read \(EISDIR/);

    const stateFile = newStateFile();
    const receiver = await receiverFor();
    const first = await simulatorWith({ stateFile });
    const id = await createConversation(first, await createChannel(first, receiver));
    await uploadAttachment(first, id, new Uint8Array([1, 2, 3]), "a.bin");
    await first.close();
    const [stored = ""] = await readdir(`${stateFile}.attachments`);
    await rm(join(`${stateFile}.attachments`, stored));

    await expect(createSimulator({ stateFile })).rejects.toThrow(
      `refers to the attachment file ${join(`${stateFile}.attachments`, stored)}, which cannot be read`,
    );
  });

  it("starts empty with fresh, discarding the old file and its attachments", async () => {
    const stateFile = newStateFile();
    const receiver = await receiverFor();
    const first = await simulatorWith({ stateFile });
    const id = await createConversation(first, await createChannel(first, receiver));
    await uploadAttachment(first, id, new Uint8Array([9, 9]), "old.bin");
    await first.close();

    const fresh = await simulatorWith({ stateFile, fresh: true });

    expect(fresh.restored).toBe(false);
    expect(fresh.conversations()).toEqual([]);
    expect(fresh.apiKey).not.toBe(first.apiKey);
    await expect(readdir(`${stateFile}.attachments`)).rejects.toThrow(/ENOENT/);
    await fresh.close();
    const after = await simulatorWith({ stateFile });
    expect(after.restored).toBe(true);
    expect(after.apiKey).toBe(fresh.apiKey);
  });

  it("fails the start when the state file cannot be written", async () => {
    const blocker = join(workDir, "not-a-folder");
    await writeFile(blocker, "a file where the state folder should be");

    const failure = await createSimulator({ stateFile: join(blocker, "state.json") }).catch(
      (e: unknown) => e,
    );

    expect(failure).toBeInstanceOf(StateFileError);
    expect((failure as StateFileError).message).toMatch(
      /cannot be written \(.+\)\. Make its folder writable, or choose another file\.$/,
    );
    expect((failure as StateFileError).discardable).toBe(false);
  });
});
