/**
 * v1's booking object ("public shape", shared/rest-v1.md): exactly these keys, read through the
 * GraphQL selection below so that every rule of the GraphQL Booking (visibility, the attendee and
 * seat views) applies unchanged.
 */
export const PUBLIC_FIELDS = `id userId description eventTypeId uid title startTime endTime
  attendees { id email name timeZone locale } user { email name timeZone locale }
  payment { id success paymentOption } metadata status responses fromReschedule cancelledBy rescheduledBy createdAt`;
export const TEAM_FIELDS = `eventType { title slug team { name slug } }`;
export const REFERENCE_FIELDS = `references { id type uid meetingId meetingPassword meetingUrl externalCalendarId }`;

type Row = Record<string, unknown> & { status: string };

/** The GraphQL booking as v1 answered it (lower-case status; eventType only when expanded). */
export function publicShape(row: Row, expandTeam: boolean): Record<string, unknown> {
  const { eventType, references: _references, ...rest } = row;
  return { ...rest, status: row.status.toLowerCase(), ...(expandTeam ? { eventType: eventType ?? null } : {}) };
}
