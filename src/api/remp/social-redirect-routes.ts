import type { Context, Middleware } from 'koa';
import { constantTimeEqual, randomToken } from '../../platform/crypto/secrets.js';
import { ApiError } from '../../platform/http/errors.js';
import { issueRempUserToken } from './session-routes.js';
import { signInDisabled } from '../../identity/credentials/social/api-errors.js';
import { appleUserName } from '../../identity/credentials/social/apple-user.js';
import type { VerifiedIdentity } from '../../identity/credentials/social/identity.js';
import { SOCIAL_GRANT_TYPE, signInOverHttp, type SocialRouteDependencies } from './social-routes.js';
import { allowedReturnUrl, sessionCookieDomain } from '../../identity/credentials/social/return-url.js';
import type { z } from 'zod';
import { signInCallbackInput, signInStartQuery } from '../../identity/credentials/social/schemas.js';
import { route, routerFor } from '../../platform/openapi/route.js';
import type { ResponseSpec } from '../../platform/openapi/operation.js';
import { rempFailure } from '../../platform/openapi/shapes.js';
import { signInErrors } from './social-routes.js';
import {
  createSignInStateSealer,
  SIGN_IN_STATE_TTL_SECONDS,
  type RedirectProvider,
  type SignInState,
} from '../../identity/credentials/social/sign-in-state.js';

/** REMP's cookie for the user token after a redirect sign-in. */
export const SESSION_COOKIE = 'n_token';

const invalidUrl = () => new ApiError(400, 'invalid_url', 'url must be an http(s) address on this site’s domain or an allowed domain');
const invalidState = () => new ApiError(400, 'invalid_state', 'The sign-in expired or was started in another browser; start it again');

const tags: ['REMP users'] = ['REMP users'];
const toProvider: ResponseSpec = {
  description: 'To the identity provider, with the binding cookie set',
  headers: { Location: { description: 'The provider’s authorization endpoint', example: 'https://accounts.google.com/o/oauth2/v2/auth?client_id=…&state=…' } },
};
const backToSite: ResponseSpec = {
  description: 'Back to `url` with the user token in the `n_token` cookie',
  headers: {
    Location: { description: 'The `url` the sign-in started with', example: 'https://www.example.com/account' },
    'Set-Cookie': { description: 'The user token (HttpOnly)', example: 'n_token=eyJhbGciOi…; path=/; httponly; samesite=lax' },
  },
};
const invalidUrlResponse = rempFailure('invalid_url: `url` is not on this site’s domain or an allowed one', {
  code: 'invalid_url',
  message: 'url must be an http(s) address on this site’s domain or an allowed domain',
});
const callbackFailures = {
  ...signInErrors,
  400: rempFailure('invalid_state (expired, or another browser), sign_in_cancelled, invalid_id_token, invalid_authorization_code, email_not_verified, …', {
    code: 'invalid_state',
    message: 'The sign-in expired or was started in another browser; start it again',
  }),
};

/**
 * REMP's authorization-code sign-in: `GET /users/{google,apple}/sign?url=…` sends the browser to the
 * provider; its callback (Google: GET, Apple: form_post) redeems the code, verifies the ID token
 * against the nonce it was sent with, signs the customer in and returns to `url` with the user
 * token in the `n_token` cookie. The state is sealed (sign-in-state.ts) and bound to this browser
 * by a cookie, so a callback cannot be replayed into someone else's browser (login CSRF).
 */
