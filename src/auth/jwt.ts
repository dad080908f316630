import type * as Jose from "jose";
import type { LRUCache } from "lru-cache";
import { ttlCache } from "../cached";
import type { DataSource } from "typeorm";
import type { BrowserConfig } from "../config";
import type { RequestStore } from "../db/sql-counter";
import { forbidden, unauthenticated } from "../domain/errors";
import type { User } from "../entities";
import { loadUserRecord } from "./user-viewer";
import { viewerFor, type Viewer } from "./viewer";

/**
 * JWT sessions (contract "Browser access"): a JWT minted by the app's backend, verified with `jose`
 * against JWT_SECRET (HS256, its UTF-8 bytes) or the keys at JWT_JWKS_URL (RS256 / ES256; fetched
 * with a 5 s timeout, cached, fetched again when a token names an unknown `kid`). `exp` is required;
 * `nbf`, `exp` and a future `iat` are judged with JWT_CLOCK_TOLERANCE_S; `iss` / `aud` when set.
 * `alg: none` and any algorithm not configured are refused. The viewer is the user whose id is the
 * JWT_USER_ID_CLAIM claim (default `sub`; a decimal string, or an integer), with exactly the rights
 * of that user's API key.
 */

/** jose is loaded on the first JWT (most gateways never see one: ~10 MB resident saved). */
let joseModule: typeof Jose | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily, on the first JWT, to keep its memory off gateways that never see one
const jose = (): typeof Jose => (joseModule ??= require("jose") as typeof Jose);

const SYMMETRIC = ["HS256"];
const ASYMMETRIC = ["RS256", "ES256"];
const MAX_CACHED_USERS = 10_000;

export class JwtAuthenticator {
  private readonly secret: Uint8Array | undefined;
  private jwksSet: ReturnType<typeof Jose.createRemoteJWKSet> | undefined;
  private readonly users: LRUCache<number, { user: User; adminOrganizationIds: number[] }> | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: BrowserConfig,
    cacheSeconds: number,
  ) {
    this.secret = config.jwtSecret ? new TextEncoder().encode(config.jwtSecret) : undefined;

    this.users = cacheSeconds > 0 ? ttlCache(MAX_CACHED_USERS, cacheSeconds * 1000) : undefined;
  }

  /** True when JWTs can be verified at all (JWT_SECRET or JWT_JWKS_URL set). */
  get enabled(): boolean {
    return Boolean(this.secret || this.config.jwtJwksUrl);
  }

  /** The remote key set (made on first use; jose caches it and fetches again for an unknown kid). */
  private get jwks(): ReturnType<typeof Jose.createRemoteJWKSet> | undefined {
    if (!this.config.jwtJwksUrl) return undefined;
    return (this.jwksSet ??= jose().createRemoteJWKSet(new URL(this.config.jwtJwksUrl), {
      timeoutDuration: 5_000,
      cooldownDuration: 1_000,
      cacheMaxAge: 10 * 60_000,
    }));
  }

  async authenticate(token: string, store: RequestStore | undefined): Promise<Viewer> {
    const refuse = (why: string) => unauthenticated(`The JWT is not valid: ${why}.`);
    if (!this.enabled) throw unauthenticated("JWTs are not accepted by this gateway (set JWT_SECRET or JWT_JWKS_URL).");
    let alg: string | undefined;
    try {
      alg = jose().decodeProtectedHeader(token).alg;
    } catch {
      throw refuse("its header cannot be read");
    }
    const useSecret = alg !== undefined && SYMMETRIC.includes(alg) && this.secret;
    const useJwks = alg !== undefined && ASYMMETRIC.includes(alg) && this.jwks;
    if (!useSecret && !useJwks) throw refuse(`algorithm ${JSON.stringify(alg ?? null).slice(0, 20)} is not accepted`);
    const { jwtIssuer, jwtAudience, jwtClockToleranceSeconds: tolerance } = this.config;
    const { jwtVerify, errors } = jose();
    let payload: Jose.JWTPayload;
    try {
      const options = {
        algorithms: useSecret ? SYMMETRIC : ASYMMETRIC,
        requiredClaims: ["exp"],
        clockTolerance: tolerance,
        ...(jwtIssuer ? { issuer: jwtIssuer } : {}),
        ...(jwtAudience ? { audience: jwtAudience } : {}),
      };
      payload = useSecret ? (await jwtVerify(token, this.secret, options)).payload : (await jwtVerify(token, this.jwks!, options)).payload;
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw unauthenticated("The JWT has expired.");
      if (err instanceof errors.JWTClaimValidationFailed) throw refuse(`claim ${err.claim} (${err.reason})`);
      if (err instanceof errors.JWKSTimeout || err instanceof errors.JOSEError) throw refuse(err.code.toLowerCase().replace(/_/g, " "));
      throw refuse("it cannot be verified");
    }
    if (typeof payload.iat === "number" && payload.iat > Date.now() / 1000 + tolerance) throw refuse("claim iat is in the future");
    const raw = payload[this.config.jwtUserIdClaim];
    const userId =
      typeof raw === "string" && /^\d{1,10}$/.test(raw) ? Number(raw) : typeof raw === "number" && Number.isSafeInteger(raw) ? raw : NaN;
    if (!Number.isSafeInteger(userId) || userId <= 0 || userId > 2_147_483_647)
      throw refuse(`claim ${this.config.jwtUserIdClaim} is not a user id`);
    const record = this.users?.get(userId) ?? (await this.lookup(userId, store));
    if (!record) throw unauthenticated("The JWT names no user of this gateway.");
    if (record.user.locked) throw forbidden("This user account is locked.");
    return viewerFor(record.user, record.adminOrganizationIds);
  }

  private async lookup(userId: number, store: RequestStore | undefined) {
    const record = await loadUserRecord(this.dataSource, userId, store);
    if (record) this.users?.set(userId, record);
    return record;
  }
}
