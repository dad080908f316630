import type { DataSource, EntityManager } from "typeorm";
import { queryPreparedIn } from "../../db/rows";
import type { Viewer } from "../../auth/viewer";
import type { SchedulingType } from "../../entities/enums";
import type { PeriodType } from "../../entities/enums";
import { SLOT_HOLDING } from "../booking/booking-status";
import { allowedDurations } from "../booking/booking-input";
import { bookableEventTypes, cancellableBookings, manageableBookings, SEATED_BOOKING } from "../booking/booking.policy";
import type { AvailabilityData, EventTypeRules, HostData } from "./availability";
import { eventZone } from "./availability";
import { MAX_BUFFER_MINUTES, type BusyBooking } from "./busy-time";
import { limitCountWindow, parseBookingLimits } from "./limits";
import { localDate } from "./time-zone";
import type { Range } from "./ranges";
import { timeToMinutes, type ScheduleData } from "./schedule-resolution";

/**
 * Reads what the availability rules need in at most three statements, whatever the range and the
 * number of hosts: (1) the event type with its hosts, their schedules with every row, and their
 * out-of-office entries, checked against the viewer's right to book it (with a booking to
 * reschedule: their right to reschedule that booking, of this event type, instead); (2) the busy bookings of all hosts around the range, widened by the largest buffer; (3) with booking limits only, held bookings of the event type per local date. The same
 * reads serve `slots` (on the pool) and the booking checks (in the mutation's transaction, under the
 * organizers' locks).
 */

/** Runs one SQL statement with `$n` parameters. */
export type Sql = (sql: string, parameters: unknown[]) => Promise<Array<Record<string, unknown>>>;

/** A `Sql` inside a transaction: named prepared statements on its connection, counted against its store. */
export function sqlOf(m: EntityManager): Sql {
  return (sql, parameters) => queryPreparedIn(m, sql, parameters);
}

/** The hosts of event type `et`: its owner (personal), else its `"Host"` rows (team). The one place this is written. */
const HOST_USERS = `SELECT hu."userId" FROM "Host" hu WHERE hu."eventTypeId" = et.id AND et."userId" IS NULL
  UNION ALL SELECT et."userId" WHERE et."userId" IS NOT NULL`;

/** The user ids of an event type's hosts (to lock them before their busy time is read). */
export async function hostUserIds(sql: Sql, eventTypeId: number): Promise<number[]> {
  const rows = await sql(`SELECT h."userId" FROM "EventType" et CROSS JOIN LATERAL (${HOST_USERS}) h WHERE et.id = $1`, [eventTypeId]);
  return rows.map((r) => r.userId as number);
}

const CONTEXT_SQL = `
SELECT et.id, et."userId", et."teamId", et.length, et.metadata, et."slotInterval", et."minimumBookingNotice",
  et."beforeEventBuffer", et."afterEventBuffer", et."seatsPerTimeSlot", et."schedulingType", et."periodType",
  et."periodDays", et."periodCountCalendarDays", et."periodStartDate", et."periodEndDate", et."bookingLimits",
  et."scheduleId", et."timeZone",
  (SELECT COALESCE(json_agg(json_build_object('userId', u.id, 'name', u.name, 'email', u.email, 'timeZone', u."timeZone",
      'locale', u.locale, 'defaultScheduleId', u."defaultScheduleId", 'isFixed', h."isFixed", 'priority', h.priority,
      'weight', h.weight, 'hostScheduleId', h."scheduleId")), '[]')
    FROM (SELECT hh."userId", hh."isFixed", hh.priority, hh.weight, hh."scheduleId" FROM "Host" hh
            WHERE hh."eventTypeId" = et.id AND et."userId" IS NULL
          UNION ALL SELECT et."userId", true, NULL, NULL, NULL WHERE et."userId" IS NOT NULL) h
    JOIN users u ON u.id = h."userId"
    WHERE et."userId" IS NOT NULL OR NOT u.locked) AS hosts,
  (SELECT COALESCE(json_agg(json_build_object('id', s.id, 'userId', s."userId", 'timeZone', s."timeZone", 'rows',
      (SELECT COALESCE(json_agg(json_build_object('days', a.days, 'start', a."startTime"::text, 'end', a."endTime"::text,
          'date', to_char(a.date, 'YYYY-MM-DD'))), '[]') FROM "Availability" a WHERE a."scheduleId" = s.id))), '[]')
    FROM "Schedule" s
    WHERE s.id IN (SELECT et."scheduleId"
                   UNION SELECT hs."scheduleId" FROM "Host" hs WHERE hs."eventTypeId" = et.id
                   UNION SELECT us.id FROM "Schedule" us WHERE us."userId" IN (${HOST_USERS}))) AS schedules,
  (SELECT COALESCE(json_agg(json_build_object('userId', o."userId", 'start', o.start, 'end', o."end")), '[]')
    FROM "OutOfOfficeEntry" o
    WHERE o."userId" IN (${HOST_USERS}) AND o.start < :ctx_hi AND o."end" > :ctx_lo) AS ooo`;

