import { describe, expect, it } from "vitest";
import { catalogKeys, resolveLocale, supportedLocales, translate } from "../../../src/i18n/catalog.ts";

describe("message catalog", () => {
  it("has every key in every language", () => {
    const english = catalogKeys("en").sort();
    for (const locale of supportedLocales) expect(catalogKeys(locale).sort(), locale).toEqual(english);
  });

  it("fills placeholders and reads well without optional ones", () => {
    expect(translate("en", "handover.agentJoined", { agentName: "Anna" })).toBe(
      "Anna has joined the conversation.",
    );
    expect(translate("en", "handover.agentJoined")).toBe("An agent has joined the conversation.");
    expect(translate("de", "handover.queued", { queueName: "Support EN" })).toBe(
      'Sie sind in der Warteschlange "Support EN". Gleich ist jemand für Sie da.',
    );
    expect(translate("en", "handover.queued")).toBe(
      "You are in the queue. An agent will be with you shortly.",
    );
  });

  it("resolves locales from language tags, falling back to English", () => {
    expect(resolveLocale("de-AT")).toBe("de");
    expect(resolveLocale("DE")).toBe("de");
    expect(resolveLocale("fr")).toBe("en");
    expect(resolveLocale(undefined)).toBe("en");
  });
});
