import type { RequestContext } from "../../context";
import { EventType } from "../../entities";
import { withCountedRunner } from "../../db/sql-counter";
import { badInput, notFound } from "../errors";
import { requireViewer } from "../booking/booking-read.service";
import { bookableEventTypes } from "../booking/booking.policy";

/**
 * `eventTypes` / `eventType`: the event types the viewer may book (createBooking's rule, one policy:
 * booking.policy.ts `bookableEventTypes`). One the viewer may not book answers as one that does not
 * exist. Order: `position` descending, then id ascending (Cal.com's order).
 */

/** The most event types one `eventTypes` answer holds (a user or team with more is cut, in order). */
export const MAX_EVENT_TYPES = 500;

export interface EventTypesArgs {
  userId?: number | null;
  username?: string | null;
  teamId?: number | null;
}

export interface EventTypeArgs {
  id?: number | null;
  username?: string | null;
  teamSlug?: string | null;
  slug?: string | null;
}

/** The where-clause of one owner selector. */
type Owner = { sql: string; params: Record<string, unknown> };

function ownerOf(args: EventTypesArgs): Owner {
  const set = (["userId", "username", "teamId"] as const).filter((k) => args[k] != null);
  if (set.length !== 1) throw badInput(set[1] ?? "userId", "Give exactly one of userId, username, teamId.");
  if (args.userId != null) return { sql: `et."userId" = :et_owner`, params: { et_owner: args.userId } };
  if (args.teamId != null) return { sql: `et."teamId" = :et_owner`, params: { et_owner: args.teamId } };
  return { sql: `et."userId" IN (SELECT eu.id FROM users eu WHERE eu.username = :et_owner)`, params: { et_owner: args.username } };
}

async function query(ctx: RequestContext, where: Owner[], limit: number): Promise<EventType[]> {
  const viewer = requireViewer(ctx);
  return withCountedRunner(ctx.dataSource, ctx.store, (runner) => {
    const qb = ctx.dataSource.getRepository(EventType).createQueryBuilder("et", runner);
    for (const w of where) qb.andWhere(w.sql, w.params);
    const bookable = bookableEventTypes(viewer);
    if (bookable) qb.andWhere(bookable.sql, bookable.params);
    return qb.orderBy("et.position", "DESC").addOrderBy("et.id", "ASC").limit(limit).getMany();
  });
}

/** The event types of one user (by id or username) or team that the viewer may book. */
export function listEventTypes(ctx: RequestContext, args: EventTypesArgs): Promise<EventType[]> {
  requireViewer(ctx);
  return query(ctx, [ownerOf(args)], MAX_EVENT_TYPES);
}

/** One event type by id, username + slug or teamSlug + slug; NOT_FOUND when missing or not bookable by the viewer. */
export async function getEventType(ctx: RequestContext, args: EventTypeArgs): Promise<EventType> {
  requireViewer(ctx);
  const byId = args.id != null && args.username == null && args.teamSlug == null && args.slug == null;
  const byUser = args.id == null && args.username != null && args.teamSlug == null && args.slug != null;
  const byTeam = args.id == null && args.username == null && args.teamSlug != null && args.slug != null;
  if (!byId && !byUser && !byTeam) {
    throw badInput(args.slug == null && args.id == null ? "slug" : "id", "Give exactly one of: id; username and slug; teamSlug and slug.");
  }
  const where: Owner[] = byId
    ? [{ sql: `et.id = :et_id`, params: { et_id: args.id } }]
    : byUser
      ? [ownerOf({ username: args.username }), { sql: `et.slug = :et_slug`, params: { et_slug: args.slug } }]
      : [
          { sql: `et."teamId" IN (SELECT t.id FROM "Team" t WHERE t.slug = :et_team)`, params: { et_team: args.teamSlug } },
          { sql: `et.slug = :et_slug`, params: { et_slug: args.slug } },
        ];
  const [found] = await query(ctx, where, 1);
  if (!found) throw notFound("Event type not found.");
  return found;
}