/** Out-of-office entries are read this far past the last start (an event may last long; entries are few). */
const OUT_OF_OFFICE_LOOKAHEAD_MS = 62 * 86_400_000;

export interface LoadOptions {
  eventTypeId: number;
  /** The instants starts may take; hours and busy time are read for them plus the longest duration. */
  range: Range;
  /**
   * A whole booking being moved (its organizer's reschedule): it neither blocks nor counts, keeps
   * its organizer (who must stay free even when no longer a host), and joins no other seated booking.
   */
  exclude?: { bookingId: number; organizerId: number | null } | null;
  /**
   * `slots` for rescheduling this booking: the viewer must be allowed to reschedule it (and it must
   * be open and of this event type), else null. A seat holder moves only their seat, so for them
   * the booking is treated as for a new booking (as rescheduleBooking does); anyone else moves the
   * whole booking (as `exclude`).
   */
  rescheduleBookingId?: number | null;
}

/**
 * Loads the event type's availability data for the viewer; null when they may not book it (or may
 * not reschedule `rescheduleBookingId`, or it is of another event type).
 */
export async function loadAvailability(
  m: EntityManager | DataSource,
  sql: Sql,
  viewer: Viewer | null,
  options: LoadOptions,
): Promise<AvailabilityData | null> {
  const conditions: string[] = [`et.id = :ctx_et`];
  let params: Record<string, unknown> = {
    ctx_et: options.eventTypeId,
    ctx_lo: new Date(options.range.start),
    ctx_hi: new Date(options.range.end + OUT_OF_OFFICE_LOOKAHEAD_MS),
  };
  let select = CONTEXT_SQL;
  // Someone who may reschedule a booking may list its event type's slots for it, hidden or not
  // (the reschedule condition below checks the booking and its event type).
  if (viewer && options.rescheduleBookingId == null) {
    const bookable = bookableEventTypes(viewer);
    if (bookable) {
      conditions.push(bookable.sql);
      params = { ...params, ...bookable.params };
    }
  }
  if (options.rescheduleBookingId != null) {
    const may = viewer ? cancellableBookings(viewer) : undefined;
    const manages = viewer ? manageableBookings(viewer) : undefined;
    select += `,
  (SELECT json_build_object('userId', b."userId", 'email', ru.email, 'seated', ${SEATED_BOOKING}, 'manages', ${manages ? manages.sql : "TRUE"})
    FROM "Booking" b LEFT JOIN users ru ON ru.id = b."userId"
    WHERE b.id = :ctx_resched AND b."eventTypeId" = et.id AND b.status = ANY(CAST(:ctx_open AS "BookingStatus"[]))${may ? ` AND ${may.sql}` : ""}) AS reschedule`;
    params = {
      ...params,
      ...(may?.params ?? {}),
      ...(manages?.params ?? {}),
      ctx_resched: options.rescheduleBookingId,
      ctx_open: RESCHEDULABLE,
    };
  } else if (options.exclude?.organizerId != null) {
    select += `,
  (SELECT json_build_object('userId', pu.id, 'email', pu.email) FROM users pu WHERE pu.id = :ctx_pinned) AS pinned`;
    params = { ...params, ctx_pinned: options.exclude.organizerId };
  }
  const driver = "connection" in m ? m.connection.driver : m.driver;
  const [text, values] = driver.escapeQueryWithParameters(`${select}\nFROM "EventType" et WHERE ${conditions.join(" AND ")}`, params);
  const [row] = await sql(text, values);
  if (!row) return null;
  let exclude = options.exclude ?? null;
  let pinned = (row.pinned as { userId: number; email: string } | null | undefined) ?? null;
  if (options.rescheduleBookingId != null) {
    const reschedule = row.reschedule as { userId: number | null; email: string | null; seated: boolean; manages: boolean } | null;
    if (!reschedule) return null;
    const seatHolder = reschedule.seated && !reschedule.manages;
    exclude = seatHolder ? null : { bookingId: options.rescheduleBookingId, organizerId: reschedule.userId };
    pinned =
      !seatHolder && reschedule.userId != null && reschedule.email != null ? { userId: reschedule.userId, email: reschedule.email } : null;
  }

  const eventType = eventTypeRules(row);
  const hosts = (row.hosts as HostData[]).map((h) => ({ ...h, isFixed: Boolean(h.isFixed) }));
  const schedules = new Map<number, ScheduleData>();
  for (const s of row.schedules as Array<{
    id: number;
    userId: number;
    timeZone: string | null;
    rows: Array<{ days: number[] | null; start: string; end: string; date: string | null }>;
  }>) {
    schedules.set(s.id, {
      id: s.id,
      userId: s.userId,
      timeZone: s.timeZone,
      rows: s.rows.map((r) => ({
        days: r.days ?? [],
        startMinutes: timeToMinutes(r.start),
        endMinutes: timeToMinutes(r.end),
        date: r.date,
      })),
    });
  }
  const outOfOffice = (row.ooo as Array<{ userId: number; start: string; end: string }>).map((o) => ({
    userId: o.userId,
    start: jsonTimestamp(o.start),
    end: jsonTimestamp(o.end),
  }));
  // Hours and busy time cover every instant a booking starting in the range may occupy.
  const range = { start: options.range.start, end: options.range.end + Math.max(...eventType.lengths) * 60_000 };
  const partial = { eventType, hosts, schedules };
  // A moved booking's organizer stays busy-checked even when no longer a host of the event type.
  const extra = pinned && !hosts.some((h) => h.userId === pinned.userId) ? [pinned] : [];
  const seatJoins = exclude == null;
  const busy = await loadBusy(
    sql,
    { ...eventType, seatsPerTimeSlot: seatJoins ? eventType.seatsPerTimeSlot : null },
    [...hosts, ...extra],
    range,
    exclude?.bookingId ?? null,
  );
  const limitCounts = parseBookingLimits(eventType.bookingLimits)
    ? await loadLimitCounts(sql, eventType.id, eventZone(partial), range, exclude?.bookingId ?? null)
    : null;
  return {
    ...partial,
    range,
    outOfOffice,
    busy,
    limitCounts,
    pinnedOrganizer: exclude?.organizerId ?? null,
    pinnedOutsideHosts: extra.length ? extra[0].userId : null,
    seatJoins,
  };
}

