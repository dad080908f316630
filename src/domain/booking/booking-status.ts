import { BookingStatus } from "../../entities";
import { conflict } from "../errors";

const { CANCELLED, ACCEPTED, REJECTED, PENDING, AWAITING_HOST } = BookingStatus;

/**
 * The booking lifecycle as a state machine: for each state, the states it may move to.
 * CANCELLED and REJECTED are final. Cal.com v1 let any status become any other.
 */
export const TRANSITIONS: Readonly<Record<BookingStatus, readonly BookingStatus[]>> = {
  [PENDING]: [ACCEPTED, REJECTED, CANCELLED],
  [AWAITING_HOST]: [ACCEPTED, CANCELLED],
  [ACCEPTED]: [CANCELLED],
  [CANCELLED]: [],
  [REJECTED]: [],
};

/** States in which a booking holds its slot (the organizer may not be double-booked). */
export const SLOT_HOLDING: readonly BookingStatus[] = [ACCEPTED, PENDING];

export function canTransition(from: BookingStatus, to: BookingStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Throws CONFLICT / INVALID_TRANSITION unless `from → to` is allowed (setting the same state is not a change). */
export function assertTransition(from: BookingStatus, to: BookingStatus): void {
  if (from === to || canTransition(from, to)) return;
  throw conflict("INVALID_TRANSITION", `A ${label(from)} booking cannot become ${label(to)}.`);
}

/** The API's name of a status (upper case), for messages. */
export function label(status: BookingStatus): string {
  return (Object.keys(BookingStatus) as Array<keyof typeof BookingStatus>).find((k) => BookingStatus[k] === status) ?? status;
}
