import type { RequestContext } from "../../context";
import { queryPrepared } from "../../db/rows";
import { requireViewer } from "../booking/booking-read.service";
import { canonicalTimeZone } from "../booking/booking-input";
import { badInput, notFound, quoteInput } from "../errors";
import { buildContext, groupByDay, listSlots, type Slot } from "./availability";
import { loadAvailability } from "./availability.loader";

/**
 * The `slots` query: free start times of an event type in [from, to), grouped by the local date of
 * their start in `timeZone`, computed by availability.ts over data read in at most three statements.
 */

const DAY = 86_400_000;
/** The longest range one `slots` request may cover. */
export const MAX_SLOT_RANGE_DAYS = 62;

export interface SlotsArgs {
  eventTypeId: number;
  from: Date;
  to: Date;
  timeZone: string;
  duration?: number | null;
  rescheduleBookingId?: number | null;
}

export interface SlotDayResult {
  date: string;
  slots: Array<{ start: Date; end: Date; seatsRemaining: number | null }>;
}

export async function eventTypeSlots(ctx: RequestContext, args: SlotsArgs): Promise<SlotDayResult[]> {
  const viewer = requireViewer(ctx);
  const from = args.from.getTime();
  const to = args.to.getTime();
  if (to <= from) throw badInput("to", "to must be after from.");
  if (to - from > MAX_SLOT_RANGE_DAYS * DAY) throw badInput("to", `to may be at most ${MAX_SLOT_RANGE_DAYS} days after from.`);
  const zone = canonicalTimeZone(args.timeZone);
  if (!zone) throw badInput("timeZone", `${quoteInput(args.timeZone)} is not an IANA time zone (e.g. "Europe/Berlin").`);
  if (args.duration != null && (!Number.isInteger(args.duration) || args.duration < 1))
    throw badInput("duration", "duration must be a positive number of minutes.");

  const now = Date.now();
  // Named prepared statements (parsed and planned once per connection), counted, on the primary:
  // a replica's lag would list a slot just booked ("every listed slot books" holds at any moment).
  const data = await loadAvailability(
    ctx.dataSource,
    (sql, parameters) => queryPrepared(ctx.dataSource, sql, parameters, ctx.store, true),
    viewer,
    {
      eventTypeId: args.eventTypeId,
      range: { start: from, end: to },
      rescheduleBookingId: args.rescheduleBookingId ?? null,
    },
  );
  if (!data)
    throw notFound(
      args.rescheduleBookingId != null ? "Event type or booking to reschedule not found." : `Event type ${args.eventTypeId} not found.`,
    );
  const duration = args.duration ?? data.eventType.length;
  if (!data.eventType.lengths.includes(duration)) {
    throw badInput("duration", `This event type offers ${data.eventType.lengths.join(" or ")} minutes (got ${duration}).`);
  }
  const slots = listSlots(buildContext(data, data.range ?? { start: from, end: to }, now), from, to, duration, zone);
  return groupByDay(slots, zone).map((day) => ({ date: day.date, slots: day.slots.map(toResult) }));
}

function toResult(slot: Slot) {
  return { start: new Date(slot.start), end: new Date(slot.end), seatsRemaining: slot.seatsRemaining };
}