export function createSocialRedirectRoutes(deps: SocialRouteDependencies) {
  const { issuer } = deps.config;
  const secure = issuer.startsWith('https:');
  const sealer = createSignInStateSealer(deps.config.secret, issuer);
  const callbackUrl = (provider: RedirectProvider) => `${issuer}/users/${provider}/callback`;
  const bindingCookie = (provider: RedirectProvider) => `gatehouse_${provider}_sign_in`;

  const setCookie = (
    ctx: Context,
    name: string,
    value: string | null,
    options: { path: string; maxAgeSeconds: number; sameSite: 'lax' | 'none'; domain?: string },
  ) => {
    // Behind a TLS-terminating proxy Koa may not see https; the issuer says what browsers use.
    if (secure) ctx.cookies.secure = true;
    ctx.cookies.set(name, value, {
      httpOnly: true,
      secure,
      sameSite: options.sameSite,
      path: options.path,
      domain: options.domain,
      maxAge: value === null ? undefined : options.maxAgeSeconds * 1000,
      signed: false,
      overwrite: true,
    });
  };

  // Apple returns with a cross-site POST, which carries only SameSite=None cookies; those need
  // Secure, so on a plain-http issuer (development) the binding cookie falls back to Lax.
  const bindingSameSite = (provider: RedirectProvider) => (provider === 'apple' && secure ? 'none' : 'lax');

  async function start(
    ctx: Context,
    url: string | undefined,
    provider: RedirectProvider,
    redirectTo: (state: string, nonce: string, codeChallenge?: string) => string,
    pkce?: () => Promise<{ codeVerifier: string; codeChallenge: string }>,
  ) {
    const target = allowedReturnUrl(url, issuer, deps.config.social.redirectAllowedDomains);
    if (!target) throw invalidUrl();
    const pair = pkce ? await pkce() : undefined;
    const state: SignInState = { url: target.href, nonce: randomToken(24), binding: randomToken(24), codeVerifier: pair?.codeVerifier };
    setCookie(ctx, bindingCookie(provider), state.binding, {
      path: `/users/${provider}/callback`,
      maxAgeSeconds: SIGN_IN_STATE_TTL_SECONDS,
      sameSite: bindingSameSite(provider),
    });
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(redirectTo(await sealer.seal(provider, state), state.nonce, pair?.codeChallenge));
  }

  async function finish(
    ctx: Context,
    provider: RedirectProvider,
    callback: z.output<typeof signInCallbackInput>,
    verify: (code: string, state: SignInState) => Promise<VerifiedIdentity>,
  ) {
    const state = await sealer.open(provider, callback.state);
    const binding = ctx.cookies.get(bindingCookie(provider));
    if (!state || !binding || !constantTimeEqual(binding, state.binding)) throw invalidState();
    setCookie(ctx, bindingCookie(provider), null, { path: `/users/${provider}/callback`, maxAgeSeconds: 0, sameSite: bindingSameSite(provider) });
    if (callback.error) throw new ApiError(400, 'sign_in_cancelled', `The sign-in was not completed (${callback.error})`);
    if (!callback.code) throw new ApiError(400, 'invalid_request', 'code: missing');
    // The return URL was checked at /sign; checked again in case the allowed domains changed since.
    const target = allowedReturnUrl(state.url, issuer, deps.config.social.redirectAllowedDomains);
    if (!target) throw invalidUrl();

    const customer = await signInOverHttp(deps, ctx, {
      provider,
      verify: () => verify(callback.code!, state),
      profile: { source: provider, ...(provider === 'apple' ? appleUserName(callback.user) : {}) },
    });
    const token = await issueRempUserToken(deps, customer.id, SOCIAL_GRANT_TYPE);
    setCookie(ctx, SESSION_COOKIE, token, { path: '/', maxAgeSeconds: deps.config.ttl.accessToken, sameSite: 'lax', domain: sessionCookieDomain(issuer) });
    ctx.redirect(target.href);
  }

  // Before the input is read: a disabled provider is 403 whatever the request holds.
  const codeFlowEnabled =
    (provider: RedirectProvider): Middleware =>
    async (_ctx, next) => {
      if (!deps.social[provider]?.codeFlowEnabled) throw signInDisabled(provider);
      await next();
    };
  // A callback's answer, error included, is never cached: it carries or refuses a sign-in.
  const noStore: Middleware = async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  };

  return routerFor([
    route({
      method: 'get',
      path: '/users/google/sign',
      tags,
      summary: 'Start Google sign-in (authorization code + PKCE); `url` must share the site domain or be allowed',
      security: [],
      middleware: [codeFlowEnabled('google')],
      request: { query: signInStartQuery },
      responses: { 302: toProvider, 400: invalidUrlResponse, 403: signInErrors[403] },
      async handler(ctx, { query }) {
        const google = deps.social.google!;
        await start(
          ctx,
          query.url,
          'google',
          (state, nonce, codeChallenge) => google.authorizationUrl({ redirectUri: callbackUrl('google'), state, nonce, codeChallenge: codeChallenge! }),
          () => google.pkcePair(),
        );
      },
    }),
    route({
      method: 'get',
      path: '/users/google/callback',
      tags,
      summary: 'Google returns here; redeems the code and sets the n_token cookie',
      description: 'Called by the browser, redirected by Google. `user` is Apple’s and ignored here.',
      security: [],
      middleware: [codeFlowEnabled('google'), noStore],
      request: { query: signInCallbackInput },
      responses: { 302: backToSite, ...callbackFailures },
      async handler(ctx, { query }) {
        const google = deps.social.google!;
        await finish(ctx, 'google', query, async (code, state) => {
          const idToken = await google.exchangeCode(code, { redirectUri: callbackUrl('google'), codeVerifier: state.codeVerifier });
          return google.verifyIdToken(idToken, { nonce: state.nonce });
        });
      },
    }),
    route({
      method: 'get',
      path: '/users/apple/sign',
      tags,
      summary: 'Start Sign in with Apple (authorization code, form_post); `url` as for Google',
      security: [],
      middleware: [codeFlowEnabled('apple')],
      request: { query: signInStartQuery },
      responses: { 302: toProvider, 400: invalidUrlResponse, 403: signInErrors[403] },
      async handler(ctx, { query }) {
        const apple = deps.social.apple!;
        await start(ctx, query.url, 'apple', (state, nonce) => apple.authorizationUrl({ redirectUri: callbackUrl('apple'), state, nonce }));
      },
    }),
    route({
      method: 'post',
      path: '/users/apple/callback',
      tags,
      summary: 'Apple posts here (form_post); redeems the code and sets the n_token cookie',
      security: [],
      middleware: [codeFlowEnabled('apple'), noStore],
      request: {
        body: signInCallbackInput,
        bodyTypes: ['form'],
        example: { state: 'eyJhbGciOiJkaXIi…', code: 'c1a2b3d4e5f6.0.rrvx.a1B2c3D4', user: '{"name":{"firstName":"Jane","lastName":"Doe"}}' },
      },
      responses: { 302: backToSite, ...callbackFailures },
      async handler(ctx, { body }) {
        const apple = deps.social.apple!;
        await finish(ctx, 'apple', body, async (code, state) => {
          const idToken = await apple.exchangeCode(code, { redirectUri: callbackUrl('apple') });
          return apple.verifyIdToken(idToken, { nonce: state.nonce });
        });
      },
    }),
  ]);
}
