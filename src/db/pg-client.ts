import type { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import type { Pool, PoolClient, QueryResult, QueryResultRow } from "pg";
import type { Logger } from "../logger";
import { classifyFault, faultTagOf, tagFault } from "./faults";
import { outsideTrace, rememberStatement, sqlComment } from "../tracing";
import { pg } from "./utc";

/**
 * The node-postgres client and pool the gateway runs on, designed for failure rather than patched
 * per error:
 * - every client has an `error` listener from the moment it exists (pg-pool removes its own while
 *   handing a client out and TypeORM adds one later; an error in between used to crash the
 *   process): the error is logged, and the dead client is discarded by the pool when released;
 * - TCP keepalive on every connection, and a client-side deadline on every statement (the
 *   statement timeout plus a margin, or the request's deadline inside its transaction): past it
 *   the connection is abandoned (socket destroyed), so a silent network never holds a connection
 *   forever; Postgres rolls back whatever that connection had open;
 * - every failure is tagged with where it happened (waiting for the pool, connecting, running a
 *   statement) for faults.ts to classify;
 * - named prepared statements are bounded per connection (least recently used are deallocated), and
 *   one whose cached plan a schema change invalidated (`0A000`) is prepared again transparently.
 */

/** Named prepared statements one connection keeps at most (each costs the backend ~100 KB or more). */
export const MAX_PREPARED_PER_CONNECTION = 100;
/** How much longer than the statement timeout a statement may take before the client gives up on its connection. */
export const CLIENT_DEADLINE_MARGIN_MS = 2_000;

/** Gateway settings carried in the pool options (pg-pool hands its options to every client it makes). */
export interface GatewayClientOptions {
  /** Client-side deadline of one statement, ms (0: none). */
  queryDeadlineMs: number;
  /** Where connection errors are reported (a client that errors is discarded after). */
  logger?: Logger;
}

type Callback = (err: Error | null, result?: unknown) => void;

/** What the gateway uses of node-postgres' Client beyond its typed surface. */
interface RawClient extends EventEmitter {
  query(config: unknown, values?: unknown, callback?: unknown): unknown;
  connect(callback?: (err?: Error) => void): Promise<void> | void;
  end(): Promise<void>;
  connection: { stream: Socket; parsedStatements: Record<string, string>; submittedNamedStatements: Record<string, string> };
  _queryable: boolean;
  _ending: boolean;
  _ended?: boolean;
}
const RawClientBase = pg.Client as unknown as new (config: object) => RawClient;

/** A pg Client with the gateway's failure handling (see the module comment). */
export class GatewayClient extends RawClientBase {
  /** Connections not yet ended, of every pool (for the prepared-statement gauge). */
  static readonly live = new Set<GatewayClient>();
  /** The most named prepared statements any live connection holds now. */
  static maxPrepared(): number {
    let max = 0;
    for (const client of GatewayClient.live) max = Math.max(max, client.prepared.size);
    return max;
  }
  /** Absolute time (ms) every statement must also finish by: the request's deadline while its transaction holds this connection. */
  boundDeadline: number | undefined;
  /** Named prepared statements on this connection, least recently used first. */
  readonly prepared = new Map<string, true>();
  private readonly gateway: GatewayClientOptions;
  private abandoned = false;

  constructor(config: { gateway?: GatewayClientOptions } & Record<string, unknown> = {}) {
    super(config);
    this.gateway = config.gateway ?? { queryDeadlineMs: 0 };
    GatewayClient.live.add(this);
    this.once("end", () => GatewayClient.live.delete(this));
    this.on("error", (err: Error) => {
      GatewayClient.live.delete(this);
      this.gateway.logger?.warn("database connection failed; it is discarded", {
        error: err.message,
        code: (err as { code?: string }).code,
        abandoned: this.abandoned || undefined,
      });
    });
  }

  /** False once the connection died (it is then never used again). */
  get alive(): boolean {
    return this._queryable && !this._ending && !this._ended;
  }

  override connect(callback?: (err?: Error) => void): Promise<void> | void {
    const tag = (err: Error) => tagFault(err, { phase: "connect", connectionLost: true, deadline: false, prepared: false });
    if (callback) return super.connect((err?: Error) => callback(err ? tag(err) : err));
    return (super.connect() as Promise<void>).catch((err: Error) => {
      throw tag(err);
    });
  }

  override query(config: unknown, values?: unknown, callback?: unknown): unknown {
    if (config && typeof (config as { submit?: unknown }).submit === "function") return super.query(config, values, callback);
    const done = (typeof values === "function" ? values : callback) as Callback | undefined;
    let params = typeof values === "function" ? undefined : values;
    const prepared = typeof (config as { name?: unknown })?.name === "string";
    // In a sampled trace the statement names its trace (sqlcommenter): see commented().
    const comment = sqlComment();
    let prepare: PrepareFirst | undefined;
    if (comment) ({ config, values: params, prepare } = this.commented(config, params, comment));
    const now = Date.now();
    let deadline = this.gateway.queryDeadlineMs > 0 ? now + this.gateway.queryDeadlineMs : Infinity;
    if (this.boundDeadline !== undefined) deadline = Math.min(deadline, this.boundDeadline);
    let fired = false;
    const timer =
      deadline === Infinity
        ? undefined
        : setTimeout(
            () => {
              fired = true;
              this.abandon();
            },
            Math.max(0, deadline - now),
          );
    const settle = (err: Error | null, result: unknown, next: Callback) => {
      if (timer) clearTimeout(timer);
      if (err) tagFault(err, { phase: "query", connectionLost: !this.alive, deadline: fired, prepared });
      next(err, result);
    };
    const send = (next: Callback) => {
      // The PREPARE is queued right before its EXECUTE (node-postgres runs a connection's statements
      // in order), so the statement's span covers both; its failure is the one reported.
      let prepareFailure: Error | null = null;
      if (prepare) this.prepareNamed(prepare, (err) => (prepareFailure = err));
      super.query(config, params, (err: Error | null, result: unknown) => settle(prepareFailure ?? err, result, next));
    };
    if (done) {
      send(done);
      return undefined;
    }
    return new Promise((resolve, reject) => send((e, r) => (e ? reject(e) : resolve(r))));
  }

  /**
   * A statement of a sampled trace with the trace's comment (`/*traceparent='…'*\/`, sqlcommenter
   * style, so pg_stat_activity and the server log show which request runs what). A comment makes
   * every text unique, and a unique text sent as itself is parsed and planned by Postgres each time
   * (on the read path's statements of kilobytes, that was most of what a recorded trace cost). So a
   * named statement keeps its prepared plan: it is sent as `EXECUTE "name"('v1', …) /*…*\/`, its
   * values written as literals (escaped as node-postgres escapes them; spans show the statement's own
   * text instead, tracing.ts), after a `PREPARE` of the same name and text when this connection does
   * not hold it yet; protocol-level and SQL-level prepared statements share one namespace, so later
   * runs outside a trace find it too. A statement with no name, or with a binary value, is sent
   * unnamed with the comment appended.
   */
  private commented(config: unknown, values: unknown, comment: string): { config: unknown; values: unknown; prepare?: PrepareFirst } {
    const named = config as { name?: unknown; text?: unknown; values?: unknown };
    const list = Array.isArray(values) ? values : Array.isArray(named?.values) ? named.values : [];
    if (typeof named?.name === "string" && typeof named.text === "string") {
      const literals = executeArguments(list);
      if (literals !== undefined) {
        const { name, text, values: _values, ...rest } = named as { name: string; text: string; values?: unknown };
        const held = this.connection.parsedStatements[name] ?? this.connection.submittedNamedStatements[name];
        rememberStatement(name, text);
        return {
          config: { ...rest, text: `EXECUTE "${name}"${literals} ${comment}` },
          values: undefined,
          prepare: held === text ? undefined : { name, text },
        };
      }
    }
    return { config: withComment(config, comment), values };
  }

  /**
   * Queues a PREPARE of `statement` on this connection, outside the trace (no span of its own, no
   * comment: the text stays the one every trace shares), recorded with node-postgres as if it had
   * parsed it, so the statement's own named runs do not parse it again.
   */
  private prepareNamed(statement: PrepareFirst, next: (err: Error | null) => void): void {
    const { parsedStatements, submittedNamedStatements } = this.connection;
    if (parsedStatements[statement.name] !== undefined) {
      // Prepared under another text (it cannot be: names are hashes of texts); refuse as node-postgres would.
      next(new Error(`Prepared statements must be unique - '${statement.name}' was used for a different statement`));
      return;
    }
    submittedNamedStatements[statement.name] = statement.text;
    outsideTrace(() =>
      super.query(`PREPARE "${statement.name}" AS ${statement.text}`, undefined, (err: Error | null) => {
        delete submittedNamedStatements[statement.name];
        if (!err) parsedStatements[statement.name] = statement.text;
        next(err);
      }),
    );
  }

  /** Gives up on this connection: the socket is destroyed, pending statements fail, the pool drops it. */
  abandon(): void {
    this.abandoned = true;
    this.connection.stream.destroy();
  }

  /** Drops a named prepared statement from this connection (server and driver). */
  async deallocate(name: string): Promise<void> {
    this.prepared.delete(name);
    const parsed = this.connection.parsedStatements;
    if (parsed[name] === undefined) return;
    delete parsed[name];
    await this.query(`DEALLOCATE "${name}"`);
  }
}

/** A named statement to PREPARE before its traced EXECUTE. */
interface PrepareFirst {
  name: string;
  text: string;
}

/** node-postgres's own conversion of a bound value to its text (not in its type declarations). */
const pgUtils = (pg as unknown as { utils: { prepareValue(value: unknown): string | Buffer | null } }).utils;

/**
 * `values` as the argument list of an EXECUTE (`('1', NULL, E'a\\b')`): each converted as node-postgres
 * converts a bound value (dates, arrays, JSON) and escaped as a literal, which Postgres coerces to the
 * statement's parameter type as it would the bound text. Undefined when a value is binary.
 */
export function executeArguments(values: readonly unknown[]): string | undefined {
  if (values.length === 0) return "";
  const literals: string[] = [];
  for (const value of values) {
    const text = pgUtils.prepareValue(value);
    if (text === null) literals.push("NULL");
    else if (typeof text === "string") literals.push(pg.escapeLiteral(text));
    else return undefined;
  }
  return `(${literals.join(", ")})`;
}

/** A statement (text or query config) with `comment` appended, unnamed (a comment per trace must not become a prepared statement per trace). */
function withComment(config: unknown, comment: string): unknown {
  if (typeof config === "string") return `${config} ${comment}`;
  if (config && typeof (config as { text?: unknown }).text === "string") {
    const { name: _name, ...rest } = config as { name?: string; text: string };
    return { ...rest, text: `${rest.text} ${comment}` };
  }
  return config;
}

/** The pool's own errors (an idle client failing) are logged; pg-pool has already dropped the client. */
interface RawPool extends EventEmitter {
  connect(
    callback?: (err: Error | undefined, client?: PoolClient, release?: (err?: Error | boolean) => void) => void,
  ): Promise<PoolClient> | void;
  ending: boolean;
}
const RawPoolBase = pg.Pool as unknown as new (options: object) => RawPool;

/**
 * A pg Pool of GatewayClients. A failure to hand out a connection is tagged: waiting longer than
 * `connectionTimeoutMillis` (DB_POOL_WAIT_MS) for a busy pool is `acquire` (OVERLOADED); a client
 * that could not connect was tagged `connect` by the client itself.
 */
export class GatewayPool extends RawPoolBase {
  constructor(options: { gateway?: GatewayClientOptions } & Record<string, unknown>) {
    super({ ...options, Client: GatewayClient });
    this.on("error", (err: Error) =>
      options.gateway?.logger?.warn("idle database connection failed; it is discarded", { error: err.message }),
    );
  }

  override connect(callback?: (err: Error | undefined, client?: PoolClient, release?: (err?: Error | boolean) => void) => void) {
    const tag = (err: Error) =>
      faultTagOf(err)
        ? err
        : tagFault(err, { phase: this.ending ? "connect" : "acquire", connectionLost: false, deadline: false, prepared: false });
    if (callback) return super.connect((err, client, release) => callback(err ? tag(err) : err, client, release));
    return (super.connect() as Promise<PoolClient>).catch((err: Error) => {
      throw tag(err);
    });
  }
}

/** node-postgres as TypeORM's driver, with the gateway's pool (UTC type parsing from utc.ts). */
export const gatewayPg = Object.create(pg, { Pool: { value: GatewayPool } }) as typeof pg;

/**
 * Runs a named prepared statement on `client`, keeping at most MAX_PREPARED_PER_CONNECTION per
 * connection (the least recently used is deallocated first), and preparing it again once when a
 * schema change invalidated its cached plan (`0A000`, "cached plan must not change result type").
 */
export async function runPrepared<R extends QueryResultRow>(
  client: GatewayClient,
  name: string,
  text: string,
  values: unknown[],
): Promise<QueryResult<R>> {
  if (client.prepared.has(name)) {
    client.prepared.delete(name); // most recently used last
  } else {
    while (client.prepared.size >= MAX_PREPARED_PER_CONNECTION) {
      await client.deallocate(client.prepared.keys().next().value as string);
    }
  }
  client.prepared.set(name, true);
  try {
    return (await client.query({ name, text, values })) as QueryResult<R>;
  } catch (err) {
    if (classifyFault(err) !== "stale-plan" || !client.alive) throw err;
    await client.deallocate(name);
    client.prepared.set(name, true);
    return (await client.query({ name, text, values })) as QueryResult<R>;
  }
}

/** True for a read worth one more try: its pooled connection was dead, or a serializable database refused it. */
function retryableRead(err: unknown): boolean {
  const tag = faultTagOf(err);
  const fault = classifyFault(err);
  if (fault === "contention") return true;
  return fault === "unavailable" && tag?.phase === "query" && !tag.deadline;
}

/**
 * Runs a read-only statement as a named prepared statement on a connection of `pool`. A read that
 * failed because its pooled connection was already dead (or, on a SERIALIZABLE database, with a
 * serialization failure) is tried once more on another connection; a dead connection is released
 * with its error, so the pool discards it.
 */
export async function readPrepared<R extends QueryResultRow>(pool: Pool, name: string, text: string, values: unknown[]): Promise<R[]> {
  for (let attempt = 1; ; attempt += 1) {
    const client = (await pool.connect()) as unknown as GatewayClient & PoolClient;
    let failure: Error | undefined;
    try {
      return (await runPrepared<R>(client, name, text, values)).rows;
    } catch (err) {
      // A connection that failed (even one whose socket has not closed yet: FATAL 57P01 arrives
      // first) is released with its error, so the pool never hands it out again.
      if (!client.alive || classifyFault(err) === "unavailable") failure = err as Error;
      if (attempt === 1 && retryableRead(err)) continue;
      throw err;
    } finally {
      client.release(failure);
    }
  }
}
