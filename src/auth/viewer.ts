import { User, UserPermissionRole } from "../entities";

/**
 * Who is asking, as the policy (domain/booking/booking.policy.ts) understands it:
 * - `user`: a Cal.com user, by API key or JWT (the same rights either way);
 * - `public`: nobody (no credential, PUBLIC_BOOKING=true): public event types, slots, createBooking;
 * - `bookingToken`: the holder of one booking's token (`bk_…`): that booking only.
 * Public and token viewers carry a stand-in `user` (id −1, matching no row); a token viewer's
 * stand-in has the booker's e-mail, so a seat holder's token acts on their own seat.
 */
export type ViewerKind = "user" | "public" | "bookingToken";

export interface Viewer {
  kind: ViewerKind;
  user: User;
  /** `users.role = 'ADMIN'`: sees and acts on every booking. */
  isSystemAdmin: boolean;
  /**
   * Organizations whose bookings the viewer administers: accepted ADMIN/OWNER membership of a team
   * with `isOrganization` whose `"OrganizationSettings".isAdminAPIEnabled` is true. All of them
   * count (Cal.com v1 looked only at the first).
   */
  adminOrganizationIds: number[];
  /** bookingToken: the uid of the booking the token manages. */
  bookingUid?: string;
}

export function viewerFor(user: User, adminOrganizationIds: number[] = []): Viewer {
  return { kind: "user", user, isSystemAdmin: user.role === UserPermissionRole.ADMIN, adminOrganizationIds };
}

/** A user that is nobody: id −1 (no row has it), the given e-mail (none: an address no row can hold). */
function standIn(email: string): User {
  return Object.assign(Object.create(User.prototype) as User, {
    id: -1,
    username: null,
    name: null,
    email,
    timeZone: "UTC",
    locale: null,
    role: UserPermissionRole.USER,
    locked: false,
  });
}

export function publicViewer(): Viewer {
  return { kind: "public", user: standIn("\u0000no-viewer"), isSystemAdmin: false, adminOrganizationIds: [] };
}

export function bookingTokenViewer(bookingUid: string, bookerEmail: string): Viewer {
  return { kind: "bookingToken", user: standIn(bookerEmail), isSystemAdmin: false, adminOrganizationIds: [], bookingUid };
}

/** True for an organization admin (of at least one organization with the admin API enabled). */
export function isOrganizationAdmin(viewer: Viewer): boolean {
  return viewer.adminOrganizationIds.length > 0;
}
