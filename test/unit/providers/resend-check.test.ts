import { describe, expect, it } from "vitest";
import {
  landedAlready,
  sameMessage,
  trailingRun,
  type ListedMessage,
  type RelayedMessage,
} from "../../../src/providers/resend-check.ts";

const user = (text: string, attachments = 0): RelayedMessage => ({ author: "user", text, attachments });
const bot = (text: string): RelayedMessage => ({ author: "bot", text, attachments: 0 });
const agent = (text: string): ListedMessage => ({ author: "agent", text, attachments: 0 });

/** The provider's listing, newest first, from a conversation written oldest first. */
const newestFirst = (...oldestFirst: ListedMessage[]): ListedMessage[] => [...oldestFirst].reverse();

describe("resend check: did the attempt we could not confirm land?", () => {
  it("finds a message that landed although its answer was lost", async () => {
    const provider = newestFirst(user("Hi"), user("Where is my parcel?"));
    expect(await landedAlready(provider, user("Where is my parcel?"), { identicalBefore: 0 })).toBe(true);
  });

  it("sends a message that did not land", async () => {
    const provider = newestFirst(user("Hi"));
    expect(await landedAlready(provider, user("Where is my parcel?"), { identicalBefore: 0 })).toBe(false);
  });

  it("tells the user's second 'ok' apart from the first: landed only when the provider shows both", async () => {
    const message = user("ok");
    // This side completed one "ok" right before the one being retried.
    const check = { identicalBefore: trailingRun([user("ok"), user("Thanks")], message) };
    expect(check).toEqual({ identicalBefore: 1 });
    expect(await landedAlready(newestFirst(user("Thanks"), user("ok")), message, check)).toBe(false);
    expect(await landedAlready(newestFirst(user("Thanks"), user("ok"), user("ok")), message, check)).toBe(
      true,
    );
  });

  it("skips the agent's messages between two of ours", async () => {
    const message = user("ok");
    const check = { identicalBefore: 1 };
    expect(await landedAlready(newestFirst(user("ok"), agent("Anything else?")), message, check)).toBe(false);
    expect(
      await landedAlready(newestFirst(user("ok"), agent("Anything else?"), user("ok")), message, check),
    ).toBe(true);
  });

  it("compares the author: a bot notice with the user's text is another message", async () => {
    expect(await landedAlready(newestFirst(bot("ok")), user("ok"), { identicalBefore: 0 })).toBe(false);
    expect(await landedAlready(newestFirst(user("ok")), bot("ok"), { identicalBefore: 0 })).toBe(false);
  });

  it("compares the number of files: the same text with a file is another message", async () => {
    expect(
      await landedAlready(newestFirst(user("receipt", 1)), user("receipt"), { identicalBefore: 0 }),
    ).toBe(false);
    expect(
      await landedAlready(newestFirst(user("receipt", 1)), user("receipt", 1), { identicalBefore: 0 }),
    ).toBe(true);
  });

  it("compares text as sent (trimmed) and authors whatever their case", () => {
    expect(sameMessage({ author: "USER", text: "  ok\n", attachments: 0 }, user("ok"))).toBe(true);
    expect(sameMessage({ author: "user", text: "OK", attachments: 0 }, user("ok"))).toBe(false);
  });

  it("ends this side's run at the first different message of ours", () => {
    expect(trailingRun([user("ok"), user("ok"), bot("note"), user("ok")], user("ok"))).toBe(2);
    expect(trailingRun([], user("ok"))).toBe(0);
  });

  it("stops reading the listing as soon as the answer is known", async () => {
    let read = 0;
    async function* listing(): AsyncGenerator<ListedMessage> {
      for (const message of newestFirst(user("a"), user("b"), user("ok"), user("ok"))) {
        read += 1;
        yield await Promise.resolve(message);
      }
    }
    expect(await landedAlready(listing(), user("ok"), { identicalBefore: 0 })).toBe(true);
    expect(read).toBe(1);
  });
});
