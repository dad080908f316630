import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { unauthenticated } from "../domain/errors";

/**
 * Booking tokens (`bk_…`, contract "Browser access"): stateless, HMAC-SHA256-signed with
 * BOOKING_TOKEN_SECRET, carrying the booking's uid, the booker's e-mail (whose seat and whose
 * cancellation it is) and an expiry (BOOKING_TOKEN_TTL_DAYS after issue). Format:
 * `bk_` + base64url(JSON {v: 1, u: uid, e: email, x: expiry in Unix seconds}) + `.` + base64url(HMAC).
 * The HMAC covers a fixed prefix too, so no other signature made with the same secret can pass.
 */

export const BOOKING_TOKEN_PREFIX = "bk_";
const DOMAIN = "calcom-gateway booking-token v1.";

export interface BookingTokenClaims {
  uid: string;
  email: string;
  expiresAt: Date;
}

export class BookingTokens {
  private readonly key: Buffer;

  /**
   * `secret` undefined: a random one for this process (tokens do not survive a restart).
   * `enabled` false (production without a secret): no token is issued, none accepted.
   */
  constructor(
    secret: string | undefined,
    private readonly ttlDays: number,
    readonly enabled = true,
  ) {
    this.key = secret ? Buffer.from(secret, "utf8") : randomBytes(32);
  }

  issue(uid: string, email: string, now = new Date()): string {
    const body = Buffer.from(
      JSON.stringify({ v: 1, u: uid, e: email, x: Math.floor(now.getTime() / 1000) + this.ttlDays * 86_400 }),
    ).toString("base64url");
    return `${BOOKING_TOKEN_PREFIX}${body}.${this.sign(body)}`;
  }

  /** The claims of a valid token; UNAUTHENTICATED for anything tampered, foreign or expired. */
  verify(token: string, now = new Date()): BookingTokenClaims {
    const bad = () => unauthenticated("The booking token is not valid.");
    if (!this.enabled) throw unauthenticated("Booking tokens are not accepted by this gateway (set BOOKING_TOKEN_SECRET).");
    if (!token.startsWith(BOOKING_TOKEN_PREFIX) || token.length > 2_000) throw bad();
    const [body, signature, ...rest] = token.slice(BOOKING_TOKEN_PREFIX.length).split(".");
    if (!body || !signature || rest.length) throw bad();
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw bad();
    let claims: { v?: unknown; u?: unknown; e?: unknown; x?: unknown };
    try {
      claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as typeof claims;
    } catch {
      throw bad();
    }
    if (claims.v !== 1 || typeof claims.u !== "string" || typeof claims.e !== "string" || typeof claims.x !== "number") throw bad();
    if (claims.x * 1000 <= now.getTime()) throw unauthenticated("The booking token has expired.");
    return { uid: claims.u, email: claims.e, expiresAt: new Date(claims.x * 1000) };
  }

  private sign(body: string): string {
    return createHmac("sha256", this.key)
      .update(DOMAIN + body)
      .digest("base64url");
  }
}
