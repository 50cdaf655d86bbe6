import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";

/** Debian's chromium; `.ci/run` installs it. Override with BATON_CHROMIUM. */
export const chromiumPath = process.env.BATON_CHROMIUM ?? "/usr/bin/chromium";

/**
 * One headless Chromium per test file. The flags keep it off the network (this machine has none) and quiet.
 */
export function useBrowser(): { page: () => Promise<Page> } {
  let browser: Browser | undefined;
  const pages: Page[] = [];
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--disable-quic",
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    async page() {
      if (browser === undefined) throw new Error("browser not started");
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      pages.push(page);
      return page;
    },
  };
}

/** Saves a screenshot into docs/images when BATON_SCREENSHOTS=1 (how the pictures in the docs are made). */
export async function maybeScreenshot(page: Page, name: string): Promise<void> {
  if (process.env.BATON_SCREENSHOTS !== "1") return;
  await page.screenshot({ path: new URL(`../../docs/images/${name}.png`, import.meta.url).pathname });
}
