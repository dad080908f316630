import { existsSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { chromium, type Browser } from "playwright-core";
import { createEventType, createViewer } from "./support/factories";
import { startTestGateway, type TestGateway } from "./support/harness";

/**
 * Real browser code against the gateway: a tiny static page served from another origin books an
 * event type publicly (no credential), then cancels the booking with its token, in Debian's
 * chromium driven by playwright-core. Proves CORS (preflight, exposed RateLimit-* and
 * X-Request-Id headers) works for fetch() as browsers really send it. playwright-core launches
 * with a fresh temporary profile of its own. Skipped with a notice on a
 * machine without chromium (`.ci/run` installs it).
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const available = existsSync(CHROMIUM);
if (!available) console.warn(`[browser.test] ${CHROMIUM} not found: the headless-browser test is skipped (apt-get install chromium).`);

const PAGE = (gateway: string, eventTypeId: number) => `<!doctype html>
<html><body><script>
const GATEWAY = ${JSON.stringify(gateway)};
async function gql(query, variables, token) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = "Bearer " + token;
  const res = await fetch(GATEWAY + "/graphql", { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  const body = await res.json();
  return { status: res.status, body, remaining: res.headers.get("ratelimit-remaining"), requestId: res.headers.get("x-request-id") };
}
(async () => {
  try {
    const from = "2034-05-01T00:00:00Z", to = "2034-05-02T00:00:00Z";
    const slots = await gql("query($id: Int!, $from: DateTime!, $to: DateTime!) { slots(eventTypeId: $id, from: $from, to: $to, timeZone: \\"UTC\\") { slots { start } } }", { id: ${eventTypeId}, from, to });
    const start = slots.body.data.slots[0].slots[0].start;
    const made = await gql("mutation($in: CreateBookingInput!) { createBooking(input: $in) { id status manageToken } }",
      { in: { eventTypeId: ${eventTypeId}, start, timeZone: "Europe/Berlin", responses: { name: "Browser Booker", email: "browser@example.org" } } });
    const b = made.body.data.createBooking;
    const cancelled = await gql("mutation($id: Int!) { cancelBooking(id: $id, cancellationReason: \\"from the browser\\") { status cancelledBy } }", { id: b.id }, b.manageToken);
    const me = await gql("{ me { id } }", {}, b.manageToken);
    window.__result = { start, made: { status: b.status, hasToken: b.manageToken.startsWith("bk_") }, cancelled: cancelled.body.data,
      remaining: made.remaining, requestId: made.requestId, meCode: me.body.errors && me.body.errors[0].extensions.code, origin: location.origin };
  } catch (err) {
    window.__result = { error: String(err && err.stack || err) };
  }
})();
</script></body></html>`;

(available ? describe : describe.skip)("a browser page on another origin", () => {
  let gw: TestGateway;
  let site: http.Server;
  let browser: Browser;

  beforeAll(async () => {
    gw = await startTestGateway({ env: { PUBLIC_BOOKING: "true", PUBLIC_RATE_LIMIT_PER_MINUTE: "100" } });
    const { user } = await createViewer(gw.dataSource);
    const et = await createEventType(gw.dataSource, { userId: user.id, length: 30 });
    site = http.createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end(PAGE(gw.url, et.id)));
    await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
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
    site?.close();
    await gw?.close();
  });

  it("books publicly, gets a booking token, cancels with it, and reads the exposed headers", async () => {
    // The page is served as http://localhost:PORT; the gateway is http://127.0.0.1:PORT: another origin.
    const pageUrl = `http://localhost:${(site.address() as AddressInfo).port}/`;
    const page = await browser.newPage();
    // Nothing leaves this machine.
    await page.route("**/*", (route) =>
      /^https?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(route.request().url()) ? route.continue() : route.abort(),
    );
    await page.goto(pageUrl);
    // (Run in the page: `globalThis` is its window.)
    await page.waitForFunction(() => (globalThis as unknown as { __result?: unknown }).__result !== undefined, undefined, {
      timeout: 20_000,
    });
    const result = await page.evaluate(() => (globalThis as unknown as { __result: Record<string, unknown> }).__result);
    expect(result).toEqual({
      start: expect.stringMatching(/^2034-05-01T/),
      made: { status: "ACCEPTED", hasToken: true },
      cancelled: { cancelBooking: { status: "CANCELLED", cancelledBy: "browser@example.org" } },
      remaining: expect.stringMatching(/^\d+$/),
      requestId: expect.stringMatching(/\S/),
      meCode: "FORBIDDEN",
      origin: expect.stringMatching(/^http:\/\/localhost:/),
    });
    await page.close();
  });
});
