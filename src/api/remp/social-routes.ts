import Router from '@koa/router';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from 'koa';
import type { Config } from '../../platform/config.js';
import type { CustomerRow } from '../../identity/customers/entities.js';
import type { Orm } from '../../platform/db/orm.js';
import { input } from '../../platform/http/body.js';
import { tooManyRequests } from '../../platform/http/errors.js';
import type { CredentialLimiter } from '../../identity/limits/credential-limiter.js';
import { recordLoginAttempt } from '../../identity/login-attempts/service.js';
import type { Logger } from '../../platform/logger.js';
import type { ProviderHolder } from '../../oauth/provider-holder.js';
import { publicUserMetaObject } from '../../identity/customers/meta/service.js';
import { rempUser } from './user-presenter.js';
import { issueRempUserToken } from './session-routes.js';
import { signInDisabled, socialApiError } from '../../identity/credentials/social/api-errors.js';
import { ProviderUnavailableError, type IdentityProvider, type VerifiedIdentity } from '../../identity/credentials/social/identity.js';
import type { NewCustomerProfile } from '../../identity/credentials/social/account-linking.js';
import type { SocialProviders } from '../../identity/credentials/social/providers.js';
import { appleTokenSignInInput, googleTokenSignInInput, rempSignInResponse } from '../../identity/credentials/social/schemas.js';
import { signInWithProvider } from '../../identity/credentials/social/sign-in.js';
import { AttemptsLocked } from '../../identity/sign-in.js';

export interface SocialRouteDependencies {
  config: Config;
  orm: Orm;
  logger: Logger;
  providers: ProviderHolder;
  social: SocialProviders;
  /** The limiter of token credentials (server.ts `limiters.token`), shared with the token-exchange grant. */
  limiter: CredentialLimiter;
}

/** Every social sign-in issues tokens "as" an RFC 8693 exchange: the REST endpoints are conveniences over it. */
export const SOCIAL_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** Limiter check, verification, account linking and the login attempt, with errors in REMP shape. */
export async function signInOverHttp(
  deps: SocialRouteDependencies,
  ctx: Context,
  request: { provider: IdentityProvider; verify: () => Promise<VerifiedIdentity>; profile: NewCustomerProfile; source?: string },
): Promise<CustomerRow> {
  const attempt = { ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined, source: request.source ? `api+${request.source}` : 'api' };
  try {
    const { customer } = await signInWithProvider({ orm: deps.orm, limiter: deps.limiter }, { provider: request.provider, verify: request.verify, attempt, profile: request.profile });
    return customer;
  } catch (error) {
    if (error instanceof ProviderUnavailableError) {
      // Only the cause's message: the libraries' error objects carry request bodies with codes and secrets.
      const cause = error.cause instanceof Error ? error.cause.message.slice(0, 300) : String(error.cause);
      deps.logger.warn({ provider: request.provider, cause, requestId: ctx.state.requestId }, 'identity provider unavailable');
    }
    if (error instanceof AttemptsLocked) throw tooManyRequests(error.retryAfterSeconds);
    throw socialApiError(error);
  }
}

async function rempSignInBody(deps: SocialRouteDependencies, customer: CustomerRow, access: { create: boolean; deviceToken?: string }) {
  const em = deps.orm.em.fork() as EntityManager;
  return rempSignInResponse.parse({
    status: 'ok',
    user: rempUser(customer, { createdAt: true }),
    user_meta: await publicUserMetaObject(em, customer.id),
    // REMP: device_token is only used together with create_access_token=true.
    ...(access.create ? { access: { token: await issueRempUserToken(deps, customer.id, SOCIAL_GRANT_TYPE, access.deviceToken) } } : {}),
  });
}

/** REMP `POST /api/v1/users/google-token-sign-in` and `/apple-token-sign-in` (form, JSON or multipart). */
export function createSocialRempRoutes(deps: SocialRouteDependencies) {
  const router = new Router({ prefix: '/api/v1/users' });

  router.post('/google-token-sign-in', async (ctx) => {
    const body = googleTokenSignInInput.parse(input(ctx));
    const google = deps.social.google;
    if (!google || (body.gsi_auth_code && !google.codeFlowEnabled)) throw signInDisabled('google');
    const customer = await signInOverHttp(deps, ctx, {
      provider: 'google',
      verify: async () => {
        // Web codes (Google's JS library) are bound to the "postmessage" redirect URI; codes an app
        // obtained natively carry none.
        const idToken = body.gsi_auth_code ? await google.exchangeCode(body.gsi_auth_code, { redirectUri: body.is_web ? 'postmessage' : undefined }) : body.id_token!;
        return google.verifyIdToken(idToken);
      },
      profile: { source: body.source ?? 'google', locale: body.locale },
      source: body.source,
    });
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await rempSignInBody(deps, customer, { create: body.create_access_token, deviceToken: body.device_token });
  });

  router.post('/apple-token-sign-in', async (ctx) => {
    const body = appleTokenSignInInput.parse(input(ctx));
    const apple = deps.social.apple;
    if (!apple) throw signInDisabled('apple');
    const customer = await signInOverHttp(deps, ctx, {
      provider: 'apple',
      verify: () => apple.verifyIdToken(body.id_token),
      profile: { source: 'apple', locale: body.locale },
    });
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await rempSignInBody(deps, customer, { create: body.create_access_token, deviceToken: body.device_token });
  });

  return router;
}
