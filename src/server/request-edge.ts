import { randomUUID } from "node:crypto";
import type http from "node:http";
import type { RequestDeadline, RequestStore } from "../db/sql-counter";

/**
 * What the HTTP edge keeps per request, for the front door (front-door.ts) and Express alike: the
 * request id, the request's store (SQL statement count, deadline) and a body the front door read but
 * could not parse (Express's error handler answers it).
 */
export interface RequestLocals {
  requestId: string;
  store: RequestStore;
  bodyError?: Error & { status: number; type: string };
}

/** `res.locals` as Express keeps it; the front door sets it before Express sees the response. */
export type WithLocals = http.ServerResponse & { locals?: Record<string, unknown> };

/**
 * The request's locals, made once: the request id (the client's `X-Request-Id` when it is a sane
 * token, else a new uuid) echoed in the response header.
 */
export function requestLocals(req: http.IncomingMessage, res: WithLocals): RequestLocals {
  res.locals ??= Object.create(null) as Record<string, unknown>;
  const existing = res.locals.gateway as RequestLocals | undefined;
  if (existing) return existing;
  const incoming = req.headers["x-request-id"];
  const requestId = typeof incoming === "string" && /^[\w.:-]{1,128}$/.test(incoming) ? incoming : randomUUID();
  const locals: RequestLocals = { requestId, store: { sqlStatements: 0 } };
  res.locals.gateway = locals;
  res.setHeader("x-request-id", requestId);
  return locals;
}

/**
 * REQUEST_TIMEOUT_MS: a GraphQL request still unanswered after this long gets HTTP 504 with
 * `extensions.code = TIMEOUT`; whatever the request would still write is dropped. The deadline is
 * put in the request's store, where its transactions read it (db/transaction.ts): they never commit
 * after it. A COMMIT already in flight at the deadline is waited for instead, and the request
 * answers with its real result: a write that happened is never reported as TIMEOUT. Started once
 * per request (the front door's and Express's route share it).
 */
export function startDeadline(res: http.ServerResponse, locals: RequestLocals, ms: number): void {
  if (ms <= 0 || locals.store.deadline) return;
  const deadline: RequestDeadline = { at: Date.now() + ms, expired: false, commitsInFlight: 0 };
  locals.store.deadline = deadline;
  const expire = () => {
    if (res.headersSent) return;
    if (deadline.commitsInFlight > 0) return; // the handler answers once the COMMIT is back
    deadline.expired = true; // from now on nothing of this request commits
    const body = Buffer.from(
      JSON.stringify({
        errors: [
          { message: `The request took longer than ${ms} ms (REQUEST_TIMEOUT_MS) and was stopped.`, extensions: { code: "TIMEOUT" } },
        ],
      }),
    );
    res.statusCode = 504;
    res.setHeader("content-type", "application/json; charset=utf-8");
    res.setHeader("content-length", body.length);
    res.end(body);
    // The late answer of the real handler goes nowhere.
    res.setHeader = () => res;
    res.writeHead = () => res;
    res.write = () => true;
    res.end = () => res;
  };
  const timer = setTimeout(expire, ms);
  res.on("finish", () => clearTimeout(timer));
  res.on("close", () => clearTimeout(timer));
}

/**
 * The client's address, by the same rule as Express's `trust proxy` setting (TRUST_PROXY): with it,
 * the last X-Forwarded-For entry (the nearest proxy's, one hop); without, the socket's peer.
 */
export function clientAddress(req: http.IncomingMessage, trustProxy: boolean): string | undefined {
  const forwarded = req.headers["x-forwarded-for"];
  const last = trustProxy && typeof forwarded === "string" ? forwarded.split(",").pop()?.trim() : undefined;
  return last || req.socket.remoteAddress;
}
