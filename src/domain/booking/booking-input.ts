import { LruMap } from "../../cached";
import type { EventType } from "../../entities";
import { badInput, quoteInput } from "../errors";
import { isInstantInRange } from "../instants";

/** What a client asks for when booking (the GraphQL input, as plain data). */
export interface CreateBookingCommand {
  eventTypeId: number;
  start: Date;
  end?: Date | null;
  timeZone: string;
  language?: string | null;
  responses: {
    name: string;
    email: string;
    location?: { value: string; optionValue?: string | null } | null;
    guests?: string[] | null;
    notes?: string | null;
    smsReminderNumber?: string | null;
  };
  title?: string | null;
  description?: string | null;
  metadata?: unknown;
  recurringEventId?: string | null;
  idempotencyKey?: string | null;
}

/** Location kinds Cal.com knows (`responses.location.value`). */
export const KNOWN_LOCATIONS: ReadonlySet<string> = new Set([
  "userPhone",
  "phone",
  "link",
  "inPerson",
  "attendeeInPerson",
  "integrations:daily",
  "integrations:google:meet",
  "integrations:zoom",
  "integrations:around_video",
  "integrations:campfire_video",
  "integrations:demodesk_video",
  "integrations:discord_video",
  "integrations:facetime_video",
  "integrations:mirotalk_video",
  "integrations:whereby_video",
  "integrations:huddle01",
]);
/** Kinds whose address comes from the attendee, in `optionValue`. */
const ATTENDEE_SUPPLIED = new Set(["phone", "attendeeInPerson"]);

export const LIMITS = { name: 200, email: 254, title: 500, text: 10_000, guests: 30, key: 255, metadataKeys: 50, language: 35 } as const;

