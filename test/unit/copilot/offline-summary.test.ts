import { describe, expect, it } from "vitest";
import { createOfflineAi, type ConversationLine } from "../../../src/copilot/ai/index.ts";

const ai = createOfflineAi();

describe("offline summary", () => {
  it("quotes the first request, the sentence with the order id and the bot's outcome", async () => {
    const lines: ConversationLine[] = [
      { source: "user", text: "Hi there" },
      { source: "bot", text: "Hello! How can I help?" },
      { source: "user", text: "I want to return my shoes. They are too small." },
      { source: "bot", text: "Sure, what is your order number?" },
      { source: "user", text: "It is A-1009. I paid 120 EUR." },
      { source: "user", text: "Thanks" },
      { source: "bot", text: "I could not find that order. Let me connect you to an agent." },
      { source: "system", text: "Connecting you to an agent…" },
    ];
    expect(await ai.summarize(lines)).toBe(
      "User: I want to return my shoes. It is A-1009.\nBot: Let me connect you to an agent.",
    );
  });

  it("takes the last request when no sentence has a number, an id or a question", async () => {
    const summary = await ai.summarize([
      { source: "user", text: "Hallo" },
      { source: "user", text: "Ich möchte mein Passwort ändern." },
      { source: "user", text: "Die E-Mail kommt nicht an." },
      { source: "user", text: "Ich brauche einen Menschen." },
      { source: "bot", text: "Ich verbinde Sie mit einem Mitarbeiter." },
    ]);
    expect(summary).toBe(
      "User: Ich möchte mein Passwort ändern. Ich brauche einen Menschen.\nBot: Ich verbinde Sie mit einem Mitarbeiter.",
    );
  });

  it("prefers a question to plain statements", async () => {
    const summary = await ai.summarize([
      { source: "user", text: "My parcel did not arrive." },
      { source: "user", text: "I have waited all week." },
      { source: "user", text: "Wann kommt das Paket" },
      { source: "user", text: "I am annoyed." },
    ]);
    expect(summary).toBe("User: My parcel did not arrive. Wann kommt das Paket");
  });

  it("covers only the bot part: nothing after the agent joined", async () => {
    const summary = await ai.summarize([
      { source: "user", text: "Where is order 55123?" },
      { source: "bot", text: "Connecting you." },
      { source: "agent", text: "Hi, Anna here." },
      { source: "user", text: "My card number changed as well, invoice 99887." },
    ]);
    expect(summary).toBe("User: Where is order 55123?\nBot: Connecting you.");
  });

  it("shortens long sentences and says so when there is nothing to summarize", async () => {
    const long = `I need help with ${"a very long story ".repeat(30)}today.`;
    const summary = await ai.summarize([{ source: "user", text: long }]);
    expect(summary.startsWith("User: I need help with a very long story")).toBe(true);
    expect(summary.endsWith("…")).toBe(true);
    expect(summary.length).toBeLessThan(200);
    expect(await ai.summarize([])).toBe("Nothing to summarize yet.");
    expect(await ai.summarize([{ source: "user", text: "Hello, thanks!" }])).toBe(
      "Nothing to summarize yet.",
    );
  });
});
