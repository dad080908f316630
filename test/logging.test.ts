import { spawnSync } from "node:child_process";
import path from "node:path";
import { createLogger } from "../src/logger";
import { createViewer } from "./support/factories";
import { createTestDatabase, dropTestDatabase, startTestGateway, type TestGateway } from "./support/harness";

/**
 * Logs on pino (src/logger.ts): the documented JSON fields, redaction of credentials, secrets and
 * bodies, child loggers, errors on stderr, LOG_FORMAT=pretty, and a request's line over HTTP.
 */
const LOGGER = path.join(__dirname, "..", "dist", "src", "logger.js");

describe("logging", () => {
  const capture = (level: Parameters<typeof createLogger>[0] = "debug") => {
    const lines: Array<Record<string, unknown>> = [];
    const raw: string[] = [];
    const logger = createLogger(level, {
      write: (line) => {
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    });
    return { logger, lines, raw };
  };

  it("writes time (ISO UTC), level by name and msg, then the fields; drops lines below LOG_LEVEL", () => {
    const { logger, lines } = capture("info");
    logger.debug("hidden");
    logger.info("hello", { answer: 42 });
    logger.warn("careful");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      level: "info",
      msg: "hello",
      answer: 42,
    });
    expect(lines[1]).toMatchObject({ level: "warn", msg: "careful" });
    expect(Object.keys(lines[1]).sort()).toEqual(["level", "msg", "time"]); // no pid, hostname or trace fields
  });

  it("never writes credentials, secrets or bodies, whatever a call passes", () => {
    const { logger, lines, raw } = capture();
    const secret = "whsec-" + "s3cr3t";
    logger.info("leaky", {
      authorization: "Bearer cal_123",
      apiKey: "cal_456",
      secret,
      token: "bk_789",
      manageToken: "bk_abc",
      body: '{"password":"x"}',
      payload: { email: "x@example.test" },
      responseBody: "raw",
      headers: { authorization: "Bearer cal_999", accept: "*/*" },
      webhook: { secret },
      kept: "visible",
    });
    expect(lines[0]).toMatchObject({
      authorization: "[redacted]",
      apiKey: "[redacted]",
      secret: "[redacted]",
      token: "[redacted]",
      manageToken: "[redacted]",
      body: "[redacted]",
      payload: "[redacted]",
      responseBody: "[redacted]",
      headers: { authorization: "[redacted]", accept: "*/*" },
      webhook: { secret: "[redacted]" },
      kept: "visible",
    });
    for (const leak of ["cal_", "bk_", secret, "password", "x@example.test", '"raw"']) expect(raw[0]).not.toContain(leak);
  });

  it("child loggers carry their bindings on every line, without repeating keys", () => {
    const { logger, lines, raw } = capture();
    const request = logger.child({ requestId: "r-1" });
    const operation = request.child({ operationName: "Mine", viewerId: 7 });
    operation.warn("inside");
    request.info("outside");
    expect(lines[0]).toMatchObject({ requestId: "r-1", operationName: "Mine", viewerId: 7, msg: "inside" });
    expect(operation.bindings()).toEqual({ requestId: "r-1", operationName: "Mine", viewerId: 7 });
    expect(lines[1]).toMatchObject({ requestId: "r-1", msg: "outside" });
    expect(lines[1].operationName).toBeUndefined();
    expect(raw[0].match(/"requestId"/g)).toHaveLength(1);
  });

  it("says which levels LOG_LEVEL lets through, for a root and a child alike; a child overrides a parent's binding", () => {
    const { logger, lines } = capture("warn");
    const child = logger.child({ requestId: "r-2", viewerId: 1 }).child({ viewerId: 2 });
    expect(["debug", "info", "warn", "error"].map((level) => logger.enabled(level as "info"))).toEqual([false, false, true, true]);
    expect(["debug", "info", "warn", "error"].map((level) => child.enabled(level as "info"))).toEqual([false, false, true, true]);
    child.error("late");
    expect(lines).toEqual([expect.objectContaining({ requestId: "r-2", viewerId: 2, msg: "late" })]);
  });

  const runLogger = (env: Record<string, string>, script: string) =>
    spawnSync(process.execPath, ["-e", `const { createLogger } = require(${JSON.stringify(LOGGER)}); ${script}`], {
      env: { ...process.env, ...env },
      encoding: "utf8",
    });

  it("writes errors to stderr and everything else to stdout", () => {
    const r = runLogger({}, `const l = createLogger("info"); l.info("to stdout"); l.error("to stderr", { code: 1 });`);
    expect(r.status).toBe(0);
    expect(
      r.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).msg),
    ).toEqual(["to stdout"]);
    expect(
      r.stderr
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).msg),
    ).toEqual(["to stderr"]);
  });

  it("LOG_FORMAT=pretty prints readable lines (pino-pretty), still redacted", () => {
    const r = runLogger({}, `createLogger("info", { format: "pretty" }).info("pretty line", { apiKey: "cal_secret", n: 5 });`);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("pretty line");
    expect(r.stdout).toContain("[redacted]");
    expect(r.stdout).not.toContain("cal_secret");
    expect(() => JSON.parse(r.stdout.trim().split("\n")[0])).toThrow();
  });

  describe("over HTTP", () => {
    let databaseName: string;
    let gw: TestGateway;
    beforeAll(async () => {
      databaseName = await createTestDatabase();
      gw = await startTestGateway({ databaseName });
    });
    afterAll(async () => {
      await gw?.close();
      await dropTestDatabase(databaseName);
    });

    it("one line per request with the request's id, operation and viewer, and no key", async () => {
      const viewer = await createViewer(gw.dataSource);
      const res = await fetch(`${gw.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${viewer.key}`, "x-request-id": "log-test-1" },
        body: JSON.stringify({ query: "query Who { me { id } }" }),
      });
      expect(res.status).toBe(200);
      const lines = gw.logLines.filter((l) => l.requestId === "log-test-1");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        msg: "graphql request",
        level: "info",
        operationName: "Who",
        operationType: "query",
        viewerId: viewer.user.id,
        status: 200,
        errorCodes: [],
      });
      expect(JSON.stringify(gw.logLines)).not.toContain(viewer.key);
    });
  });
});
