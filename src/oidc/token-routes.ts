import Router from '@koa/router';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context, Next } from 'koa';
import { koaBody } from 'koa-body';
import type { Orm } from '../db/orm.js';
import { customerClaims } from '../customers/service.js';
import { readCustomerSummary } from '../customers/read-model.js';
import { ApiError } from '../http/errors.js';
import { isAccessTokenRevoked, looksLikeJwt, revokeAccessToken, type AccessTokenClaims, type VerifyAccessToken } from './access-tokens.js';
import { authenticateClient, type AuthenticatedClient } from './client-auth.js';
import type { ClientMetadataCache } from '../clients/cache.js';
import { OIDC_ROUTES } from './provider.js';

const CLAIMS_BY_SCOPE: Record<string, string[]> = {
  openid: ['sub'],
  profile: ['name', 'given_name', 'family_name', 'locale', 'updated_at'],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
};

const invalidToken = (description: string) =>
  new ApiError(401, 'invalid_token', description, undefined, { 'WWW-Authenticate': `Bearer realm="gatehouse", error="invalid_token", error_description="${description}"` });

/** oidc-provider reads an already-parsed body from `req.body` when the stream has been consumed. */
function handBodyToProvider(ctx: Context) {
  (ctx.req as unknown as { body: unknown }).body = ctx.request.body;
}

const formBody = koaBody({ urlencoded: true, json: false, multipart: false, formLimit: '100kb', text: false });

/**
 * oidc-provider neither stores JWT access tokens nor accepts them at introspection, revocation or
 * userinfo. Gatehouse answers those three for its JWTs here and hands every other token (refresh
 * tokens, anything opaque) to the provider unchanged.
 */
export function createTokenRoutes(deps: { orm: Orm; verifyAccessToken: VerifyAccessToken; clients: ClientMetadataCache }) {
  const router = new Router();

  const verifyActive = async (token: string): Promise<AccessTokenClaims | undefined> => {
    try {
      const claims = await deps.verifyAccessToken(token);
      return (await isAccessTokenRevoked(deps.orm, claims)) ? undefined : claims;
    } catch {
      return undefined;
    }
  };

  const userinfo = async (ctx: Context, next: Next) => {
    const header = ctx.get('authorization');
    const fromHeader = /^bearer\s+/i.test(header) ? header.replace(/^bearer\s+/i, '').trim() : undefined;
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const token = fromHeader ?? (typeof body.access_token === 'string' ? body.access_token : undefined);
    if (!token || !looksLikeJwt(token)) {
      if (ctx.method === 'POST') handBodyToProvider(ctx);
      return next();
    }
    const claims = await verifyActive(token);
    if (!claims) throw invalidToken('invalid or revoked access token');
    const scopes = new Set((claims.scope ?? '').split(' '));
    if (!scopes.has('openid')) {
      throw new ApiError(403, 'insufficient_scope', 'access token missing openid scope', undefined, {
        'WWW-Authenticate': 'Bearer realm="gatehouse", error="insufficient_scope", scope="openid"',
      });
    }
    const customer = await readCustomerSummary(deps.orm.em.fork() as EntityManager, claims.sub);
    if (!customer) throw invalidToken('the token subject is not a customer');
    const all = customerClaims(customer);
    const released = [...scopes].flatMap((scope) => CLAIMS_BY_SCOPE[scope] ?? []);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = Object.fromEntries(released.filter((claim) => all[claim] !== undefined).map((claim) => [claim, all[claim]]));
  };

  router.get(OIDC_ROUTES.userinfo, userinfo);
  router.post(OIDC_ROUTES.userinfo, formBody, userinfo);

  /** Runs `handler` for a JWT `token` parameter; anything else goes to the provider untouched. */
  const forJwtToken =
    (handler: (ctx: Context, token: string, client: AuthenticatedClient) => Promise<void>) => async (ctx: Context, next: Next) => {
      const body = (ctx.request.body ?? {}) as Record<string, unknown>;
      if (typeof body.token !== 'string' || !looksLikeJwt(body.token)) {
        handBodyToProvider(ctx);
        return next();
      }
      await handler(ctx, body.token, await authenticateClient(deps.orm, ctx, body, deps.clients));
    };

  router.post(OIDC_ROUTES.introspection, formBody, forJwtToken(async (ctx, token, client) => {
    const claims = await verifyActive(token);
    ctx.set('Cache-Control', 'no-store');
    // RFC 7662 §2.2: anything the caller may not see is simply inactive.
    if (!claims || (client.isPublic && claims.client_id !== client.clientId)) {
      ctx.body = { active: false };
      return;
    }
    ctx.body = {
      active: true,
      token_type: 'Bearer',
      scope: claims.scope,
      client_id: claims.client_id,
      sub: claims.sub,
      aud: claims.aud,
      iss: claims.iss,
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
    };
  }));

  router.post(OIDC_ROUTES.revocation, formBody, forJwtToken(async (ctx, token, client) => {
    const claims = await verifyActive(token);
    if (claims) {
      if (claims.client_id !== client.clientId) {
        throw new ApiError(400, 'invalid_request', 'client is not authorized to revoke the presented token');
      }
      await revokeAccessToken(deps.orm, claims);
    }
    // RFC 7009 §2.2: invalid or unknown tokens also get 200.
    ctx.status = 200;
    ctx.body = '';
  }));

  return router;
}
