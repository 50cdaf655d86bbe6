import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { maybeScreenshot, useBrowser } from "../factories/browser.ts";
import { demoCopilotFlow, repoKnowledge, startEmbedded } from "../factories/embedded-gateway.ts";
import { simulatorAgent } from "../factories/simulator-agent.ts";
import { connectWebchat } from "../factories/webchat-client.ts";

const browser = useBrowser();
const copilotDist = fileURLToPath(new URL("../../dist/web/copilot/index.html", import.meta.url));

describe("the Agent Copilot workspace, as an 8x8 agent in a real browser", () => {
  it("opens from the link the agent received and works live: transcript, cited knowledge, HTML postback, adaptive card, sentiment", async () => {
    expect(existsSync(copilotDist), "run `npm run build:copilot` first (npm start and CI do)").toBe(true);
    const { gateway, simulator, webToken } = await startEmbedded({
      copilotFlow: demoCopilotFlow,
      copilot: { knowledge: { folder: repoKnowledge } },
    });
    const agent = simulatorAgent(simulator);
    const chat = await connectWebchat(gateway.url, webToken, {
      userId: "erika",
      sessionId: "s-browser-copilot",
    });
    await chat.waitForMessage((m) => m.source === "bot");
    await chat.say("Thanks, this is great! I want to return my order and get a refund");
    await chat.waitForMessage((m) => m.source === "bot" && m.seq > 2);
    await chat.say("talk to a human");
    const conversation = await agent.waitForConversation((c) => c.user?.userId === "erika");
    const link = await agent.copilotLink(conversation.id);

    // The agent console shows the link as a link.
    const console = await browser.page();
    await console.goto(`${simulator.url}/console`);
    await console.locator("#conversation-list button").first().click();
    const shown = console.locator('#messages a[href*="/copilot/?"]');
    await expect.poll(() => shown.count()).toBe(1);
    expect(await shown.getAttribute("href")).toBe(link);
    expect(await shown.getAttribute("rel")).toBe("noopener noreferrer");

    const page = await browser.page();
    await page.setViewportSize({ width: 1440, height: 900 });
    // The workspace's CSP (src/channels/copilot/page.ts) must allow the app and its HTML tiles.
    const violations: string[] = [];
    page.on("console", (message) => {
      if (message.text().includes("Content Security Policy")) violations.push(message.text());
    });
    await page.goto(link.replace("//localhost:", "//127.0.0.1:"));
    const transcript = page.getByTestId("tile-transcript");
    await expect.poll(() => transcript.innerText()).toContain("get a refund");
    await expect.poll(() => page.getByTestId("sentiment").getAttribute("data-label")).toBe("positive");

    // The transcript follows the conversation live.
    await agent.accept(conversation.id, "agent-anna");
    await chat.say("My card 4111 1111 1111 1111 was charged twice");
    await expect.poll(() => transcript.innerText()).toContain("was charged twice");
    expect(await transcript.innerText()).not.toContain("4111 1111 1111 1111");

    // The sentiment changes with what the user writes.
    await chat.say("This is terrible, I am really angry and disappointed. Nothing works!");
    await chat.say("Awful service, I hate this.");
    await expect.poll(() => page.getByTestId("sentiment").getAttribute("data-label")).toBe("negative");

    // A knowledge search gives an answer with citations from the knowledge/ folder.
    await page.getByTestId("knowledge-search").fill("how long does a refund take");
    await page.getByTestId("knowledge-search-submit").click();
    await expect.poll(() => page.getByTestId("knowledge-answer").innerText()).not.toBe("");
    await expect
      .poll(() => page.getByTestId("tile-knowledge").getByTestId("citation").count())
      .toBeGreaterThan(0);
    expect(await page.getByTestId("tile-knowledge").getByTestId("citation").first().innerText()).toMatch(
      /\.md/,
    );

    // The HTML tile's button posts back; the flow updates another tile and the HTML tile in place.
    await page
      .frameLocator('[data-testid="html-frame-escalation"]')
      .getByRole("button", { name: /Escalate/ })
      .click();
    await expect
      .poll(() => page.getByTestId("tile-nextAction").innerText())
      .toContain("Escalation requested");
    await expect
      .poll(() => page.frameLocator('[data-testid="html-frame-escalation"]').locator("#status").innerText())
      .toBe("Escalation requested");

    // The adaptive card's submit reaches the flow, which fills the identity tile.
    const card = page.getByTestId("adaptive-card-customerForm");
    await card.locator("input").first().fill("Erika Mustermann");
    await card.getByRole("button").first().click();
    await expect.poll(() => page.getByTestId("tile-identity").innerText()).toContain("Erika Mustermann");
    await maybeScreenshot(page, "copilot-workspace");

    // The link the agent received carries the signed token; without it (what the end user could build from
    // their own ids and the web chat's URL token), or with a wrong URL token, the page is refused: no app, no data.
    expect(new URL(link).searchParams.get("auth")).toBeTruthy();
    const unsigned = new URL(link.replace("//localhost:", "//127.0.0.1:"));
    unsigned.searchParams.delete("auth");
    const wrong = new URL(link.replace("//localhost:", "//127.0.0.1:"));
    wrong.searchParams.set("URLToken", "0".repeat(64));
    expect(violations).toEqual([]);
    for (const refused of [unsigned, wrong]) {
      const forbidden = await browser.page();
      const answer = await forbidden.goto(refused.toString());
      expect(answer?.status()).toBe(404);
      expect(await forbidden.content()).toContain("BATON_ERR_COPILOT_ACCESS_DENIED");
      expect(await forbidden.getByTestId("copilot-grid").count()).toBe(0);
    }
  });
});
