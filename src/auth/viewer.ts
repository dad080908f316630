import type { User } from "../entities";
import { UserPermissionRole } from "../entities";

/** Who is asking: the API key's owner, with the roles that widen what they may see and do. */
export interface Viewer {
  user: User;
  /** `users.role = 'ADMIN'`: sees and acts on every booking. */
  isSystemAdmin: boolean;
}

export function viewerFor(user: User): Viewer {
  return { user, isSystemAdmin: user.role === UserPermissionRole.ADMIN };
}
