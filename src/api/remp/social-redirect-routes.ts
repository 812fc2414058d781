import Router from '@koa/router';
import type { Context } from 'koa';
import { constantTimeEqual, randomToken } from '../../platform/crypto/secrets.js';
import { ApiError } from '../../platform/http/errors.js';
import { issueRempUserToken } from './session-routes.js';
import { signInDisabled } from '../../identity/credentials/social/api-errors.js';
import { appleUserName } from '../../identity/credentials/social/apple.js';
import type { VerifiedIdentity } from '../../identity/credentials/social/identity.js';
import { SOCIAL_GRANT_TYPE, signInOverHttp, type SocialRouteDependencies } from './social-routes.js';
import { allowedReturnUrl, sessionCookieDomain } from '../../identity/credentials/social/return-url.js';
import { signInCallbackInput, signInStartQuery } from '../../identity/credentials/social/schemas.js';
import { createSignInStateSealer, SIGN_IN_STATE_TTL_SECONDS, type RedirectProvider, type SignInState } from '../../identity/credentials/social/sign-in-state.js';

/** REMP's cookie for the user token after a redirect sign-in. */
export const SESSION_COOKIE = 'n_token';

const invalidUrl = () => new ApiError(400, 'invalid_url', 'url must be an http(s) address on this site’s domain or an allowed domain');
const invalidState = () => new ApiError(400, 'invalid_state', 'The sign-in expired or was started in another browser; start it again');

/**
 * REMP's authorization-code sign-in: `GET /users/{google,apple}/sign?url=…` sends the browser to the
 * provider; its callback (Google: GET, Apple: form_post) redeems the code, verifies the ID token
 * against the nonce it was sent with, signs the customer in and returns to `url` with the user
 * token in the `n_token` cookie. The state is sealed (sign-in-state.ts) and bound to this browser
 * by a cookie, so a callback cannot be replayed into someone else's browser (login CSRF).
 */
export function createSocialRedirectRoutes(deps: SocialRouteDependencies) {
  const router = new Router({ prefix: '/users' });
  const { issuer } = deps.config;
  const secure = issuer.startsWith('https:');
  const sealer = createSignInStateSealer(deps.config.secret, issuer);
  const callbackUrl = (provider: RedirectProvider) => `${issuer}/users/${provider}/callback`;
  const bindingCookie = (provider: RedirectProvider) => `gatehouse_${provider}_sign_in`;

  const setCookie = (ctx: Context, name: string, value: string | null, options: { path: string; maxAgeSeconds: number; sameSite: 'lax' | 'none'; domain?: string }) => {
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

  async function start(ctx: Context, provider: RedirectProvider, redirectTo: (state: string, nonce: string, codeChallenge?: string) => string, pkce?: () => Promise<{ codeVerifier: string; codeChallenge: string }>) {
    const { url } = signInStartQuery.parse(ctx.query);
    const target = allowedReturnUrl(url, issuer, deps.config.social.redirectAllowedDomains);
    if (!target) throw invalidUrl();
    const pair = pkce ? await pkce() : undefined;
    const state: SignInState = { url: target.href, nonce: randomToken(24), binding: randomToken(24), codeVerifier: pair?.codeVerifier };
    setCookie(ctx, bindingCookie(provider), state.binding, { path: `/users/${provider}/callback`, maxAgeSeconds: SIGN_IN_STATE_TTL_SECONDS, sameSite: bindingSameSite(provider) });
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(redirectTo(await sealer.seal(provider, state), state.nonce, pair?.codeChallenge));
  }

  async function finish(ctx: Context, provider: RedirectProvider, fields: unknown, verify: (code: string, state: SignInState) => Promise<VerifiedIdentity>) {
    ctx.set('Cache-Control', 'no-store');
    const callback = signInCallbackInput.parse(fields);
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

  router.get('/google/sign', async (ctx) => {
    const google = deps.social.google;
    if (!google?.codeFlowEnabled) throw signInDisabled('google');
    await start(ctx, 'google', (state, nonce, codeChallenge) => google.authorizationUrl({ redirectUri: callbackUrl('google'), state, nonce, codeChallenge: codeChallenge! }), () => google.pkcePair());
  });

  router.get('/google/callback', async (ctx) => {
    const google = deps.social.google;
    if (!google?.codeFlowEnabled) throw signInDisabled('google');
    await finish(ctx, 'google', ctx.query, async (code, state) => {
      const idToken = await google.exchangeCode(code, { redirectUri: callbackUrl('google'), codeVerifier: state.codeVerifier });
      return google.verifyIdToken(idToken, { nonce: state.nonce });
    });
  });

  router.get('/apple/sign', async (ctx) => {
    const apple = deps.social.apple;
    if (!apple?.codeFlowEnabled) throw signInDisabled('apple');
    await start(ctx, 'apple', (state, nonce) => apple.authorizationUrl({ redirectUri: callbackUrl('apple'), state, nonce }));
  });

  router.post('/apple/callback', async (ctx) => {
    const apple = deps.social.apple;
    if (!apple?.codeFlowEnabled) throw signInDisabled('apple');
    await finish(ctx, 'apple', ctx.request.body ?? {}, async (code, state) => {
      const idToken = await apple.exchangeCode(code, { redirectUri: callbackUrl('apple') });
      return apple.verifyIdToken(idToken, { nonce: state.nonce });
    });
  });

  return router;
}
