import type { DataSource, EntityMetadata } from "typeorm";
import { cached } from "../../cached";
import type { RowExpression } from "../../db/rows";
import {
  Attendee, Booking, BookingReference, BookingSeat, DestinationCalendar, EventType, InstantMeetingToken, Payment, User,
  WebhookScheduledTrigger, WorkflowReminder,
} from "../../entities";
import type { Loader, Loaders } from "../../loaders";

/**
 * Look-ahead for booking lists: the relations an operation selects are read in the list statement
 * itself (Postgres builds them as JSON in correlated subqueries) and primed into the request's
 * DataLoaders, so the relation field resolvers find them cached and a page costs one statement
 * instead of one per relation. The loaders stay the single way relations are resolved.
 */

/**
 * What the GraphQL layer asks of a list: the Booking fields selected and, per object type, the
 * fields the operation selects anywhere (so a related row carries what every path needs of it).
 */
export interface BookingSelection {
  fields: ReadonlySet<string>;
  typeFields?: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Columns a related row always carries besides its id: keys its own field resolvers follow. */
const RELATED_KEYS: Record<string, string[]> = { EventType: ["userId"] };

/**
 * Columns a booking row always carries: keys the field resolvers follow and the times every rule
 * looks at. The key of a selected relation and the sort columns (fetchRows) are added as needed.
 */
const ALWAYS = ["id", "uid", "userId", "eventTypeId", "startTime", "endTime"];

interface Relation {
  entity: Function;
  many: boolean;
  /** Column of the related table, compared with `bookingColumn` of the booking. */
  column: string;
  /** The booking's column holding the key of its related rows in `loader` (a null key: no relation). */
  bookingColumn: "id" | "uid" | "userId" | "eventTypeId" | "destinationCalendarId";
  /** Keyed by the booking's `bookingColumn` values; holds rows of `entity` (or arrays of them). */
  loader(loaders: Loaders): Loader<number | string, unknown>;
}

const RELATIONS: Record<string, Relation> = {
  user: { entity: User, many: false, column: "id", bookingColumn: "userId", loader: (l) => l.userById },
  eventType: { entity: EventType, many: false, column: "id", bookingColumn: "eventTypeId", loader: (l) => l.eventTypeById },
  destinationCalendar: { entity: DestinationCalendar, many: false, column: "id", bookingColumn: "destinationCalendarId", loader: (l) => l.destinationCalendarById },
  attendees: { entity: Attendee, many: true, column: "bookingId", bookingColumn: "id", loader: (l) => l.attendeesByBookingId },
  payment: { entity: Payment, many: true, column: "bookingId", bookingColumn: "id", loader: (l) => l.paymentsByBookingId },
  references: { entity: BookingReference, many: true, column: "bookingId", bookingColumn: "id", loader: (l) => l.referencesByBookingId },
  seatsReferences: { entity: BookingSeat, many: true, column: "bookingId", bookingColumn: "id", loader: (l) => l.seatsByBookingId },
  scheduledTriggers: { entity: WebhookScheduledTrigger, many: true, column: "bookingId", bookingColumn: "id", loader: (l) => l.scheduledTriggersByBookingId },
  workflowReminders: { entity: WorkflowReminder, many: true, column: "bookingUid", bookingColumn: "uid", loader: (l) => l.workflowRemindersByBookingUid },
  instantMeetingToken: { entity: InstantMeetingToken, many: false, column: "bookingId", bookingColumn: "id", loader: (l) => l.instantMeetingTokenByBookingId },
};

const ALIAS_PREFIX = "__rel_";

/** What a list reads for a selection: the Booking properties (all when undefined) and the relation subqueries. */
export interface ReadShape {
  columns: ReadonlySet<string> | undefined;
  included: RowExpression[];
}

const NO_SELECTION: ReadShape = { columns: undefined, included: [] };
const readShapes = new WeakMap<DataSource, WeakMap<BookingSelection, ReadShape>>();

/**
 * The read shape of a selection, worked out once per data source and selection object (GraphQL
 * selections are shared by every request with the same query text, see `bookingSelection`), so
 * a list request builds no SQL for its relations. Without a selection: every column, no relation.
 */
export function readShape(dataSource: DataSource, selection?: BookingSelection): ReadShape {
  if (!selection) return NO_SELECTION;
  const bySelection = cached(readShapes, dataSource, () => new WeakMap<BookingSelection, ReadShape>());
  return cached(bySelection, selection, () => ({
    columns: bookingColumns(dataSource, selection),
    included: relationExpressions(dataSource, selection),
  }));
}

/** The Booking properties to read for a selection. */
function bookingColumns(dataSource: DataSource, selection: BookingSelection): Set<string> {
  const mapped = new Set(dataSource.getMetadata(Booking).columns.map((c) => c.propertyName));
  const keys = Object.entries(RELATIONS).filter(([field]) => selection.fields.has(field)).map(([, r]) => r.bookingColumn);
  return new Set([...ALWAYS, ...keys, ...[...selection.fields].filter((f) => mapped.has(f))]);
}

/**
 * `json_build_object` of the columns of `meta` the operation needs (every mapped column when
 * `wanted` is absent) for alias `x`; timestamps as ISO-8601 UTC.
 */
function jsonObject(meta: EntityMetadata, alias: string, wanted?: ReadonlySet<string>): string {
  const keep = wanted ? new Set(["id", ...(RELATED_KEYS[meta.name] ?? []), ...wanted]) : undefined;
  const pairs = meta.columns.filter((c) => !keep || keep.has(c.propertyName)).map((c) => {
    const column = `${alias}."${c.databaseName}"`;
    const value = c.type === "timestamp" ? `to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')` : column;
    return `'${c.propertyName}', ${value}`;
  });
  return `json_build_object(${pairs.join(", ")})`;
}

/** One JSON subquery per selected relation, over a booking row `b` (computed for the page only). */
function relationExpressions(dataSource: DataSource, selection: BookingSelection): RowExpression[] {
  const included: RowExpression[] = [];
  for (const [field, relation] of Object.entries(RELATIONS)) {
    if (!selection.fields.has(field)) continue;
    const meta = dataSource.getMetadata(relation.entity);
    const wanted = selection.typeFields?.get(meta.name);
    const key = meta.findColumnWithPropertyName(relation.column)!.databaseName;
    const where = `x."${key}" = b."${relation.bookingColumn}"`;
    const sql = relation.many
      ? `(SELECT coalesce(json_agg(${jsonObject(meta, "x", wanted)} ORDER BY x."id"), '[]'::json) FROM "${meta.tableName}" x WHERE ${where})`
      : `(SELECT ${jsonObject(meta, "x", wanted)} FROM "${meta.tableName}" x WHERE ${where} LIMIT 1)`;
    included.push({ sql, alias: ALIAS_PREFIX + field });
  }
  return included;
}

/**
 * Moves the included relations off the rows into the loaders: JSON objects get their entity's
 * prototype and real Dates for timestamp columns, exactly like rows the loaders read themselves.
 */
export function primeRelations(dataSource: DataSource, loaders: Loaders, rows: Booking[], included: RowExpression[]): void {
  for (const { alias } of included) {
    const relation = RELATIONS[alias.slice(ALIAS_PREFIX.length)];
    const meta = dataSource.getMetadata(relation.entity);
    const timestamps = meta.columns.filter((c) => c.type === "timestamp").map((c) => c.propertyName);
    const prototype = (relation.entity as { prototype: object }).prototype;
    const revive = (value: Record<string, unknown>) => {
      for (const name of timestamps) if (typeof value[name] === "string") value[name] = new Date(value[name] as string);
      return Object.setPrototypeOf(value, prototype);
    };
    const loader = relation.loader(loaders);
    for (const row of rows) {
      const bag = row as unknown as Record<string, unknown>;
      const raw = bag[alias];
      // Emptied, not deleted: deleting a property would turn every row into a slow dictionary object.
      bag[alias] = undefined;
      const key = bag[relation.bookingColumn] as number | string | null | undefined;
      if (key == null) continue;
      loader.prime(key, relation.many ? (raw as Record<string, unknown>[]).map(revive) : raw == null ? null : revive(raw as Record<string, unknown>));
    }
  }
}