const EMAIL = /^[^\s@<>(),;:"[\]]+@[^\s@<>(),;:"[\]]+\.[^\s@<>(),;:"[\]]+$/;

export function isValidEmail(email: string): boolean {
  return email.length <= LIMITS.email && EMAIL.test(email);
}

/** Words of IANA zone names whose letter case the capitalization rule below does not give. */
const IRREGULAR_ZONE_WORDS = new Map([
  ["mcmurdo", "McMurdo"],
  ["dumontdurville", "DumontDUrville"],
  ["comodrivadavia", "ComodRivadavia"],
  ["bajanorte", "BajaNorte"],
  ["bajasur", "BajaSur"],
  ["denoronha", "DeNoronha"],
  ["easterisland", "EasterIsland"],
  ["of", "of"],
  ["au", "au"],
  ["es", "es"],
  ["su", "SU"],
  ["gb", "GB"],
  ["nz", "NZ"],
  ["in", "IN"],
  ["chat", "CHAT"],
]);

/**
 * IANA's letter case for a zone name given in any case: segments with a digit or of at most three
 * letters in capitals (`Etc/GMT+5`, `US/Eastern`, `EST5EDT`; not `Etc`, `Yap`), other words
 * capitalized (`America/Port-au-Prince`, `Antarctica/DumontDUrville` from the table above). Gives
 * every name of the tz database exactly, links included.
 */
function ianaLetterCase(zone: string): string {
  return zone
    .toLowerCase()
    .split("/")
    .map((part) =>
      /\d/.test(part) || (part.length <= 3 && part !== "etc" && part !== "yap")
        ? part.toUpperCase()
        : part.replace(/[a-z]+/g, (word) => IRREGULAR_ZONE_WORDS.get(word) ?? word[0].toUpperCase() + word.slice(1)),
    )
    .join("/");
}

/**
 * The canonical IANA spelling of a zone the runtime knows (`europe/berlin` → `Europe/Berlin`), or
 * undefined; offsets and abbreviations are refused. The name the client chose is kept: ICU resolves
 * links to CLDR's names, some of them IANA's old ones (`Europe/Kyiv` → `Europe/Kiev`,
 * `Asia/Kolkata` → `Asia/Calcutta`), so its answer is taken only when it is the same name.
 */
export function canonicalTimeZone(zone: string): string | undefined {
  if (!zone || zone.length > 64 || !/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(zone)) return undefined;
  // Building an Intl.DateTimeFormat costs about 0.25 ms: answers are kept (a bounded map, misses too).
  const known = canonicalZones.get(zone);
  if (known !== undefined) return known ?? undefined;
  const canonical = resolveTimeZone(zone);
  canonicalZones.set(zone, canonical ?? null);
  return canonical;
}

const canonicalZones = new LruMap<string, string | null>(1_000);

function resolveTimeZone(zone: string): string | undefined {
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
  return resolved.toLowerCase() === zone.toLowerCase() ? resolved : ianaLetterCase(zone);
}

/** An IANA zone the runtime knows (e.g. `Europe/Berlin`), in any letter case. */
export function isValidTimeZone(zone: string): boolean {
  return canonicalTimeZone(zone) !== undefined;
}

/**
 * A well-formed BCP 47 language tag (`en`, `pt-BR`, `zh-Hant`, `de-DE-u-co-phonebk`) of at most 35
 * characters, the length RFC 5646 asks every implementation to support; Intl decides well-formedness.
 */
export function isValidLanguage(tag: string): boolean {
  if (tag.length === 0 || tag.length > LIMITS.language || !/^[A-Za-z0-9-]+$/.test(tag)) return false;
  try {
    Intl.getCanonicalLocales(tag);
    return true;
  } catch {
    return false;
  }
}

/**
 * Guests as stored: each address once, ignoring letter case (the first spelling kept), and never
 * the booker's own address (the booker is an attendee already).
 */
export function distinctGuests(guests: readonly string[], bookerEmail: string): string[] {
  const seen = new Set([bookerEmail.toLowerCase()]);
  const distinct: string[] = [];
  for (const guest of guests) {
    const key = guest.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    distinct.push(guest);
  }
  return distinct;
}

/** `metadata` as Cal.com v1 takes it: an object of string values. */
function checkMetadata(metadata: unknown): Record<string, string> {
  if (metadata == null) return {};
  if (typeof metadata !== "object" || Array.isArray(metadata)) throw badInput("metadata", "metadata must be an object of string values.");
  const entries = Object.entries(metadata as Record<string, unknown>);
  if (entries.length > LIMITS.metadataKeys) throw badInput("metadata", `metadata may have at most ${LIMITS.metadataKeys} keys.`);
  for (const [key, value] of entries) {
    if (typeof value !== "string") throw badInput("metadata", `metadata[${quoteInput(key)}] must be a string.`);
    if (key.length > 40 || value.length > 500)
      throw badInput("metadata", `metadata[${quoteInput(key)}] is too long (keys 40, values 500 characters).`);
  }
  return metadata as Record<string, string>;
}

function checkLength(field: string, value: string | null | undefined, max: number, required = false): void {
  if (value == null) {
    if (required) throw badInput(field, `${field} is required.`);
    return;
  }
  if (required && value.trim() === "") throw badInput(field, `${field} must not be empty.`);
  if (value.length > max) throw badInput(field, `${field} must be at most ${max} characters.`);
}

/** Durations (minutes) an event type allows: its length, or one of `metadata.multipleDuration`. */
export function allowedDurations(eventType: Pick<EventType, "length" | "metadata">): number[] {
  const extra = (eventType.metadata as { multipleDuration?: unknown } | null)?.multipleDuration;
  const list = Array.isArray(extra) ? extra.filter((n): n is number => Number.isInteger(n) && n > 0) : [];
  return [...new Set([eventType.length, ...list])];
}

interface ConfiguredLocation {
  type: string;
  address?: string;
  link?: string;
  hostPhoneNumber?: string;
}

/** The event type's configured locations (`[{type, address?, link?}]`), ignoring malformed entries. */
function configuredLocations(eventType: Pick<EventType, "locations">): ConfiguredLocation[] {
  return Array.isArray(eventType.locations)
    ? eventType.locations.filter(
        (l): l is ConfiguredLocation => typeof l === "object" && l !== null && typeof (l as ConfiguredLocation).type === "string",
      )
    : [];
}

export interface ValidatedCreate {
  start: Date;
  end: Date;
  language: string;
  /** The booker's zone in its canonical IANA spelling (what the attendee rows store). */
  timeZone: string;
  /** Distinct guests, without the booker (see distinctGuests). */
  guests: string[];
  metadata: Record<string, string>;
  /** `{value, optionValue}` as stored in responses, or null when the event type has no location. */
  location: { value: string; optionValue: string } | null;
  /** What goes into `"Booking".location`: optionValue || configured address/link || value. */
  locationText: string | null;
}

/**
 * Checks a create request against Cal.com's rules; every violation is BAD_USER_INPUT naming the
 * field. `now` is injected so the time rules are testable.
 */
export function validateCreate(cmd: CreateBookingCommand, eventType: EventType, now: Date): ValidatedCreate {
  const language = cmd.language ?? "en";
  if (!isValidLanguage(language)) {
    throw badInput(
      "language",
      `${quoteInput(language)} is not a language tag of at most ${LIMITS.language} characters (e.g. "en", "pt-BR").`,
    );
  }
  const timeZone = canonicalTimeZone(cmd.timeZone);
  if (!timeZone) throw badInput("timeZone", `${quoteInput(cmd.timeZone)} is not an IANA time zone (e.g. "Europe/Berlin").`);

  const r = cmd.responses;
  checkLength("responses.name", r.name, LIMITS.name, true);
  const email = r.email.trim();
  if (!isValidEmail(email)) throw badInput("responses.email", `${quoteInput(r.email)} is not a valid e-mail address.`);
  const given = (r.guests ?? []).map((g) => g.trim());
  if (given.length > LIMITS.guests) throw badInput("responses.guests", `At most ${LIMITS.guests} guests.`);
  for (const guest of given) {
    if (!isValidEmail(guest)) throw badInput("responses.guests", `${quoteInput(guest)} is not a valid e-mail address.`);
  }
  const guests = distinctGuests(given, email);
  checkLength("responses.notes", r.notes, LIMITS.text);
  checkLength("responses.smsReminderNumber", r.smsReminderNumber, 32);
  checkLength("title", cmd.title, LIMITS.title);
  if (cmd.title != null && cmd.title.trim() === "") throw badInput("title", "title must not be empty.");
  checkLength("description", cmd.description, LIMITS.text);
  checkLength("recurringEventId", cmd.recurringEventId, LIMITS.key);
  checkLength("idempotencyKey", cmd.idempotencyKey, LIMITS.key);
  if (cmd.idempotencyKey != null && cmd.idempotencyKey.trim() === "") throw badInput("idempotencyKey", "idempotencyKey must not be empty.");
  const metadata = checkMetadata(cmd.metadata);

  // Location: a known kind, and one the event type offers when it configures any.
  const configured = configuredLocations(eventType);
  let location: ValidatedCreate["location"] = null;
  let locationText: string | null = null;
  const asked = r.location;
  if (asked) {
    if (!KNOWN_LOCATIONS.has(asked.value)) throw badInput("responses.location", `Unknown location ${quoteInput(asked.value)}.`);
    const match = configured.find((l) => l.type === asked.value);
    if (configured.length > 0 && !match) {
      throw badInput(
        "responses.location",
        `This event type offers ${configured.map((l) => l.type).join(", ")}, not ${quoteInput(asked.value)}.`,
      );
    }
    const optionValue = asked.optionValue?.trim() ?? "";
    if (ATTENDEE_SUPPLIED.has(asked.value) && !optionValue) {
      throw badInput("responses.location", `Location ${quoteInput(asked.value)} needs the attendee's value in optionValue.`);
    }
    checkLength("responses.location", optionValue, 1_000);
    location = { value: asked.value, optionValue };
    locationText = optionValue || match?.address || match?.link || asked.value;
  } else if (configured.length > 0) {
    const first = configured[0];
    location = { value: first.type, optionValue: "" };
    locationText = first.address || first.link || first.type;
  }

  // Times: end defaults to start + length; the duration must be one the event type allows.
  const start = cmd.start;
  const end = cmd.end ?? new Date(start.getTime() + eventType.length * 60_000);
  if (end.getTime() <= start.getTime()) throw badInput("end", "end must be after start.");
  // A computed end is held to the DateTime range a given one is (a year-10000 end broke cursors).
  if (!isInstantInRange(end)) throw badInput("end", "end must be no later than 9999-12-31T23:59:59.999Z.");
  const minutes = (end.getTime() - start.getTime()) / 60_000;
  const durations = allowedDurations(eventType);
  if (!durations.includes(minutes)) {
    throw badInput("end", `The booking must last ${durations.join(" or ")} minutes (got ${minutes}).`);
  }
  // Minimum notice and the booking period are availability rules (availability/booking-fit.ts).
  if (start.getTime() < now.getTime()) throw badInput("start", "start is in the past.");

  return { start, end, language, timeZone, guests, metadata, location, locationText };
}

/** Title from the event type's `eventName` template (Cal.com's variables), else Cal.com's default. */
export function bookingTitle(
  eventType: Pick<EventType, "title" | "eventName" | "length">,
  organizerName: string,
  bookerName: string,
  locationText: string | null,
): string {
  if (!eventType.eventName) return `${eventType.title} between ${organizerName} and ${bookerName}`;
  const first = (name: string) => name.split(" ")[0] ?? name;
  const values: Record<string, string> = {
    "event type title": eventType.title,
    "event duration": `${eventType.length} mins`,
    scheduler: bookerName,
    attendee: bookerName,
    "attendee name": bookerName,
    "scheduler first name": first(bookerName),
    organiser: organizerName,
    organizer: organizerName,
    host: organizerName,
    "organiser first name": first(organizerName),
    location: locationText ?? "",
  };
  return eventType.eventName.replace(/\{([^{}]+)\}/g, (whole, name: string) => values[name.trim().toLowerCase()] ?? whole);
}
