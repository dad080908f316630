import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { createEventType, createViewer } from "./support/factories";
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
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
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
    await context.addInitScript(
      `localStorage.setItem("graphiql:headers", ${JSON.stringify(JSON.stringify({ Authorization: `Bearer ${key}` }))});`,
    );
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

  it("runs a subscription over graphql-ws with the key from its headers tab", async () => {
    const { user, key } = await createViewer(gw.dataSource);
    const eventType = await createEventType(gw.dataSource, { userId: user.id, length: 30 });
    const context = await browser.newContext();
    await context.addInitScript(
      `localStorage.setItem("graphiql:headers", ${JSON.stringify(JSON.stringify({ Authorization: `Bearer ${key}` }))});` +
        `localStorage.setItem("graphiql:query", ${JSON.stringify("subscription { bookingEvents { type bookingId } }")});`,
    );
    const page = await context.newPage();
    const consoleLines: string[] = [];
    page.on("console", (m) => consoleLines.push(m.text()));
    page.on("pageerror", (e) => consoleLines.push(e.message));
    page.on("websocket", (ws) => {
      consoleLines.push(`ws ${ws.url()}`);
      ws.on("framesent", (f) => consoleLines.push(`sent ${String(f.payload).slice(0, 200)}`));
      ws.on("framereceived", (f) => consoleLines.push(`got ${String(f.payload).slice(0, 200)}`));
      ws.on("close", () => consoleLines.push("ws closed"));
    });
    await page.goto(`${gw.url}/graphiql`);
    await page.locator(".graphiql-execute-button").click({ timeout: 20_000 });
    // Booked once the subscription is open (retried: the WebSocket connects lazily).
    let bookingId: number | undefined;
    for (let i = 0; i < 40 && !(await page.locator(".result-window").innerText()).includes('"CREATED"'); i += 1) {
      if (bookingId === undefined || i % 10 === 9) {
        const start = new Date(Date.UTC(2035, 0, 1, 9) + (i + 1) * 3_600_000).toISOString();
        const made = await gw.gql(
          `mutation($in: CreateBookingInput!) { createBooking(input: $in) { id } }`,
          {
            in: { eventTypeId: eventType.id, start, timeZone: "UTC", responses: { name: "B", email: "b@example.test" } },
          },
          key,
        );
        bookingId ??= made.body.data?.createBooking.id as number | undefined;
      }
      await page.waitForTimeout(250);
    }
    const shown = await page.locator(".result-window").innerText();
    if (!shown.includes("CREATED")) console.log("GraphiQL page:", consoleLines);
    expect(shown).toContain('"type": "CREATED"');
    expect(shown).toMatch(/"bookingId": \d+/);
    await context.close();
  });

  it("serves only its listed assets", async () => {
    expect((await fetch(`${gw.url}/graphiql/assets/graphiql.css`)).headers.get("content-type")).toMatch(/text\/css/);
    expect((await fetch(`${gw.url}/graphiql/assets/..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${gw.url}/graphiql/assets/package.json`)).status).toBe(404);
  });
});
