import type { Booking } from "../../entities";
import { badInput } from "../errors";
import { isInstantInRange } from "../instants";
import type { SqlCondition } from "./booking.policy";

/** Sortable columns (enum values are `"Booking"` column names). */
export enum BookingOrderField {
  START_TIME = "startTime",
  END_TIME = "endTime",
  CREATED_AT = "createdAt",
  UPDATED_AT = "updatedAt",
  ID = "id",
}

export enum OrderDirection {
  ASC = "ASC",
  DESC = "DESC",
}

/** An effective sort order. */
export interface BookingSort {
  field: BookingOrderField;
  direction: OrderDirection;
}

/** A row's position in a sort order: its sort value (UTC instant, id, or null for updatedAt) and id. */
export interface BookingPosition extends BookingSort {
  value: Date | number | null;
  id: number;
}

/** The effective order: START_TIME ASC unless given. */
export function resolveOrder(orderBy?: { field?: BookingOrderField | null; direction?: OrderDirection | null } | null): BookingSort {
  return { field: orderBy?.field ?? BookingOrderField.START_TIME, direction: orderBy?.direction ?? OrderDirection.ASC };
}

/**
 * The ORDER BY list of a total order over `"Booking"` rows of `alias`: the sort column, then id in the
 * same direction; updatedAt NULLS LAST in both directions (Postgres' default would put them first in DESC).
 * `reversed`: the exact reverse of that order (every direction flipped, updatedAt's nulls first; the
 * other columns' nulls follow Postgres' default, which flips with the direction).
 */
export function orderSql({ field, direction }: BookingSort, alias = "b", reversed = false): string {
  const dir = reversed ? (direction === OrderDirection.ASC ? OrderDirection.DESC : OrderDirection.ASC) : direction;
  const nulls = field === BookingOrderField.UPDATED_AT ? (reversed ? " NULLS FIRST" : " NULLS LAST") : "";
  const sortColumn = `${alias}."${field}" ${dir}${nulls}`;
  return field === BookingOrderField.ID ? sortColumn : `${sortColumn}, ${alias}."id" ${dir}`;
}

/** The row's position in `sort`. */
export function positionOf(booking: Booking, sort: BookingSort): BookingPosition {
  return { ...sort, value: sortValue(booking, sort.field), id: booking.id };
}

function sortValue(booking: Booking, field: BookingOrderField): Date | number | null {
  switch (field) {
    case BookingOrderField.START_TIME:
      return booking.startTime;
    case BookingOrderField.END_TIME:
      return booking.endTime;
    case BookingOrderField.CREATED_AT:
      return booking.createdAt;
    case BookingOrderField.UPDATED_AT:
      return booking.updatedAt;
    case BookingOrderField.ID:
      return booking.id;
  }
}

/** Cursor payload: short keys keep cursors small; `v` is an ISO-8601 UTC string, an id, or null. */
interface CursorPayload {
  f: string;
  d: string;
  v: string | number | null;
  i: number;
}

/**
 * An opaque cursor: base64url of `{f, d, v, i}` (field, direction, sort value, id). Instants are
 * written with `toISOString()` (UTC, milliseconds), which is exactly what `timestamp(3)` holds, so a
 * cursor points at its row whatever the process time zone.
 */
export function encodeCursor(position: BookingPosition): string {
  const v = position.value instanceof Date ? position.value.toISOString() : position.value;
  const payload: CursorPayload = { f: position.field, d: position.direction, v, i: position.id };
  return Buffer.from(JSON.stringify(payload), "utf8").toString("base64url");
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** Largest `"Booking".id` (a Postgres integer): a forged id above it would fail in SQL, not here. */
const MAX_ID = 2_147_483_647;
const isId = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 1 && (x as number) <= MAX_ID;

/**
 * Decodes `after` for `sort`. BAD_USER_INPUT (field "after") when it is not one of our cursors, holds
 * values no row can have (an id outside 1 … 2^31−1, an instant outside the DateTime range), or was
 * made for another order: a position in one order means nothing in another.
 */
export function decodeCursor(cursor: string, sort: BookingSort): BookingPosition {
  const invalid = () => badInput("after", "after is not a cursor returned by this query.");
  if (!/^[A-Za-z0-9_-]{1,512}$/.test(cursor)) throw invalid();
  let payload: Partial<CursorPayload> | null;
  try {
    payload = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as Partial<CursorPayload> | null;
  } catch {
    throw invalid();
  }
  if (typeof payload !== "object" || payload === null || !isId(payload.i)) throw invalid();
  if (payload.f !== sort.field || payload.d !== sort.direction) {
    throw badInput("after", "after was made for another orderBy: a cursor only works with the order it came from.");
  }
  const id = payload.i;
  if (sort.field === BookingOrderField.ID) {
    if (payload.v !== id) throw invalid();
    return { ...sort, value: id, id };
  }
  if (payload.v === null && sort.field === BookingOrderField.UPDATED_AT) return { ...sort, value: null, id };
  if (typeof payload.v !== "string" || !ISO_UTC.test(payload.v)) throw invalid();
  const value = new Date(payload.v);
  if (Number.isNaN(value.getTime()) || !isInstantInRange(value) || value.toISOString() !== payload.v) throw invalid();
  return { ...sort, value, id };
}

/**
 * Rows strictly after `position` in its order (alias `b`), as a row-value comparison so the
 * `(column, id)` index serves it as a range scan. updatedAt sorts NULLS LAST: after a value come
 * greater (ASC) / lesser (DESC) values, the same value with a later id, then every NULL row; after a
 * NULL only NULL rows with a later id.
 */
export function keysetCondition(position: BookingPosition): SqlCondition {
  const op = position.direction === OrderDirection.ASC ? ">" : "<";
  const params = { k_value: position.value, k_id: position.id };
  if (position.field === BookingOrderField.ID) return { sql: `b."id" ${op} :k_id`, params };
  const column = `b."${position.field}"`;
  if (position.value === null) return { sql: `(${column} IS NULL AND b."id" ${op} :k_id)`, params };
  const after = `(${column}, b."id") ${op} (CAST(:k_value AS timestamp(3)), :k_id)`;
  const nullable = position.field === BookingOrderField.UPDATED_AT;
  return { sql: nullable ? `(${after} OR ${column} IS NULL)` : after, params };
}
