import { describe, expect, it } from "vitest";
import { maybeScreenshot, useBrowser } from "../factories/browser.ts";
import { startEmbedded } from "../factories/embedded-gateway.ts";
import { reachAgent, says } from "../factories/handover-steps.ts";
import { simulatorAgent } from "../factories/simulator-agent.ts";
import { connectWebchat } from "../factories/webchat-client.ts";

const browser = useBrowser();
const adminKey = "admin-key-0123456789abcdef-0123456789";
const agentText = "Hello Ana, I am looking at your invoice now.";
/** Entries reach the store within a second, the page refreshes every three: a busy machine needs longer. */
const poll = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 10_000 });

describe("the operator page, as an operator in a real browser", () => {
  it("asks for the admin key, lists the event log live with filters, shows an entry and replays an agent message", async () => {
    const { simulator, gateway, webToken } = await startEmbedded({ server: { adminKey } });
    const agent = simulatorAgent(simulator);
    const chat = await connectWebchat(gateway.url, webToken, { userId: "ana", sessionId: "s-admin-page" });
    await chat.waitForMessage((m) => m.source === "bot");
    const conversation = await reachAgent(chat, agent, "ana");
    await agent.say(conversation.id, agentText);
    await chat.waitForMessage(says("agent", agentText));
    await chat.say("Thanks, it says 120 EUR but I paid 100");
    await gateway.eventLog.flush();

    const page = await browser.page();
    await page.setViewportSize({ width: 1440, height: 900 });
    // The page's CSP (src/server/routes/admin-page.ts) must allow its own script and style, nothing inline.
    const violations: string[] = [];
    page.on("console", (message) => {
      if (message.text().includes("Content Security Policy")) violations.push(message.text());
    });
    await page.goto(`${gateway.url}/admin/`);

    // A wrong key is refused and asked for again.
    await page.locator("#admin-key").fill("not-the-key");
    await page.locator("#key-form button[type=submit]").click();
    await poll(() => page.locator("#problem").innerText()).toContain("refused");
    expect(await page.locator("#key-form").isVisible()).toBe(true);

    await page.locator("#admin-key").fill(adminKey);
    await page.locator("#key-form button[type=submit]").click();
    const rows = page.locator("#events tr");
    await poll(() => rows.count()).toBeGreaterThan(3);
    const types = await page.locator("#events td.type").allInnerTexts();
    expect(types).toEqual(expect.arrayContaining(["conversations.create", "messages.send", "MESSAGE"]));

    // Only webhooks, of this conversation.
    await page.locator("#f-direction").selectOption("in");
    await page.locator("#f-conversation").fill(conversation.id);
    await page.locator("#filters button[type=submit]").click();
    await poll(async () => new Set(await page.locator("#events td.dir").allInnerTexts())).toEqual(
      new Set(["in"]),
    );
    expect(new Set(await page.locator("#events td.conversation").allInnerTexts())).toEqual(
      new Set([conversation.id]),
    );

    // The agent's message: its detail shows the stored body, and inbound entries can be replayed.
    await page.locator("#f-type").fill("MESSAGE");
    await page.locator("#filters button[type=submit]").click();
    await poll(async () => new Set(await page.locator("#events td.type").allInnerTexts())).toEqual(
      new Set(["MESSAGE"]),
    );
    const messageRows = await page.locator("#events tr").count();
    let found = false;
    for (let i = 0; i < messageRows && !found; i += 1) {
      const id = await page.locator("#events tr").nth(i).getAttribute("data-id");
      await page.locator("#events tr").nth(i).click();
      // The detail pane shows this entry once its title names it.
      await poll(() => page.locator("#d-title").innerText()).toBe(`#${id} ← MESSAGE`);
      found = (await page.locator("#d-body").innerText()).includes(agentText);
    }
    expect(found).toBe(true);
    expect(await page.locator("#d-fields").innerText()).toContain(conversation.id);
    expect(await page.locator("#d-replay").isVisible()).toBe(true);

    // Without force: a duplicate, nothing shown again. With force: the user sees it a second time.
    await page.locator("#d-replay-button").click();
    await poll(() => page.locator("#d-replay-result").innerText()).toContain("duplicate");
    await page.locator("#d-force").check();
    await page.locator("#d-replay-button").click();
    await poll(() => page.locator("#d-replay-result").innerText()).toContain("accepted");
    await poll(() => chat.messages().filter((m) => m.text === agentText).length).toBe(2);

    // Back to everything: the replays are listed too (auto-refresh), the entry stays open.
    await page.locator("#f-direction").selectOption("");
    await page.locator("#f-type").fill("");
    await page.locator("#f-conversation").fill("");
    await page.locator("#filters button[type=submit]").click();
    await poll(() => rows.count()).toBeGreaterThan(8);
    const replays = async () =>
      (await page.locator("#events td.outcome").allInnerTexts())
        .filter((t) => t.includes("replay of"))
        .sort();
    await poll(replays).toEqual([
      expect.stringMatching(/^accepted · replay of #\d+$/),
      expect.stringMatching(/^duplicate · replay of #\d+$/),
    ]);
    await maybeScreenshot(page, "admin-event-log");

    // The key stays for the tab: a reload lists at once.
    await page.reload();
    await poll(() => rows.count()).toBeGreaterThan(0);
    expect(await page.locator("#key-form").isVisible()).toBe(false);
    expect(violations).toEqual([]);
  }, 90_000);
});
