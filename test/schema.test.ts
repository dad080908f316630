import { readFileSync } from "node:fs";
import path from "node:path";
import {
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
  isSpecifiedScalarType,
  isIntrospectionType,
  type GraphQLEnumType,
  type GraphQLInputObjectType,
  type GraphQLObjectType,
} from "graphql";
import { gatewaySchema, printGatewaySchema } from "../src/graphql/schema";

/** The checked-in schema.graphql is what the code emits, and everything in it is documented. */
describe("schema", () => {
  it("matches schema.graphql (run `npm run schema` after changing the API)", () => {
    const onDisk = readFileSync(path.join(__dirname, "..", "schema.graphql"), "utf8");
    expect(onDisk).toBe(printGatewaySchema());
  });

  it("has a description on every type, field, argument, input field and enum value", () => {
    const missing: string[] = [];
    for (const type of Object.values(gatewaySchema().getTypeMap())) {
      if (isIntrospectionType(type) || (isScalarType(type) && isSpecifiedScalarType(type))) continue;
      if (!type.description) missing.push(type.name);
      if (isObjectType(type) || isInterfaceType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) missing.push(`${type.name}.${field.name}`);
          for (const arg of field.args) if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
        }
      }
      if (isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) if (!field.description) missing.push(`${type.name}.${field.name}`);
      }
      if (isEnumType(type)) {
        for (const value of type.getValues()) if (!value.description) missing.push(`${type.name}.${value.name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("names the contract's types and fields", () => {
    const schema = gatewaySchema();
    const fields = (name: string) => Object.keys((schema.getType(name) as GraphQLObjectType | GraphQLInputObjectType).getFields());
    expect(fields("Query")).toEqual(expect.arrayContaining(["bookings", "booking", "me"]));
    expect(fields("BookingPage")).toEqual(expect.arrayContaining(["nodes", "totalCount", "page", "take", "hasNextPage"]));
    expect(fields("Booking")).toEqual(
      expect.arrayContaining([
        "id",
        "uid",
        "idempotencyKey",
        "user",
        "userId",
        "userPrimaryEmail",
        "references",
        "eventType",
        "eventTypeId",
        "title",
        "description",
        "responses",
        "location",
        "startTime",
        "endTime",
        "attendees",
        "createdAt",
        "updatedAt",
        "status",
        "paid",
        "payment",
        "destinationCalendar",
        "destinationCalendarId",
        "cancellationReason",
        "rejectionReason",
        "dynamicEventSlugRef",
        "dynamicGroupSlugRef",
        "rescheduled",
        "fromReschedule",
        "recurringEventId",
        "smsReminderNumber",
        "workflowReminders",
        "seatsReferences",
        "metadata",
        "isRecorded",
        "iCalUID",
        "iCalSequence",
        "instantMeetingToken",
        "rating",
        "ratingFeedback",
        "noShowHost",
        "scheduledTriggers",
      ]),
    );
    expect(fields("BookingFilter")).toEqual(["userIds", "attendeeEmail", "status", "eventTypeIds", "dateFrom", "dateTo"]);
    expect((schema.getType("BookingStatus") as GraphQLEnumType).getValues().map((v: { name: string }) => v.name)).toEqual([
      "CANCELLED",
      "ACCEPTED",
      "REJECTED",
      "PENDING",
      "AWAITING_HOST",
    ]);
  });
});
