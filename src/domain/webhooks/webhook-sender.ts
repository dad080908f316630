import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import { BlockedAddressError, guardedLookup, isBlockedAddress } from "./webhook-address";

/**
 * One webhook request: `POST` with the given body and headers, no redirects (a 3xx is an answer
 * like any other non-2xx), one deadline from connect to the last byte, the answer's body read and
 * dropped (at most 64 KiB is read; its content is never stored or logged).
 */

export interface SendOptions {
  timeoutMs: number;
  blockPrivateAddresses: boolean;
}

export type SendResult =
  | { ok: true; statusCode: number; durationMs: number }
  | { ok: false; statusCode: number | null; error: string; blocked: boolean; durationMs: number };

const MAX_ANSWER_BYTES = 64 * 1024;

export function sendWebhook(url: string, body: string, headers: Record<string, string>, options: SendOptions): Promise<SendResult> {
  const started = performance.now();
  const took = () => Math.round(performance.now() - started);
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.resolve({ ok: false, statusCode: null, error: "subscriberUrl is not a URL", blocked: false, durationMs: 0 });
  }
  if (target.protocol !== "http:" && target.protocol !== "https:") {
    return Promise.resolve({
      ok: false,
      statusCode: null,
      error: `subscriberUrl scheme ${target.protocol} is not http(s)`,
      blocked: false,
      durationMs: 0,
    });
  }
  const host = target.hostname.replace(/^\[|\]$/g, "");
  if (options.blockPrivateAddresses && isIP(host) && isBlockedAddress(host)) {
    // An address literal is never looked up, so it is checked here.
    return Promise.resolve({
      ok: false,
      statusCode: null,
      error: new BlockedAddressError(host, host).message,
      blocked: true,
      durationMs: 0,
    });
  }
  const client = target.protocol === "https:" ? https : http;
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const finish = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const req = client.request(
      target,
      {
        method: "POST",
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)), "user-agent": "calcom-graphql-gateway-webhooks" },
        agent: false, // a fresh connection per attempt: every connection goes through the address check
        ...(options.blockPrivateAddresses ? { lookup: guardedLookup as never } : {}),
      },
      (res) => {
        let read = 0;
        res.on("data", (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_ANSWER_BYTES) res.destroy();
        });
        const done = () => {
          const statusCode = res.statusCode ?? 0;
          if (statusCode >= 200 && statusCode < 300) finish({ ok: true, statusCode, durationMs: took() });
          else finish({ ok: false, statusCode, error: `HTTP ${statusCode}`, blocked: false, durationMs: took() });
        };
        res.on("end", done);
        res.on("close", done);
        res.on("error", done);
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish({
        ok: false,
        statusCode: null,
        error: `no answer within ${options.timeoutMs} ms (WEBHOOK_TIMEOUT_MS)`,
        blocked: false,
        durationMs: took(),
      });
    }, options.timeoutMs);
    req.on("error", (err: Error & { code?: string }) => {
      const blocked = err instanceof BlockedAddressError || err.code === "EBLOCKEDADDRESS";
      finish({
        ok: false,
        statusCode: null,
        error: blocked ? err.message : `${err.code ?? "error"}: ${err.message}`,
        blocked,
        durationMs: took(),
      });
    });
    req.end(body);
  });
}
