import {
  getNamedType,
  getNullableType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLField,
  type GraphQLSchema,
} from "graphql";
import type { DataSource, EntityTarget, ObjectLiteral } from "typeorm";
import {
  Attendee,
  Booking,
  BookingReference,
  BookingSeat,
  DestinationCalendar,
  EventType,
  InstantMeetingToken,
  Payment,
  User,
  WebhookScheduledTrigger,
  WorkflowReminder,
} from "../entities";

/**
 * What the compiler knows about the tables behind GraphQL types: stage 1 of the read path
 * (README.md). Columns come from the entity metadata (a GraphQL field is read from the column of
 * the entity property of the same name), relations from RELATIONS below; together with the schema
 * they give every field of a catalog type exactly one reading, or none (the executor answers it).
 */

/** The entity class of each GraphQL object type the read path reads from a table. */
const ENTITY_OF_TYPE: Record<string, EntityTarget<ObjectLiteral>> = {
  Booking,
  User,
  EventType,
  Attendee,
  Payment,
  BookingReference,
  DestinationCalendar,
  WorkflowReminder,
  BookingSeat,
  InstantMeetingToken,
  WebhookScheduledTrigger,
};

/** A relation field: rows of `type` whose `childColumn` equals the parent's `parentColumn` (properties). */
export interface RelationSpec {
  type: string;
  many: boolean;
  parentColumn: string;
  childColumn: string;
}

/**
 * Relation fields, by type and field: the same joins the executor's loaders make
 * (src/loaders: by id, or by the booking's id / uid; lists in id order).
 */
export const RELATIONS: Record<string, Record<string, RelationSpec>> = {
  Booking: {
    user: { type: "User", many: false, parentColumn: "userId", childColumn: "id" },
    eventType: { type: "EventType", many: false, parentColumn: "eventTypeId", childColumn: "id" },
    destinationCalendar: { type: "DestinationCalendar", many: false, parentColumn: "destinationCalendarId", childColumn: "id" },
    attendees: { type: "Attendee", many: true, parentColumn: "id", childColumn: "bookingId" },
    payment: { type: "Payment", many: true, parentColumn: "id", childColumn: "bookingId" },
    references: { type: "BookingReference", many: true, parentColumn: "id", childColumn: "bookingId" },
    seatsReferences: { type: "BookingSeat", many: true, parentColumn: "id", childColumn: "bookingId" },
    scheduledTriggers: { type: "WebhookScheduledTrigger", many: true, parentColumn: "id", childColumn: "bookingId" },
    workflowReminders: { type: "WorkflowReminder", many: true, parentColumn: "uid", childColumn: "bookingUid" },
    instantMeetingToken: { type: "InstantMeetingToken", many: false, parentColumn: "id", childColumn: "bookingId" },
  },
  EventType: {
    owner: { type: "User", many: false, parentColumn: "userId", childColumn: "id" },
  },
};

/** Fields that are not stored: null on every read (Booking.manageToken exists only in the answer of the mutation that made it). */
export const NULL_ON_READ: Record<string, readonly string[]> = { Booking: ["manageToken"] };

/**
 * Fields computed by the executor's resolvers (an operation that selects one runs on the executor):
 * EventType's allowed durations, team and ordered hosts.
 */
export const EXECUTOR_ONLY: Record<string, readonly string[]> = { EventType: ["lengths", "team", "hosts"] };

/** How the value of a column field is written as JSON text (json-sql.ts). */
export type ScalarKind = "int" | "string" | "boolean" | "datetime" | "json" | { enum: ReadonlyMap<string, string> };

export interface ColumnField {
  kind: "column";
  column: string;
  scalar: ScalarKind;
  /** The GraphQL field may be null. */
  nullable: boolean;
  /** The column may hold NULL. */
  columnNullable: boolean;
}
export interface RelationField {
  kind: "relation";
  spec: RelationSpec;
  /** Child and parent key columns (database names). */
  childColumn: string;
  parentColumn: string;
  nullable: boolean;
}
export type FieldReading = ColumnField | RelationField | { kind: "null" } | { kind: "executor"; why: string };

export interface TableType {
  name: string;
  table: string;
  fields: ReadonlyMap<string, FieldReading>;
}

