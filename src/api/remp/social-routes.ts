import { requestEntityManager } from '../../platform/db/orm.js';
import type { Context } from 'koa';
import type { Config } from '../../platform/config.js';
import type { CustomerRow } from '../../identity/customers/entities.js';
import type { Orm } from '../../platform/db/orm.js';
import { tooManyRequests } from '../../platform/http/errors.js';
import type { CredentialLimiter } from '../../identity/limits/credential-limiter.js';
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
import { route, routerFor, type DeclaredRoute } from '../../platform/openapi/route.js';
import { rempErrors, rempFailure } from '../../platform/openapi/shapes.js';
import { exampleUser, exampleUserToken, rempBodyTypes } from './declarations.js';

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
    const { customer } = await signInWithProvider(
      { orm: deps.orm, limiter: deps.limiter },
      { provider: request.provider, verify: request.verify, attempt, profile: request.profile },
    );
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
  const em = requestEntityManager(deps.orm);
  return {
    status: 'ok',
    user: rempUser(customer, { createdAt: true }),
    user_meta: await publicUserMetaObject(em, customer.id),
    // REMP: device_token is only used together with create_access_token=true.
    ...(access.create ? { access: { token: await issueRempUserToken(deps, customer.id, SOCIAL_GRANT_TYPE, access.deviceToken) } } : {}),
  };
}

/** What a social sign-in can fail with, as socialApiError and the limiter answer it. */
export const signInErrors = {
  400: rempFailure('invalid_id_token, invalid_authorization_code, email_not_verified, email_missing, invalid_device_token or invalid input', {
    code: 'invalid_id_token',
    message: 'The ID token is invalid',
    reason: 'signature',
  }),
  403: rempFailure('sign_in_disabled (provider not configured) or account_disabled', { code: 'sign_in_disabled', message: 'Google sign-in is not enabled' }),
  409: rempFailure('email_taken: the address belongs to a deactivated account', {
    code: 'email_taken',
    message: 'The e-mail address belongs to a deactivated account',
  }),
  429: { ...rempErrors.tooManyRequests, description: 'Too many failed sign-ins from this IP; see Retry-After' },
  503: rempFailure('provider_unavailable: the identity provider could not be reached', {
    code: 'provider_unavailable',
    message: 'Google could not be reached',
  }),
};

const signedIn = {
  description: 'Signed in; `access` only with create_access_token',
  schema: rempSignInResponse,
  example: { status: 'ok', user: { ...exampleUser, created_at: '2026-11-26T10:21:14.000Z' }, user_meta: {}, access: { token: exampleUserToken } },
};

/**
 * REMP `POST /api/v1/users/google-token-sign-in` and `/apple-token-sign-in` (form, JSON or
 * multipart), also at `/users/google-token-sign-in` and `/users/apple-token-sign-in`: the
 * headings name the first, the spec's own curl examples call the second, and integrators copy
 * the examples (remp-crm-users-module, "POST /api/v1/users/google-token-sign-in").
 */
export function createSocialRempRoutes(deps: SocialRouteDependencies) {
  const googleSignIn = (path: string, alias: boolean): DeclaredRoute =>
    route({
      method: 'post',
      path,
      tags: ['REMP users'],
      summary: `Sign in with a Google ID token (or a gsi_auth_code); finds, links or creates the user${alias ? ' (the spec example’s URL)' : ''}`,
      description: 'Public. The ID token is verified against Google’s keys and this site’s client ids; failures are limited per IP.',
      security: [],
      request: {
        body: googleTokenSignInInput,
        bodyTypes: rempBodyTypes,
        mergeQueryAndBody: true,
        example: { id_token: 'eyJhbGciOiJSUzI1NiIsImtpZCI6Ij…', create_access_token: true },
      },
      responses: { 200: signedIn, ...signInErrors },
      async handler(ctx, { body }) {
        const google = deps.social.google;
        if (!google || (body.gsi_auth_code && !google.codeFlowEnabled)) throw signInDisabled('google');
        const customer = await signInOverHttp(deps, ctx, {
          provider: 'google',
          verify: async () => {
            // Web codes (Google's JS library) are bound to the "postmessage" redirect URI; codes an app
            // obtained natively carry none.
            const idToken = body.gsi_auth_code
              ? await google.exchangeCode(body.gsi_auth_code, { redirectUri: body.is_web ? 'postmessage' : undefined })
              : body.id_token!;
            return google.verifyIdToken(idToken);
          },
          profile: { source: body.source ?? 'google', locale: body.locale },
          source: body.source,
        });
        ctx.set('Cache-Control', 'no-store');
        ctx.body = await rempSignInBody(deps, customer, { create: body.create_access_token, deviceToken: body.device_token });
      },
    });
  const appleSignIn = (path: string, alias: boolean): DeclaredRoute =>
    route({
      method: 'post',
      path,
      tags: ['REMP users'],
      summary: `Sign in with an Apple ID token; finds, links or creates the user${alias ? ' (the spec example’s URL)' : ''}`,
      description: 'Public. The ID token is verified against Apple’s keys and this site’s client ids; failures are limited per IP.',
      security: [],
      request: {
        body: appleTokenSignInInput,
        bodyTypes: rempBodyTypes,
        mergeQueryAndBody: true,
        example: { id_token: 'eyJraWQiOiJXNldjT0tCIiwiYWxnIjoiUlMyNTYifQ…', create_access_token: true },
      },
      responses: { 200: signedIn, ...signInErrors },
      async handler(ctx, { body }) {
        const apple = deps.social.apple;
        if (!apple) throw signInDisabled('apple');
        const customer = await signInOverHttp(deps, ctx, {
          provider: 'apple',
          verify: () => apple.verifyIdToken(body.id_token),
          profile: { source: 'apple', locale: body.locale },
        });
        ctx.set('Cache-Control', 'no-store');
        ctx.body = await rempSignInBody(deps, customer, { create: body.create_access_token, deviceToken: body.device_token });
      },
    });

  return routerFor([
    googleSignIn('/api/v1/users/google-token-sign-in', false),
    googleSignIn('/users/google-token-sign-in', true),
    appleSignIn('/api/v1/users/apple-token-sign-in', false),
    appleSignIn('/users/apple-token-sign-in', true),
  ]);
}
