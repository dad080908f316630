import pino from "pino";
import type { LogFormat, LogLevel } from "./config";
import { activeTrace } from "./tracing";

/**
 * The gateway's logger: pino, writing one JSON object per line (`time` as ISO 8601 UTC, `level` by
 * name, `msg`, then the fields) on stdout, errors on stderr. Modules take this interface, not pino's,
 * so the call shape stays `logger.info(message, fields)`.
 */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger whose every line also carries `bindings` (a request's id, operation, viewer). */
  child(bindings: Record<string, unknown>): Logger;
  /** The fields this logger adds to every line (its own and its parents'). */
  bindings(): Record<string, unknown>;
  /** True when a line of `level` would be written (LOG_LEVEL lets it through): skip building one otherwise. */
  enabled(level: "debug" | "info" | "warn" | "error"): boolean;
}

/**
 * Never logged, whatever a call passes: credentials (`authorization`, `apiKey`, tokens), webhook
 * secrets, and bodies (requests, webhook payloads, responses). Paths are pino's (fast-redact): a
 * field at the top of a line or one level down.
 */
export const REDACTED_PATHS = [
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "apiKey",
  "*.apiKey",
  "token",
  "*.token",
  "manageToken",
  "*.manageToken",
  "secret",
  "*.secret",
  "webhookSecret",
  "*.webhookSecret",
  "body",
  "*.body",
  "payload",
  "*.payload",
  "responseBody",
  "*.responseBody",
];

export interface LoggerOptions {
  /** LOG_FORMAT: `json` (default) or `pretty` (pino-pretty, a dev dependency, for reading by eye). */
  format?: LogFormat;
  /** Where lines go instead of stdout/stderr (tests): each call gets one JSON line, without its newline. */
  write?: (line: string) => void;
}

/** The root logger for LOG_LEVEL. */
export function createLogger(level: LogLevel, options: LoggerOptions = {}): Logger {
  const config: pino.LoggerOptions = {
    level,
    base: undefined, // no pid / hostname: the documented fields only
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    // The active trace (OpenTelemetry; tracing on) on every line written inside it.
    mixin: traceFields,
  };
  let destination: pino.DestinationStream;
  if (options.write) {
    const write = options.write;
    destination = { write: (line: string) => write(line.endsWith("\n") ? line.slice(0, -1) : line) };
  } else if (options.format === "pretty") {
    destination = prettyDestination();
  } else {
    destination = pino.multistream(
      [
        { level: "debug", stream: process.stdout },
        { level: "error", stream: process.stderr },
      ],
      { dedupe: true },
    );
  }
  return new PinoLogger(pino(config, destination));
}

/**
 * `traceId` and `spanId` of the trace the line is written in: the active span's, or the unrecorded
 * trace of a request not sampled at the door (tracing.ts); none when tracing is off.
 */
function traceFields(): Record<string, string> {
  const context = activeTrace();
  return context ? { traceId: context.traceId, spanId: context.spanId } : {};
}

/** pino-pretty on stdout, synchronously (dev dependency: a clear message when it is not installed). */
function prettyDestination(): pino.DestinationStream {
  let pretty: (options: Record<string, unknown>) => pino.DestinationStream;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional dev dependency, loaded only when asked for
    pretty = require("pino-pretty") as typeof pretty;
  } catch {
    throw new Error("LOG_FORMAT=pretty needs the dev dependency pino-pretty: run `npm install` (without --omit=dev).");
  }
  return pretty({ colorize: process.stdout.isTTY === true, translateTime: "SYS:standard", sync: true, destination: 1 });
}

/**
 * The Logger over pino. A child is pino's child of the root with all its bindings merged, both made
 * on its first line: a request's logger and its per-operation child cost one pino child (pino
 * serializes bindings when it makes one), and one that never writes a line (or only lines below
 * LOG_LEVEL) costs neither the pino child nor the merge.
 */
class PinoLogger implements Logger {
  private made: pino.Logger | undefined;
  private merged: Record<string, unknown> | undefined;

  /** `own` bindings over the parent's: merged only when a line is written or they are asked for. */
  constructor(
    private readonly root: pino.Logger,
    private readonly parent?: PinoLogger,
    private readonly own?: Record<string, unknown>,
  ) {}

  private get pino(): pino.Logger {
    if (this.made) return this.made;
    const bound = this.bindings();
    return (this.made = Object.keys(bound).length ? this.root.child(bound) : this.root);
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.write("debug", msg, fields);
  }

  info(msg: string, fields?: Record<string, unknown>): void {
    this.write("info", msg, fields);
  }

  warn(msg: string, fields?: Record<string, unknown>): void {
    this.write("warn", msg, fields);
  }

  error(msg: string, fields?: Record<string, unknown>): void {
    this.write("error", msg, fields);
  }

  enabled(level: "debug" | "info" | "warn" | "error"): boolean {
    return this.root.isLevelEnabled(level);
  }

  private write(level: "debug" | "info" | "warn" | "error", msg: string, fields: Record<string, unknown> | undefined): void {
    // Below LOG_LEVEL: no line, so no pino child either (making one serializes the bindings).
    if (!this.enabled(level)) return;
    if (fields) this.pino[level](fields, msg);
    else this.pino[level](msg);
  }

  child(bindings: Record<string, unknown>): Logger {
    return new PinoLogger(this.root, this, bindings);
  }

  bindings(): Record<string, unknown> {
    return (this.merged ??= this.parent ? { ...this.parent.bindings(), ...this.own } : { ...this.own });
  }
}
