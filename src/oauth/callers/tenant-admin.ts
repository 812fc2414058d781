import { requestEntityManager } from '../../platform/db/orm.js';
import type { Context, Next } from 'koa';
import type { Orm } from '../../platform/db/orm.js';
import { ApiError } from '../../platform/http/errors.js';
import type { AccessTokenClaims } from './access-tokens.js';
import { bothChallenges, presentedAccessToken, type ResolveAccessToken } from './access-token-resolver.js';
import { INTERNAL_CLIENT_ID } from '../clients/internal-client.js';
import type { TenantAdminRow } from '../../identity/tenants/entities.js';
import { findTenantAdmin } from '../../identity/tenants/service.js';

export const TENANT_ADMIN_SCOPE = 'tenants:admin';
const TENANT_ADMIN_SUBJECT = /^tenant-admin:([0-9a-f-]{36})$/;

export const tenantAdminSubject = (adminId: string) => `tenant-admin:${adminId}`;

interface AuthDependencies {
  orm: Orm;
  resolveAccessToken: ResolveAccessToken;
}

const unauthorized = (error = 'invalid_token') =>
  new ApiError(401, 'unauthorized', 'Unauthorized', undefined, { 'WWW-Authenticate': `Bearer realm="gatehouse", error="${error}"` });
const forbidden = () =>
  new ApiError(403, 'insufficient_scope', 'Forbidden', undefined, {
    'WWW-Authenticate': `Bearer realm="gatehouse", error="insufficient_scope", scope="${TENANT_ADMIN_SCOPE}"`,
  });

/** The tenant API's answer to any token failure: the spec's `{status:"Failed"}` body, the RFC challenge kept. */
async function verifiedClaims(deps: AuthDependencies, ctx: Context): Promise<AccessTokenClaims> {
  let claims: AccessTokenClaims;
  try {
    const presented = presentedAccessToken(ctx.get('authorization'));
    if (!presented) throw new ApiError(401, 'unauthorized', 'Unauthorized', undefined, { 'WWW-Authenticate': bothChallenges });
    claims = await deps.resolveAccessToken(ctx, presented, { authoritative: true });
  } catch (error) {
    if (error instanceof ApiError) throw new ApiError(401, 'unauthorized', 'Unauthorized', undefined, error.headers);
    throw error;
  }
  if (!(claims.scope ?? '').split(' ').includes(TENANT_ADMIN_SCOPE)) throw forbidden();
  return claims;
}

/**
 * A tenant admin's token: minted by Gatehouse itself at POST /api/v2/login (internal client) for
 * subject `tenant-admin:<uuid>`, scope tenants:admin, and the admin still exists. No other token
 * (a customer's, a client's) can pass, whatever scopes it carries.
 */
export function requireTenantAdmin(deps: AuthDependencies) {
  return async (ctx: Context, next: Next) => {
    const claims = await verifiedClaims(deps, ctx);
    const subject = TENANT_ADMIN_SUBJECT.exec(claims.sub);
    if (claims.client_id !== INTERNAL_CLIENT_ID || !subject) throw forbidden();
    const admin = await findTenantAdmin(requestEntityManager(deps.orm), subject[1]!);
    if (!admin) throw unauthorized();
    ctx.state.tenantAdmin = admin satisfies TenantAdminRow;
    await next();
  };
}

/**
 * The service operator who activates tenants: a client-credentials token (no end user: `sub` is
 * the client itself) of a registered client granted tenants:admin. Tenant admins' own tokens
 * carry the same scope but come from the internal client, so they can never activate a tenant.
 */
export function requireServiceAdmin(deps: AuthDependencies) {
  return async (ctx: Context, next: Next) => {
    const claims = await verifiedClaims(deps, ctx);
    if (claims.client_id === INTERNAL_CLIENT_ID || claims.sub !== claims.client_id) throw forbidden();
    ctx.state.serviceAdminClientId = claims.client_id;
    await next();
  };
}

export const currentTenantAdmin = (ctx: Context): TenantAdminRow => ctx.state.tenantAdmin as TenantAdminRow;