export type Catalog = ReadonlyMap<string, TableType>;

const TEXT_TYPES = new Set(["text", "varchar", "String", "uuid", "enum"]);
const INT_TYPES = new Set(["int", "integer", "Number"]);

/**
 * The catalog of a schema on a data source: every field of every type in ENTITY_OF_TYPE gets its
 * reading. A field that maps to nothing reads as `executor` with the reason (catalog.test.ts lists
 * them: only EXECUTOR_ONLY fields may be there).
 */
export function buildCatalog(schema: GraphQLSchema, dataSource: DataSource): Catalog {
  const catalog = new Map<string, TableType>();
  for (const [name, entity] of Object.entries(ENTITY_OF_TYPE)) {
    const type = schema.getType(name);
    if (!isObjectType(type)) continue;
    const meta = dataSource.getMetadata(entity);
    const columnOf = (property: string) => meta.columns.find((c) => c.propertyName === property);
    const fields = new Map<string, FieldReading>();
    for (const field of Object.values(type.getFields())) {
      fields.set(
        field.name,
        reading(name, field, columnOf, (property) => {
          const relation = RELATIONS[name]?.[field.name];
          const target = relation && ENTITY_OF_TYPE[relation.type];
          return target ? dataSource.getMetadata(target).columns.find((c) => c.propertyName === property)?.databaseName : undefined;
        }),
      );
    }
    catalog.set(name, { name, table: meta.tableName, fields });
  }
  return catalog;
}

type ColumnLookup = (property: string) => { databaseName: string; type: unknown; isNullable: boolean } | undefined;

function reading(
  typeName: string,
  field: GraphQLField<unknown, unknown>,
  columnOf: ColumnLookup,
  childColumnOf: (p: string) => string | undefined,
): FieldReading {
  if (EXECUTOR_ONLY[typeName]?.includes(field.name)) return { kind: "executor", why: "computed by a resolver" };
  if (NULL_ON_READ[typeName]?.includes(field.name)) return { kind: "null" };
  const nullable = !isNonNullType(field.type);
  const relation = RELATIONS[typeName]?.[field.name];
  if (relation) {
    const parent = columnOf(relation.parentColumn);
    const child = childColumnOf(relation.childColumn);
    const named = getNamedType(field.type);
    const listed = isListType(getNullableType(field.type));
    if (!parent || !child || named.name !== relation.type || listed !== relation.many) {
      return {
        kind: "executor",
        why: `relation ${relation.type}.${relation.childColumn} = ${typeName}.${relation.parentColumn} does not match the schema or the tables`,
      };
    }
    return { kind: "relation", spec: relation, childColumn: child, parentColumn: parent.databaseName, nullable };
  }
  const column = columnOf(field.name);
  if (!column) return { kind: "executor", why: "no column of that name" };
  const columnType = typeof column.type === "function" ? (column.type as { name: string }).name : String(column.type);
  const type = getNullableType(field.type);
  let scalar: ScalarKind | undefined;
  if (isEnumType(type)) {
    if (columnType !== "enum") return { kind: "executor", why: "an enum field over a non-enum column" };
    scalar = { enum: new Map(type.getValues().map((v) => [String(v.value), v.name])) };
  } else if (isScalarType(type)) {
    const kinds: Record<string, ScalarKind | undefined> = {
      Int: "int",
      String: "string",
      Boolean: "boolean",
      DateTime: "datetime",
      JSON: "json",
    };
    const kind = kinds[type.name];
    const fits =
      (kind === "int" && INT_TYPES.has(columnType)) ||
      (kind === "string" && TEXT_TYPES.has(columnType)) ||
      (kind === "boolean" && (columnType === "boolean" || columnType === "Boolean")) ||
      (kind === "datetime" && columnType === "timestamp") ||
      (kind === "json" && (columnType === "jsonb" || columnType === "json"));
    if (!kind || !fits) return { kind: "executor", why: `${type.name} over a ${columnType} column` };
    scalar = kind;
  }
  if (!scalar) return { kind: "executor", why: "not a scalar or enum" };
  return { kind: "column", column: column.databaseName, scalar, nullable, columnNullable: column.isNullable };
}
