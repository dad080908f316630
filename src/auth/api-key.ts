import crypto from "node:crypto";
import type { LRUCache } from "lru-cache";
import { ttlCache } from "../cached";
import type { DataSource } from "typeorm";
import { queryPrepared } from "../db/rows";
import type { RequestStore } from "../db/sql-counter";
import { forbidden, unauthenticated } from "../domain/errors";
import { User } from "../entities";
import { viewerFor, type Viewer } from "./viewer";

/** Cal.com's key prefix; only what follows it is hashed. */
export const API_KEY_PREFIX = "cal_";

/** `sha256_hex(key without "cal_")`: the value Cal.com stores in `"ApiKey"."hashedKey"`. */
export function hashApiKey(key: string): string {
  const secret = key.startsWith(API_KEY_PREFIX) ? key.slice(API_KEY_PREFIX.length) : key;
  return sha256Hex(secret);
}

/**
 * SHA-256 as hex: Node's one-shot `crypto.hash` (20.12 and later), which makes no Hash object
 * (creating one was most of the cost of a cached key's check on every request), else createHash.
 */
const sha256Hex: (text: string) => string =
  typeof crypto.hash === "function"
    ? (text) => crypto.hash("sha256", text, "hex")
    : (text) => crypto.createHash("sha256").update(text).digest("hex");

/** The key in an `Authorization: Bearer …` header, or undefined when there is none. Never the URL. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header.trim());
  return match ? match[1] : "";
}

interface KeyRecord {
  user: User;
  expiresAt: Date | null;
  /** The key's viewer, made once per lookup and shared by the requests that use the key (frozen). */
  viewer: Viewer;
}

/**
 * The organizations user `u` administers (accepted ADMIN/OWNER of an organization with the admin
 * API enabled), as an SQL array expression: what widens a viewer's scope, however it authenticated.
 */
export const ADMIN_ORGANIZATION_IDS = `ARRAY(
  SELECT t."id" FROM "Team" t
  JOIN "Membership" m ON m."teamId" = t."id" AND m."userId" = u."id"
       AND m."accepted" AND m."role" IN ('ADMIN', 'OWNER')
  JOIN "OrganizationSettings" s ON s."organizationId" = t."id" AND s."isAdminAPIEnabled"
  WHERE t."isOrganization" ORDER BY t."id")`;

/** Keys whose lookups are remembered, found and not found (least recently used dropped first). */
const MAX_CACHED_KEYS = 10_000;
/** How long a failed lookup is remembered: a flood of made-up keys costs one lookup each per this long, ms. */
export const FAILED_LOOKUP_CACHE_MS = 5_000;

/**
 * Resolves API keys to viewers. A short in-memory cache (API_KEY_CACHE_SECONDS) keeps the key lookup
 * off the hot path; expiry is still checked on every request, and a revoked or locked key takes
 * effect within the cache lifetime. Keys that were not found are remembered for
 * FAILED_LOOKUP_CACHE_MS, so repeating a made-up key costs no statement.
 *
 * A key in use is looked up again in the background once its record has lived half the lifetime
 * (one statement at a time per key, counted against no request): under steady traffic its record
 * never runs out, so its requests are never handed to the slower path of an unverified key (the read
 * path's route takes only cached keys or ones being looked up; at 48 requests a second on a slow
 * page, each expiry sent several to Apollo). A record is still never older than the lifetime, so the
 * bound on revoking or locking holds; a refresh that finds the key gone drops it at once, and one
 * that fails leaves the record to run out as before. `running` holds one entry per key being looked
 * up, removed when its statement ends (bounded by the pool's wait and the statement deadline,
 * db/pg-client.ts).
 */
export class ApiKeyAuthenticator {
  private readonly cache: LRUCache<string, KeyRecord> | undefined;
  private readonly unknown = ttlCache<string, true>(MAX_CACHED_KEYS, FAILED_LOOKUP_CACHE_MS);
  /** Lookups running, by hash (background refreshes among them): requests for a key at once share one. */
  private readonly running = new Map<string, Promise<KeyRecord | undefined>>();

  constructor(
    private readonly dataSource: DataSource,
    cacheSeconds: number,
  ) {
    this.cache = cacheSeconds > 0 ? ttlCache<string, KeyRecord>(MAX_CACHED_KEYS, cacheSeconds * 1000) : undefined;
  }

