import { describe, expect, it } from "vitest";
import { createOfflineAi, type KnowledgePassage } from "../../../src/copilot/ai/index.ts";

const ai = createOfflineAi();

const refunds: KnowledgePassage = {
  title: "Returns and refunds",
  source: "returns-and-refunds.md",
  excerpt:
    "We refund the purchase price to the original payment method within 5 working days after the returned parcel arrives. Card refunds can take another 3 to 5 days to show. Shipping costs are refunded when you return the whole order.",
  score: 20,
};
const outsideHours: KnowledgePassage = {
  title: "Opening hours",
  source: "opening-hours.md",
  excerpt: "Leave your question in the chat with your order number. An agent replies by e-mail.",
  score: 18,
};
const delivery: KnowledgePassage = {
  title: "Delivery and tracking",
  source: "delivery-and-tracking.md",
  excerpt: "Standard delivery takes 2 to 4 working days. Express delivery arrives the next working day.",
  score: 15,
};
const weak: KnowledgePassage = {
  title: "Account",
  source: "account.md",
  excerpt: "Refund questions about accounts go to the billing team.",
  score: 2,
};

describe("offline answer", () => {
  it("quotes the passage sentences that match the question and cites what it quoted", async () => {
    const answer = await ai.answer("How long does a refund to my card take?", [refunds, weak]);
    expect(answer.text).toBe(
      "We refund the purchase price to the original payment method within 5 working days after the returned parcel arrives. Card refunds can take another 3 to 5 days to show. [1]",
    );
    // The weak passage scored far below the best one: not quoted, not cited.
    expect(answer.citations).toEqual([
      { title: refunds.title, source: refunds.source, excerpt: refunds.excerpt },
    ]);
  });

  it("cites two passages in rank order, skipping one that matched only by its title", async () => {
    const answer = await ai.answer("refund and delivery time", [delivery, outsideHours, refunds]);
    expect(answer.citations.map((c) => c.source)).toEqual([
      "returns-and-refunds.md",
      "delivery-and-tracking.md",
    ]);
    expect(answer.text).toMatch(/^We refund .* \[1\] Standard delivery takes 2 to 4 working days\. .*\[2\]$/);
    expect(answer.text).not.toContain("Leave your question");
  });

  it("says it found nothing when there is no passage", async () => {
    expect(await ai.answer("  quantum physics ", [])).toEqual({
      text: 'I found nothing in the knowledge base for "quantum physics".',
      citations: [],
    });
  });

  it("is deterministic", async () => {
    const passages = [refunds, delivery];
    expect(await ai.answer("delivery", passages)).toEqual(await ai.answer("delivery", passages));
  });
});