/** States a booking may be rescheduled from (it becomes CANCELLED). */
const RESCHEDULABLE = ["accepted", "pending", "awaiting_host"];

/** A timestamp(3) inside json_build_object ("2026-07-01T10:00:00", UTC by convention). */
function jsonTimestamp(text: string): number {
  return Date.parse(`${text}Z`);
}

function eventTypeRules(row: Record<string, unknown>): EventTypeRules {
  return {
    id: row.id as number,
    userId: row.userId as number | null,
    teamId: row.teamId as number | null,
    length: row.length as number,
    lengths: allowedDurations({ length: row.length as number, metadata: row.metadata as never }),
    slotInterval: row.slotInterval as number | null,
    minimumBookingNotice: row.minimumBookingNotice as number,
    beforeEventBuffer: row.beforeEventBuffer as number,
    afterEventBuffer: row.afterEventBuffer as number,
    seatsPerTimeSlot: row.seatsPerTimeSlot as number | null,
    schedulingType: row.schedulingType as SchedulingType | null,
    periodType: row.periodType as PeriodType,
    periodDays: row.periodDays as number | null,
    periodCountCalendarDays: row.periodCountCalendarDays as boolean | null,
    periodStartDate: row.periodStartDate as Date | null,
    periodEndDate: row.periodEndDate as Date | null,
    bookingLimits: row.bookingLimits,
    scheduleId: row.scheduleId as number | null,
    timeZone: row.timeZone as string | null,
  };
}

