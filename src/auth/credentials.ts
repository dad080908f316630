import type { DataSource } from "typeorm";
import type { RequestStore } from "../db/sql-counter";
import { queryPrepared } from "../db/rows";
import { notFound, unauthenticated } from "../domain/errors";
import { API_KEY_PREFIX, type ApiKeyAuthenticator } from "./api-key";
import { BOOKING_TOKEN_PREFIX, type BookingTokens } from "./booking-token";
import type { JwtAuthenticator } from "./jwt";
import { bookingTokenViewer, publicViewer, type Viewer } from "./viewer";

/**
 * One entry for every credential (contract "Authentication" and "Browser access"), told apart by
 * shape: three base64url parts a JWT, `bk_…` a booking token, anything else an API key (`cal_` + 32
 * hex; Cal.com also takes it without the prefix), nothing at all the public viewer (only with PUBLIC_BOOKING=true; else UNAUTHENTICATED as always). Each
 * becomes a Viewer; what a viewer may do is the policy's (domain/booking/booking.policy.ts).
 */

const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]*$/;

export type CredentialKind = "none" | "apiKey" | "jwt" | "bookingToken";

export function credentialKind(credential: string | undefined): CredentialKind {
  if (credential === undefined) return "none";
  if (credential.startsWith(API_KEY_PREFIX)) return "apiKey";
  if (credential.startsWith(BOOKING_TOKEN_PREFIX)) return "bookingToken";
  if (JWT_SHAPE.test(credential) && credential.length <= 16_384) return "jwt";
  // Anything else is looked up as an API key, as Cal.com does (a key sent without its cal_ prefix works).
  return "apiKey";
}

export class Authenticator {
  private tokenBookingSql = `SELECT 1 AS found FROM "Booking" b WHERE b."uid" = $1`;

  constructor(
    private readonly dataSource: DataSource,
    readonly apiKeys: ApiKeyAuthenticator,
    readonly jwt: JwtAuthenticator,
    readonly tokens: BookingTokens,
    private readonly publicBooking: boolean,
  ) {}

  /**
   * True when checking the credential costs no statement before it is known to be genuine: API keys
   * whose answer is cached, and JWTs and booking tokens (their signature is checked first). The gate
   * looks up other keys only while the client's IP has budget left.
   */
  isCached(credential: string): boolean {
    return credentialKind(credential) === "apiKey" ? this.apiKeys.isCached(credential) : true;
  }

  /**
   * The viewer of a credential that is genuine and needs no statement of its own: a cached, valid API
   * key (or one whose lookup another request started and is running), or a JWT (verified by its
   * signature). Undefined for anything else and any failure: `authenticate` reports those.
   */
  async knownViewer(credential: string, store?: RequestStore): Promise<Viewer | undefined> {
    switch (credentialKind(credential)) {
      case "apiKey":
        return this.apiKeys.knownViewer(credential);
      case "jwt":
        return this.jwt.authenticate(credential, store).catch(() => undefined);
      default:
        return undefined;
    }
  }

  /** True for traffic of the public budget: a booking token, or no credential with public booking on. */
  isPublicTraffic(credential: string | undefined): boolean {
    const kind = credentialKind(credential);
    return kind === "bookingToken" || (kind === "none" && this.publicBooking);
  }

  /** The viewer for a credential (undefined: no Authorization header at all). */
  async authenticate(credential: string | undefined, store?: RequestStore): Promise<Viewer> {
    switch (credentialKind(credential)) {
      case "none":
        if (this.publicBooking) return publicViewer();
        throw unauthenticated();
      case "apiKey":
        return this.apiKeys.authenticate(credential, store);
      case "jwt":
        return this.jwt.authenticate(credential!, store);
      case "bookingToken": {
        const claims = this.tokens.verify(credential!);
        const rows = await queryPrepared<{ found: number }>(this.dataSource, this.tokenBookingSql, [claims.uid], store);
        if (rows.length === 0) throw notFound("The booking of this token no longer exists.");
        return bookingTokenViewer(claims.uid, claims.email);
      }
    }
  }
}
