import type { Middleware } from 'koa';
import type { CustomerRow } from '../../identity/customers/entities.js';
import { hasScope, insufficientScope, type Authenticator, type Caller } from './authenticator.js';
import { ApiError } from '../../platform/http/errors.js';

export const ADMIN_SCOPE = 'users:admin';

/**
 * A REMP "API token" endpoint: an API key whitelisted for `endpoint`, or a client-credentials
 * token with `scope`. A user token with `scope` is let through too, and then limited by
 * `assertMayActOn` / `requireAdminUser` to its own user unless it carries users:admin.
 */
export function apiTokenEndpoint(auth: Authenticator, endpoint: string, scope: string): Middleware {
  return auth.authenticate({ scopes: [scope], allowApiKey: { endpoint } });
}

/** A REMP "User token" endpoint: only a customer's own access token. */
export function userTokenEndpoint(auth: Authenticator, scope: string): Middleware {
  return auth.authenticate({ scopes: [scope], allowClient: false });
}

export const isAdminUser = (caller: Caller) => caller.kind === 'user' && hasScope(caller, ADMIN_SCOPE);

/** Endpoints that act on users in general (create, confirm, groups, …): a user token needs users:admin. */
export function requireAdminUser(caller: Caller): void {
  if (caller.kind === 'user' && !hasScope(caller, ADMIN_SCOPE)) {
    throw insufficientScope([ADMIN_SCOPE], 'This endpoint needs the users:admin scope when called with a user token');
  }
}

export const userNotFound = () => new ApiError(404, 'user_not_found', 'User not found');

/**
 * The target of a request, once the caller may act on it. A user without users:admin gets 403
 * for any other user, and also when the target does not exist, so a user token cannot be used to
 * probe which e-mails or ids are registered.
 */
export function assertMayActOn(caller: Caller, target: CustomerRow | null): CustomerRow {
  if (caller.kind === 'user' && !hasScope(caller, ADMIN_SCOPE) && target?.id !== caller.customerId) {
    throw insufficientScope([ADMIN_SCOPE], 'A user token may act only on its own user');
  }
  if (!target) throw userNotFound();
  return target;
}

/**
 * `users/list` for a user token: its own id only — its UUID or its integer id (`ownNumericId`, the
 * REMP id) — unless it carries users:admin.
 */
export function assertMayActOnIds(caller: Caller, ids: ReadonlyArray<string | number>, ownNumericId?: number): void {
  if (caller.kind === 'user' && !hasScope(caller, ADMIN_SCOPE) && ids.some((id) => id !== caller.customerId && id !== ownNumericId)) {
    throw insufficientScope([ADMIN_SCOPE], 'A user token may act only on its own user');
  }
}
