import { describe, expect, it } from "vitest";
import { createTranslator, handoverStateKeys, handoverStateLabel } from "../src/messages.ts";

const states = [
  "requested",
  "queued",
  "active",
  "transferring",
  "completed",
  "cancelled",
  "closed_by_bot",
  "abandoned",
  "error",
];

describe("handover status labels", () => {
  const en = createTranslator("en");
  const de = createTranslator("de");

  it("has a label for every lifecycle state", () => {
    expect(Object.keys(handoverStateKeys).sort()).toEqual([...states].sort());
  });

  it("translates every state in English and German, never showing the raw value", () => {
    for (const translate of [en, de]) {
      const labels = states.map((state) => handoverStateLabel(translate, state));
      for (const [i, label] of labels.entries()) expect(label, states[i]).not.toBe(states[i]);
      expect(new Set(labels).size, "labels are distinct").toBe(states.length);
    }
    expect(handoverStateLabel(en, "active")).toBe("Agent connected");
    expect(handoverStateLabel(de, "active")).toBe("Mitarbeiter verbunden");
    expect(handoverStateLabel(en, "closed_by_bot")).toBe("Closed by the bot");
    expect(handoverStateLabel(de, "closed_by_bot")).toBe("Vom Bot beendet");
  });

  it("says unknown before the first state, and shows a state it does not know as sent", () => {
    expect(handoverStateLabel(en, undefined)).toBe("unknown");
    expect(handoverStateLabel(de, undefined)).toBe("unbekannt");
    expect(handoverStateLabel(en, "")).toBe("unknown");
    expect(handoverStateLabel(en, "parked")).toBe("parked");
    // Inherited object keys are not states.
    expect(handoverStateLabel(en, "toString")).toBe("toString");
  });
});
