import { afterEach, describe, expect, it } from "vitest";
import { createSimulator, type Simulator } from "../src/index.ts";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe("agent console page", () => {
  it("is served at /console as one self-contained HTML page with no external URL", async () => {
    sim = await createSimulator();
    const response = await fetch(`${sim.url}/console`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await response.text();
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain("/sim");
    // No external resources: no absolute or protocol-relative URLs, no src/href to other origins.
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']\/\//i);
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+stylesheet/i);
    // Untrusted text is never written as HTML.
    expect(html).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });

  it('has an "Attach file" control and shows message files as same-origin links', async () => {
    sim = await createSimulator();
    const html = await (await fetch(`${sim.url}/console`)).text();
    expect(html).toMatch(/<input type="file" id="attach" multiple/);
    expect(html).toContain("Attach file");
    // Files are read in the browser and sent as base64 to the control API; links are built from the
    // pre-signed URL's path only (never an external URL), images inline.
    expect(html).toContain("readAsDataURL");
    expect(html).toContain('startsWith("/sim/files/")');
  });

  it("offers an input for every fault, and its Reset sets every fault back to its default", async () => {
    sim = await createSimulator();
    const html = await (await fetch(`${sim.url}/console`)).text();
    const reset = /saveFaults\("PUT", \{([^}]*)\}\)/.exec(html)?.[1] ?? "";
    for (const [name, value] of Object.entries(sim.faults())) {
      expect(html).toContain(`<input name="${name}" type="number"`);
      expect(reset).toMatch(new RegExp(`\\b${name}: ${value},`));
    }
  });

  it("redirects / to the console", async () => {
    sim = await createSimulator();
    const response = await fetch(`${sim.url}/`, { redirect: "manual" });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/console");
  });
});
