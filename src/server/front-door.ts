import type http from "node:http";
import type { RequestHandler } from "express";
import { requestLocals, startDeadline, type RequestLocals, type WithLocals } from "./request-edge";
import type { ReadPathRoute } from "./read-path-route";

/**
 * The HTTP server's request listener. A `POST /graphql` with a plain JSON body and an API key is read
 * here and offered to the read path's route (read-path-route.ts) before Express sees it: on a page of
 * 50 bookings Express's router, its request and response decorations and the body parser cost as
 * much CPU as the statement. Everything else goes to Express untouched; a request the route does not
 * answer goes to Express as if its body parser had read it (`req.body`, or the parse error for the
 * error handler), with the same request id, deadline and CORS headers, and the rate-limit budget the
 * route already counted.
 */
export interface FrontDoorOptions {
  /** The Express app: everything the front door does not answer. */
  app: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  route: ReadPathRoute;
  /** The GraphQL route's CORS handler (Express's `cors`), run here for the requests answered here. */
  cors: RequestHandler;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
}

/** Media types the front door reads as Express's JSON body parser would (utf-8, no compression). */
const JSON_TYPES = new Set(["application/json", "application/json; charset=utf-8", "application/json;charset=utf-8"]);

export function frontDoor(options: FrontDoorOptions): http.RequestListener {
  const { app, route, cors, bodyLimitBytes, requestTimeoutMs } = options;
  return (req, res) => {
    const length = eligibleLength(req, bodyLimitBytes);
    if (length === undefined) return app(req, res);
    const locals = requestLocals(req, res);
    // The deadline starts before anything that could wait, as on Express's GraphQL route.
    startDeadline(res, locals, requestTimeoutMs);
    // Synchronous for a POST: sets the CORS headers and calls back.
    cors(req as Parameters<RequestHandler>[0], res as Parameters<RequestHandler>[1], () => undefined);
    readBody(req, length).then(
      async (text) => {
        const parsed = parseJsonBody(text);
        if ("error" in parsed) return handOver(req, res, locals, undefined, parsed.error);
        const outcome = await route(req, res, parsed.body, locals).catch(() => ({ answered: false as const, precounted: undefined }));
        if (!outcome.answered) handOver(req, res, locals, parsed.body, undefined, outcome.precounted);
      },
      () => res.destroy(), // the client went away mid-body: nobody to answer
    );
  };

  function handOver(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    locals: RequestLocals,
    body: unknown,
    bodyError?: RequestLocals["bodyError"],
    precounted?: unknown,
  ): void {
    if (res.headersSent) return; // answered meanwhile (the deadline)
    // Express keeps an existing `res.locals`; its body parser skips a request already read.
    (req as http.IncomingMessage & { body?: unknown }).body = body;
    locals.bodyError = bodyError;
    if (precounted) (res as WithLocals).locals!.precounted = precounted;
    app(req, res);
  }
}

/**
 * The body's length when the front door should read it: POST to exactly /graphql with an API key,
 * an `Accept` of plain JSON, a JSON body in utf-8 without content encoding, and a declared length
 * within the body limit (Node's parser then delivers exactly that many bytes). Otherwise undefined.
 */
function eligibleLength(req: http.IncomingMessage, limit: number): number | undefined {
  if (req.method !== "POST" || req.url !== "/graphql") return undefined;
  const headers = req.headers;
  if (!headers.authorization || headers["transfer-encoding"] !== undefined) return undefined;
  const accept = headers.accept;
  if (accept !== undefined && accept !== "" && accept !== "*/*" && accept !== "application/json") return undefined;
  const type = headers["content-type"];
  if (!type || !JSON_TYPES.has(type.toLowerCase())) return undefined;
  const encoding = headers["content-encoding"];
  if (encoding !== undefined && encoding.toLowerCase() !== "identity") return undefined;
  const declared = headers["content-length"];
  if (!declared || !/^\d{1,9}$/.test(declared)) return undefined;
  const length = Number(declared);
  return length > 0 && length <= limit ? length : undefined;
}

function readBody(req: http.IncomingMessage, length: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    req.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
    });
    req.on("end", () => {
      if (received !== length) return reject(new Error("body length differs from content-length"));
      const text = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received)).toString("utf8");
      resolve(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text); // a BOM, dropped as the body parser's decoder does
    });
    req.on("error", reject);
    req.on("aborted", () => reject(new Error("request aborted")));
  });
}

/**
 * A JSON body as Express's JSON body parser (strict) reads it: an object or array, else a 400 with
 * the parser's error type, which the app's error handler turns into BAD_REQUEST.
 */
function parseJsonBody(text: string): { body: unknown } | { error: NonNullable<RequestLocals["bodyError"]> } {
  if (text.length === 0) return { body: {} }; // the parser's special case (only a BOM was sent)
  const first = /^[ \t\n\r]*(.|$)/s.exec(text)?.[1]; // JSON's whitespace, then the first character
  if (first === "{" || first === "[") {
    try {
      return { body: JSON.parse(text) };
    } catch {
      // reported below
    }
  }
  return { error: Object.assign(new SyntaxError("Malformed JSON body"), { status: 400, type: "entity.parse.failed" }) };
}
