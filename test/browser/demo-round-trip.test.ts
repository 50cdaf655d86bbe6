import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { webchatDist } from "../../src/channels/webchat/page.ts";
import { maybeScreenshot, useBrowser } from "../factories/browser.ts";
import { startEmbedded } from "../factories/embedded-gateway.ts";

const browser = useBrowser();

describe("the npm start demo, as two people in a real browser", () => {
  it("a user asks for a human in the web chat, the agent accepts and answers in the console, each page shows the other's messages, and the bot takes over again", async () => {
    expect(
      existsSync(`${webchatDist}index.html`),
      "run `npm run build:web` first (npm start and CI do)",
    ).toBe(true);
    const { gateway, simulator } = await startEmbedded();

    const chat = await browser.page();
    // The page's CSP (src/channels/webchat/page.ts) must allow everything the page does.
    const violations: string[] = [];
    chat.on("console", (message) => {
      if (message.text().includes("Content Security Policy")) violations.push(message.text());
    });
    await chat.goto(`${gateway.url}/`);
    await expect.poll(() => chat.getByTestId("message-bot").first().innerText()).toContain("demo bot");
    await chat.getByTestId("quick-reply").filter({ hasText: "Opening hours" }).click();
    await expect.poll(() => chat.getByTestId("message-bot").last().innerText()).toContain("Monday to Friday");

    await chat.getByTestId("composer").fill("I'd like to talk to a human, please");
    await chat.getByTestId("composer").press("Enter");
    await expect.poll(() => chat.getByTestId("handover-banner").getAttribute("data-state")).toBe("queued");
    await expect(chat.getByTestId("cancel-handover").isVisible()).resolves.toBe(true);

    const console = await browser.page();
    await console.goto(`${simulator.url}/console`);
    await console.locator("#conversation-list button").first().click();
    await expect
      .poll(() => console.locator("#messages").innerText())
      .toContain("I'd like to talk to a human, please");
    expect(await console.locator("#messages").innerText()).toContain("Monday to Friday");
    await console.locator("#accept").click();
    await expect.poll(() => chat.getByTestId("handover-banner").getAttribute("data-state")).toBe("active");

    await console.locator("#reply").fill("Hi, this is Anna from support. How can I help?");
    await console.getByRole("button", { name: "Send" }).click();
    await expect
      .poll(() => chat.getByTestId("message-agent").last().innerText())
      .toContain("Hi, this is Anna from support. How can I help?");

    await chat.getByTestId("composer").fill("My parcel never arrived.");
    await chat.getByTestId("send").click();
    await expect.poll(() => console.locator("#messages").innerText()).toContain("My parcel never arrived.");
    await console.locator("#reply").fill("I'm sorry! I have sent a replacement today.");
    await console.getByRole("button", { name: "Send" }).click();
    await expect.poll(() => chat.getByTestId("message-agent").last().innerText()).toContain("replacement");
    await maybeScreenshot(chat, "webchat-demo");
    await maybeScreenshot(console, "agent-console-demo");

    await console.locator("#close").click();
    await expect
      .poll(() => chat.getByTestId("message-bot").last().innerText(), { timeout: 15_000 })
      .toContain("Welcome back");
    await expect.poll(() => chat.getByTestId("handover-banner").isVisible()).toBe(false);
    expect(violations).toEqual([]);
  });
});
