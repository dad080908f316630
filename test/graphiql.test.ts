import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { createViewer } from "./support/factories";
import { startTestGateway, type TestGateway } from "./support/harness";

/**
 * GraphiQL at /graphiql (src/server/graphiql.ts), in Debian's headless chromium driven by
 * playwright-core, with every request to another host refused: the page loads from the gateway
 * alone, runs `{ me { username } }` with the key in its headers tab, and shows the answer. Skipped
 * (with a notice) on a machine without chromium (`.ci/run` installs it).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const available = existsSync(CHROMIUM);
if (!available) console.warn(`[graphiql.test] ${CHROMIUM} not found: the headless-browser test is skipped (apt-get install chromium).`);

(available ? describe : describe.skip)("GraphiQL, offline", () => {
  let gw: TestGateway;
  let browser: Browser;

  beforeAll(async () => {
    gw = await startTestGateway();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it("loads from the gateway alone and runs a query with the key from its headers tab", async () => {
    const { user, key } = await createViewer(gw.dataSource);
    const context = await browser.newContext();
    const origin = new URL(gw.url).origin;
    const refused: string[] = [];
    const served: string[] = [];
    // The outside world is unreachable: anything not on the gateway is refused and recorded.
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(origin)) {
        served.push(url);
        return route.continue();
      }
      refused.push(url);
      return route.abort();
    });
    // The headers tab as a user leaves it (GraphiQL keeps it in localStorage).
    await context.addInitScript(`localStorage.setItem("graphiql:headers", ${JSON.stringify(JSON.stringify({ Authorization: `Bearer ${key}` }))});`);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    await page.goto(`${gw.url}/graphiql`);
    await page.locator(".graphiql-execute-button").click({ timeout: 20_000 });
    await page.locator(".result-window").getByText(user.username!, { exact: false }).waitFor({ timeout: 20_000 });
    expect(await page.locator(".result-window").innerText()).toContain(`"username": "${user.username}"`);
    expect(errors).toEqual([]);
    expect(refused).toEqual([]);
    expect(served.some((u) => u.endsWith("/graphiql/assets/graphiql.js"))).toBe(true);
    await context.close();
  });

  it("serves only its listed assets", async () => {
    expect((await fetch(`${gw.url}/graphiql/assets/graphiql.css`)).headers.get("content-type")).toMatch(/text\/css/);
    expect((await fetch(`${gw.url}/graphiql/assets/..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${gw.url}/graphiql/assets/package.json`)).status).toBe(404);
  });
});
