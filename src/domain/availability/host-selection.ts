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
  | { ok: true; organizer: HostState; attending: HostState[] }
  | { ok: false; reason: "NOT_AVAILABLE" | "SLOT_TAKEN" };

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
  if (hosts.length === 0) return { ok: false, reason: "NOT_AVAILABLE" };
  const hasHours = (h: HostState) => covers(h.hours, start, end);
  const free = (h: HostState) => !isBusy(h.busy, start, end);
  if (mode === "all") {
    if (!hosts.every(hasHours)) return { ok: false, reason: "NOT_AVAILABLE" };
    if (!hosts.every(free)) return { ok: false, reason: "SLOT_TAKEN" };
    return { ok: true, organizer: hosts[0], attending: hosts.slice(1) };
  }
  const fixed = hosts.filter((h) => h.isFixed);
  let rotating = hosts.filter((h) => !h.isFixed);
  if (pinned != null && rotating.some((h) => h.userId === pinned)) rotating = rotating.filter((h) => h.userId === pinned);
  if (!fixed.every(hasHours)) return { ok: false, reason: "NOT_AVAILABLE" };
  const available = rotating.filter(hasHours);
  if (rotating.length > 0 && available.length === 0) return { ok: false, reason: "NOT_AVAILABLE" };
  if (!fixed.every(free)) return { ok: false, reason: "SLOT_TAKEN" };
  const chosen = available.find(free);
  if (rotating.length > 0 && !chosen) return { ok: false, reason: "SLOT_TAKEN" };
  const organizer = fixed[0] ?? chosen!;
  const attending = [...fixed.slice(1), ...(chosen && chosen !== organizer ? [chosen] : [])];
  return { ok: true, organizer, attending };
}

/** How an event type's hosts combine. */
export function hostMode(eventType: { teamId: number | null; userId: number | null; schedulingType: SchedulingType | null }): "all" | "roundRobin" {
  if (eventType.userId != null || eventType.schedulingType === SchedulingType.COLLECTIVE) return "all";
  return "roundRobin";
}