  /** True when `key`'s answer is known without a statement (found or not found, still cached). */
  isCached(key: string): boolean {
    const hash = hashApiKey(key);
    return Boolean(this.cache?.has(hash) || this.unknown.has(hash));
  }

  /**
   * The viewer for `key` when its lookup is cached as found and the key is still valid: no statement,
   * one hash; or, when not cached but a lookup of it is running (a request that passed the gate
   * started it), that lookup's answer: a burst of requests after an idle spell waits for one lookup
   * instead of each taking the unverified key's path. Undefined otherwise (not cached, unknown,
   * expired, locked): `authenticate` says why.
   */
  async knownViewer(key: string): Promise<Viewer | undefined> {
    const hash = hashApiKey(key);
    let record = this.cached(hash);
    if (!record) {
      const running = this.running.get(hash);
      if (!running) return undefined;
      record = await running.catch(() => undefined);
    }
    if (!record || record.user.locked || (record.expiresAt && record.expiresAt.getTime() <= Date.now())) return undefined;
    return record.viewer;
  }

  /**
   * The viewer for `key`; UNAUTHENTICATED for a missing, unknown or expired key, FORBIDDEN when
   * locked. A lookup statement counts against `store`.
   */
  async authenticate(key: string | undefined, store?: RequestStore, now = new Date()): Promise<Viewer> {
    if (!key) throw unauthenticated();
    const hash = hashApiKey(key);
    const record = this.unknown.has(hash) ? undefined : (this.cached(hash) ?? (await this.lookup(hash, store)));
    if (!record) throw unauthenticated("The API key is not valid.");
    if (record.expiresAt && record.expiresAt.getTime() <= now.getTime()) {
      throw Object.assign(unauthenticated("The API key has expired."), { keyExpired: true });
    }
    if (record.user.locked) throw forbidden("This user account is locked.");
    return record.viewer;
  }

  /** The cached record of `hash`, with a background lookup started once it has lived half the lifetime. */
  private cached(hash: string): KeyRecord | undefined {
    const cache = this.cache;
    if (!cache) return undefined;
    const record = cache.get(hash);
    if (record && !this.running.has(hash) && cache.getRemainingTTL(hash) < cache.ttl / 2) {
      // A failure is the next lookup's to report, once the record has run out.
      this.lookup(hash, undefined).catch(() => undefined);
    }
    return record;
  }

  /** The lookup statement (built once from the User mapping): the key's owner, its expiry, the organizations administered. */
  private lookupSql: string | undefined;

  /** The lookup of `hash`: the one running, else a new one (its statement counted against `store`). */
  private lookup(hash: string, store: RequestStore | undefined): Promise<KeyRecord | undefined> {
    const running = this.running.get(hash);
    if (running) return running;
    const started = this.runLookup(hash, store).finally(() => this.running.delete(hash));
    this.running.set(hash, started);
    return started;
  }

  /**
   * One statement: the key's owner, its expiry, and the organizations the owner administers. A read
   * like any other (a prepared statement, tried again once on a dead pooled connection).
   */
  private async runLookup(hash: string, store: RequestStore | undefined): Promise<KeyRecord | undefined> {
    this.lookupSql ??= (() => {
      const columns = this.dataSource
        .getMetadata(User)
        .columns.map((c) => `u."${c.databaseName}" AS "${c.propertyName}"`)
        .join(", ");
      return `SELECT ${columns}, k."expiresAt" AS "__expiresAt", ${ADMIN_ORGANIZATION_IDS} AS "__adminOrgIds"
        FROM "ApiKey" k JOIN users u ON u."id" = k."userId"
        WHERE k."hashedKey" = $1`;
    })();
    const rows = await queryPrepared<Record<string, unknown>>(this.dataSource, this.lookupSql, [hash], store);
    if (rows.length === 0) {
      this.cache?.delete(hash); // revoked since it was cached
      this.unknown.set(hash, true);
      return undefined;
    }
    const { __expiresAt, __adminOrgIds, ...columns } = rows[0];
    const user = Object.assign(Object.create(User.prototype) as User, columns);
    const record: KeyRecord = {
      user,
      expiresAt: __expiresAt as Date | null,
      viewer: Object.freeze(viewerFor(user, __adminOrgIds as number[])),
    };
    this.cache?.set(hash, record);
    return record;
  }
}
