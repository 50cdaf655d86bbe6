import { describe, expect, it } from "vitest";
import { createOfflineAi } from "../../../src/copilot/ai/index.ts";
import type { SentimentLabel } from "../../../src/protocol/copilot.ts";

const ai = createOfflineAi();
const sentiment = (...texts: string[]) => ai.sentiment(texts);

describe("offline sentiment", () => {
  it.each<[string, SentimentLabel]>([
    // English
    ["This is great, thank you!", "positive"],
    ["I am very happy with the service :)", "positive"],
    ["Perfect, that solved it 👍", "positive"],
    ["not bad at all", "positive"],
    ["no problem", "positive"],
    ["This is terrible.", "negative"],
    ["not good", "negative"],
    ["It doesn't work", "negative"],
    ["The parcel never arrived", "negative"],
    ["I'm not happy with this", "negative"],
    ["The delivery was fast, but the box was damaged", "negative"],
    ["Where is my order A-1009?", "neutral"],
    ["I would like to change my address", "neutral"],
    ["ok", "neutral"],
    // German
    ["Super, vielen Dank!", "positive"],
    ["Das ist wirklich sehr hilfreich 😊", "positive"],
    ["Nicht schlecht", "positive"],
    ["kein Problem", "positive"],
    ["nicht gut", "negative"],
    ["Das funktioniert leider nicht 😡", "negative"],
    ["Das gefällt mir überhaupt nicht", "negative"],
    ["Ich bin sehr enttäuscht", "negative"],
    ["Die Lieferung ist kaputt angekommen", "negative"],
    ["Ich bin nicht zufrieden", "negative"],
    ["funktioniert nicht gut", "negative"],
    ["Die Ware kam schnell, aber sie ist beschädigt", "negative"],
    ["Wann kommt mein Paket?", "neutral"],
    ["Ich möchte meine Adresse ändern", "neutral"],
    // emoticons and emoji alone
    [":-(", "negative"],
    [":D", "positive"],
    ["😭😭", "negative"],
    ["❤️", "positive"],
  ])("%j is %s", async (text, label) => {
    expect((await sentiment(text)).label).toBe(label);
  });

  it("keeps every score within -1…1 and is deterministic", async () => {
    const texts = ["TERRIBLE!!! 😡😡😡 worst service ever, absolutely useless, never again!!!"];
    const first = await sentiment(...texts);
    expect(first.score).toBeGreaterThanOrEqual(-1);
    expect(first.score).toBeLessThan(-0.9);
    expect(await sentiment(...texts)).toEqual(first);
    const best = await sentiment("Absolutely perfect, amazing, wonderful!!! 😍🥰👍");
    expect(best.score).toBeLessThanOrEqual(1);
    expect(best.score).toBeGreaterThan(0.9);
  });

  it("intensifiers, capitals and exclamation marks make a text stronger; softeners weaker", async () => {
    const plain = (await sentiment("this is bad")).score;
    expect((await sentiment("this is very bad")).score).toBeLessThan(plain);
    expect((await sentiment("this is BAD")).score).toBeLessThan(plain);
    expect((await sentiment("this is bad!!")).score).toBeLessThan(plain);
    expect((await sentiment("this is slightly bad")).score).toBeGreaterThan(plain);
    expect((await sentiment("das ist sehr gut")).score).toBeGreaterThan(
      (await sentiment("das ist gut")).score,
    );
  });

  it("negating praise weighs more than negating a complaint", async () => {
    const notGood = (await sentiment("not good")).score;
    const notBad = (await sentiment("not bad")).score;
    expect(notGood).toBeLessThan(0);
    expect(notBad).toBeGreaterThan(0);
    expect(Math.abs(notGood)).toBeGreaterThan(Math.abs(notBad));
  });

  it("scores several messages together and nothing as neutral 0", async () => {
    const together = await sentiment("Where is my parcel?", "Still nothing.", "This is ridiculous!");
    expect(together.label).toBe("negative");
    expect(await sentiment()).toEqual({ label: "neutral", score: 0 });
    expect(await sentiment("")).toEqual({ label: "neutral", score: 0 });
  });

  it("does not read a URL's :/ as a frown", async () => {
    expect(await sentiment("see https://example.com/help")).toEqual({ label: "neutral", score: 0 });
  });

  it("takes its neutral band from the options", async () => {
    expect((await sentiment("fine")).label).toBe("positive");
    expect((await createOfflineAi({ neutralBand: 0.5 }).sentiment(["fine"])).label).toBe("neutral");
  });
});
