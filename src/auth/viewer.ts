import type { User } from "../entities";
import { UserPermissionRole } from "../entities";

/** Who is asking: the API key's owner, with the roles that widen what they may see and do. */
export interface Viewer {
  user: User;
  /** `users.role = 'ADMIN'`: sees and acts on every booking. */
  isSystemAdmin: boolean;
  /**
   * Organizations whose bookings the viewer administers: accepted ADMIN/OWNER membership of a team
   * with `isOrganization` whose `"OrganizationSettings".isAdminAPIEnabled` is true. All of them
   * count (Cal.com v1 looked only at the first).
   */
  adminOrganizationIds: number[];
}

export function viewerFor(user: User, adminOrganizationIds: number[] = []): Viewer {
  return { user, isSystemAdmin: user.role === UserPermissionRole.ADMIN, adminOrganizationIds };
}

/** True for an organization admin (of at least one organization with the admin API enabled). */
export function isOrganizationAdmin(viewer: Viewer): boolean {
  return viewer.adminOrganizationIds.length > 0;
}
