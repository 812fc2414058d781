import { optionalString } from './identity.js';

/** The `user` field Apple posts on the first authorization only: the name is never in the ID token. */
export function appleUserName(raw: unknown): { firstName?: string; lastName?: string } {
  if (typeof raw !== 'string' || raw.length > 4096) return {};
  try {
    const user = JSON.parse(raw) as { name?: { firstName?: unknown; lastName?: unknown } };
    return { firstName: optionalString(user.name?.firstName, 100), lastName: optionalString(user.name?.lastName, 100) };
  } catch {
    return {};
  }
}
