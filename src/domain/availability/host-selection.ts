import { SchedulingType } from "../../entities/enums";
import { covers, type Range } from "./ranges";
import { isBusy, type HostBusy } from "./busy-time";

/**
 * Which hosts a booking needs and who organizes it (domain.md "Availability" → Teams). Personal
 * event types: the owner. COLLECTIVE: every host must be free; the organizer is the first host and
 * the others attend. ROUND_ROBIN (and team event types without a scheduling type, and MANAGED): every
 * fixed host must be free and, when there are non-fixed hosts, at least one of them; the organizer is
 * the first fixed host, else the first free non-fixed host; the other fixed hosts and the chosen
 * non-fixed host (when not the organizer) attend. Host order: fixed first, then higher priority
 * (null = 2), higher weight (null = 100), lower user id.
 */

export interface HostState {
  userId: number;
  name: string | null;
  email: string;
  timeZone: string;
  locale: string | null;
  isFixed: boolean;
  priority: number | null;
  weight: number | null;
  /** Working hours minus out-of-office, merged. */
  hours: Range[];
  busy: HostBusy;
}

/** Sorts hosts into host order (a copy). */
export function orderHosts<T extends Pick<HostState, "userId" | "isFixed" | "priority" | "weight">>(hosts: readonly T[]): T[] {
  return [...hosts].sort(
    (a, b) =>
      Number(b.isFixed) - Number(a.isFixed) ||
      (b.priority ?? 2) - (a.priority ?? 2) ||
      (b.weight ?? 100) - (a.weight ?? 100) ||
      a.userId - b.userId,
  );
}

export type HostDecision =
  { ok: true; organizer: HostState; attending: HostState[] } | { ok: false; reason: "NOT_AVAILABLE" | "SLOT_TAKEN" };

/**
 * Decides [start, end) for hosts in host order. `mode`: "all" (personal, collective) or "roundRobin".
 * `pinned`: a booking being rescheduled keeps its organizer, so a non-fixed host other than them is
 * not a candidate.
 */
export function decideHosts(
  hosts: readonly HostState[],
  mode: "all" | "roundRobin",
  start: number,
  end: number,
  pinned?: number | null,
): HostDecision {
  // Loops rather than filters: `slots` decides every candidate start of a range with this.
  if (hosts.length === 0) return NOT_AVAILABLE;
  if (mode === "all") {
    for (const h of hosts) if (!covers(h.hours, start, end)) return NOT_AVAILABLE;
    for (const h of hosts) if (isBusy(h.busy, start, end)) return SLOT_TAKEN;
    return { ok: true, organizer: hosts[0], attending: hosts.slice(1) };
  }
  const pinnedRotating = pinned != null && hosts.some((h) => !h.isFixed && h.userId === pinned);
  for (const h of hosts) if (h.isFixed && !covers(h.hours, start, end)) return NOT_AVAILABLE;
  // The first free candidate in host order; whether any candidate has the hours matters only
  // when none is free (NOT_AVAILABLE before SLOT_TAKEN).
  let rotating = false;
  let rotatingHours = false;
  let chosen: HostState | undefined;
  for (const h of hosts) {
    if (h.isFixed || (pinnedRotating && h.userId !== pinned)) continue;
    rotating = true;
    if (!covers(h.hours, start, end)) continue;
    rotatingHours = true;
    if (!isBusy(h.busy, start, end)) {
      chosen = h;
      break;
    }
  }
  if (rotating && !rotatingHours) return NOT_AVAILABLE;
  let organizer: HostState | undefined;
  const attending: HostState[] = [];
  for (const h of hosts) {
    if (!h.isFixed) continue;
    if (isBusy(h.busy, start, end)) return SLOT_TAKEN;
    if (organizer) attending.push(h);
    else organizer = h;
  }
  if (rotating && !chosen) return SLOT_TAKEN;
  if (!organizer) organizer = chosen!;
  else if (chosen) attending.push(chosen);
  return { ok: true, organizer, attending };
}

const NOT_AVAILABLE: HostDecision = { ok: false, reason: "NOT_AVAILABLE" };
const SLOT_TAKEN: HostDecision = { ok: false, reason: "SLOT_TAKEN" };

/** How an event type's hosts combine. */
export function hostMode(eventType: {
  teamId: number | null;
  userId: number | null;
  schedulingType: SchedulingType | null;
}): "all" | "roundRobin" {
  if (eventType.userId != null || eventType.schedulingType === SchedulingType.COLLECTIVE) return "all";
  return "roundRobin";
}
