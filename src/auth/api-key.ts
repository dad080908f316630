import { createHash } from "node:crypto";
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
  return createHash("sha256").update(secret).digest("hex");
}

/** The key in an `Authorization: Bearer …` header, or undefined when there is none. Never the URL. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header.trim());
  return match ? match[1] : "";
}

interface KeyRecord {
  user: User;
  adminOrganizationIds: number[];
  expiresAt: Date | null;
  cachedUntil: number;
}

const MAX_CACHED_KEYS = 10_000;

/**
 * Resolves API keys to viewers. A short in-memory cache (API_KEY_CACHE_SECONDS) keeps the key lookup
 * off the hot path; expiry is still checked on every request, and a revoked or locked key takes
 * effect within the cache lifetime.
 */
export class ApiKeyAuthenticator {
  private readonly cache = new Map<string, KeyRecord>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly cacheSeconds: number,
  ) {}

  /**
   * The viewer for `key`; UNAUTHENTICATED for a missing, unknown or expired key, FORBIDDEN when
   * locked. A lookup statement counts against `store`.
   */
  async authenticate(key: string | undefined, store?: RequestStore, now = new Date()): Promise<Viewer> {
    if (!key) throw unauthenticated();
    const hash = hashApiKey(key);
    const record = this.cached(hash) ?? (await this.lookup(hash, store));
    if (!record) throw unauthenticated("The API key is not valid.");
    if (record.expiresAt && record.expiresAt.getTime() <= now.getTime()) {
      throw unauthenticated("The API key has expired.");
    }
    if (record.user.locked) throw forbidden("This user account is locked.");
    return viewerFor(record.user, record.adminOrganizationIds);
  }

  private cached(hash: string): KeyRecord | undefined {
    const hit = this.cache.get(hash);
    if (hit && hit.cachedUntil > Date.now()) return hit;
    if (hit) this.cache.delete(hash);
    return undefined;
  }

  /** The lookup statement (built once from the User mapping): the key's owner, its expiry, the organizations administered. */
  private lookupSql: string | undefined;

  /**
   * One statement: the key's owner, its expiry, and the organizations the owner administers. A read
   * like any other (a prepared statement, tried again once on a dead pooled connection).
   */
  private async lookup(hash: string, store: RequestStore | undefined): Promise<KeyRecord | undefined> {
    this.lookupSql ??= (() => {
      const columns = this.dataSource.getMetadata(User).columns.map((c) => `u."${c.databaseName}" AS "${c.propertyName}"`).join(", ");
      return `SELECT ${columns}, k."expiresAt" AS "__expiresAt",
        ARRAY(
          SELECT t."id" FROM "Team" t
          JOIN "Membership" m ON m."teamId" = t."id" AND m."userId" = u."id"
               AND m."accepted" AND m."role" IN ('ADMIN', 'OWNER')
          JOIN "OrganizationSettings" s ON s."organizationId" = t."id" AND s."isAdminAPIEnabled"
          WHERE t."isOrganization" ORDER BY t."id") AS "__adminOrgIds"
        FROM "ApiKey" k JOIN users u ON u."id" = k."userId"
        WHERE k."hashedKey" = $1`;
    })();
    const rows = await queryPrepared<Record<string, unknown>>(this.dataSource, this.lookupSql, [hash], store);
    if (rows.length === 0) return undefined;
    const { __expiresAt, __adminOrgIds, ...columns } = rows[0];
    const record: KeyRecord = {
      user: Object.assign(Object.create(User.prototype) as User, columns),
      adminOrganizationIds: __adminOrgIds as number[],
      expiresAt: __expiresAt as Date | null,
      cachedUntil: Date.now() + this.cacheSeconds * 1000,
    };
    if (this.cacheSeconds > 0) {
      if (this.cache.size >= MAX_CACHED_KEYS) this.cache.clear();
      this.cache.set(hash, record);
    }
    return record;
  }
}