// The index range on "startTime" is widened by the most two buffers can add (MAX_BUFFER_MINUTES each,
// the busy booking's and the new one's); the exact blocked ranges are cut in
// busy-time.ts.
const BUSY_SQL = `
SELECT b.id, b."startTime" AS start, b."endTime" AS end, b."eventTypeId", b."userId" AS host, NULL AS email,
  COALESCE(bet."beforeEventBuffer", 0) AS before, COALESCE(bet."afterEventBuffer", 0) AS after,
  CASE WHEN $4::boolean AND b."eventTypeId" = $5 THEN (SELECT count(*)::int FROM "Attendee" sa WHERE sa."bookingId" = b.id) END AS seats
FROM "Booking" b LEFT JOIN LATERAL (SELECT x."beforeEventBuffer", x."afterEventBuffer" FROM "EventType" x WHERE x.id = b."eventTypeId" OFFSET 0) bet ON true
WHERE b."userId" = ANY($1::int[]) AND b.status = ANY($6::"BookingStatus"[])
  AND b."startTime" < $8 AND b."endTime" > $7 AND ($3::int IS NULL OR b.id <> $3)
UNION ALL
SELECT b.id, b."startTime", b."endTime", b."eventTypeId", NULL, lower(a.email),
  COALESCE(bet."beforeEventBuffer", 0), COALESCE(bet."afterEventBuffer", 0),
  CASE WHEN $4::boolean AND b."eventTypeId" = $5 THEN (SELECT count(*)::int FROM "Attendee" sa WHERE sa."bookingId" = b.id) END
FROM "Attendee" a JOIN "Booking" b ON b.id = a."bookingId"
  LEFT JOIN LATERAL (SELECT x."beforeEventBuffer", x."afterEventBuffer" FROM "EventType" x WHERE x.id = b."eventTypeId" OFFSET 0) bet ON true
WHERE lower(a.email) = ANY($2::text[]) AND b.status = 'accepted'
  AND b."startTime" < $8 AND b."endTime" > $7 AND ($3::int IS NULL OR b.id <> $3)`;

/** Statement 2: busy bookings of every host (as organizer, or attendee by e-mail) around the range. */
export async function loadBusy(
  sql: Sql,
  eventType: Pick<EventTypeRules, "id" | "beforeEventBuffer" | "afterEventBuffer" | "seatsPerTimeSlot">,
  hosts: ReadonlyArray<Pick<HostData, "userId" | "email">>,
  range: Range,
  excludeId: number | null,
): Promise<Array<BusyBooking & { hostIds: number[] }>> {
  if (hosts.length === 0) return [];
  const widen = 2 * MAX_BUFFER_MINUTES * 60_000;
  const rows = await sql(BUSY_SQL, [
    hosts.map((h) => h.userId),
    hosts.map((h) => h.email.toLowerCase()),
    excludeId,
    Boolean(eventType.seatsPerTimeSlot),
    eventType.id,
    SLOT_HOLDING,
    new Date(range.start - widen),
    new Date(range.end + widen),
  ]);
  const byEmail = new Map<string, number[]>();
  for (const h of hosts) byEmail.set(h.email.toLowerCase(), [...(byEmail.get(h.email.toLowerCase()) ?? []), h.userId]);
  const byId = new Map<number, BusyBooking & { hostIds: number[] }>();
  for (const r of rows) {
    const id = r.id as number;
    let busy = byId.get(id);
    if (!busy) {
      busy = {
        id,
        start: (r.start as Date).getTime(),
        end: (r.end as Date).getTime(),
        eventTypeId: r.eventTypeId as number | null,
        beforeBuffer: r.before as number,
        afterBuffer: r.after as number,
        seatsTaken: r.seats as number | null,
        hostIds: [],
      };
      byId.set(id, busy);
    }
    const hostIds = r.host != null ? [r.host as number] : (byEmail.get(r.email as string) ?? []);
    for (const hostId of hostIds) if (!busy.hostIds.includes(hostId)) busy.hostIds.push(hostId);
  }
  return [...byId.values()];
}

/**
 * Statement 3: held bookings of the event type per local date of its zone, over the limits'
 * periods. Postgres counts them per quarter hour of UTC (every zone's offset is a whole number of
 * quarter hours), and the dates are worked out here with the same zone rules as everything else.
 */
async function loadLimitCounts(
  sql: Sql,
  eventTypeId: number,
  zone: string,
  range: Range,
  excludeId: number | null,
): Promise<Map<string, number>> {
  const window = limitCountWindow(range.start, range.end, zone);
  const rows = await sql(
    `SELECT floor(extract(epoch FROM b."startTime") / 900)::float8 AS quarter, count(*)::int AS n
     FROM "Booking" b
     WHERE b."eventTypeId" = $1 AND b.status = ANY($2::"BookingStatus"[]) AND b."startTime" >= $3 AND b."startTime" < $4
       AND ($5::int IS NULL OR b.id <> $5)
     GROUP BY 1`,
    [eventTypeId, SLOT_HOLDING, new Date(window.start), new Date(window.end), excludeId],
  );
  const perDate = new Map<string, number>();
  for (const r of rows) {
    const date = localDate((r.quarter as number) * 900_000, zone);
    perDate.set(date, (perDate.get(date) ?? 0) + (r.n as number));
  }
  return perDate;
}
