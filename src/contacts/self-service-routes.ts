import Router from '@koa/router';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from 'koa';
import { authenticateWithCredentialToken } from '../access-tokens/authentication.js';
import { verificationCodeKey } from '../access-tokens/codes.js';
import type { Config } from '../config.js';
import { authenticateWithPassword, findCustomerById } from '../customers/service.js';
import type { Orm } from '../db/orm.js';
import type { Authenticator } from '../http/auth.js';
import { parseBody } from '../http/body.js';
import { ApiError, tooManyRequests } from '../http/errors.js';
import type { CredentialLimiter } from '../http/rate-limit.js';
import { recordLoginAttempt } from '../login-attempts/service.js';
import type { Notifier } from '../notify/notifier.js';
import type { GrantDependencies } from '../oidc/grants/context.js';
import { OTP_GRANT_TYPE } from '../oidc/grants/otp.js';
import type { ProviderHolder } from '../oidc/provider-holder.js';
import { createOtpKeys } from '../otp/codes.js';
import { requestOtp, verifyOtp } from '../otp/service.js';
import type { SocialProviders } from '../social/providers.js';
import { selfServiceEndpoint } from './access.js';
import { otpIdentifierFromCredentials, passwordFromCredentials } from './credentials.js';
import { applyPendingIdentities, requestIdentityAddition } from './identities.js';
import { registerContact } from './registration.js';
import {
  acceptedResponse,
  addIdentityInput,
  authenticateInput,
  authenticationResponse,
  refreshInput,
  registerInput,
  registrationResponse,
  requestOtpInput,
  validateOtpInput,
} from './schemas.js';
import { refreshContactSession, signInContact } from './sessions.js';

export interface SelfServiceRouteDependencies {
  config: Config;
  orm: Orm;
  providers: ProviderHolder;
  auth: Authenticator;
  notifier: Notifier;
  limiters: GrantDependencies['limiters'];
  socialProviders: SocialProviders;
}

const CODE_SENT = { status: 'ok', message: 'If the details match a contact, a code has been sent.' } as const;
const SOURCE = 'self-service';

const invalidCredentials = () => new ApiError(401, 'invalid_credentials', 'The credentials are invalid');
const invalidCode = () => new ApiError(401, 'invalid_code', 'The code is invalid or expired');
const invalidRefreshToken = () => new ApiError(401, 'invalid_refresh_token', 'The refresh token is invalid, expired or already used');

const body = (ctx: Context) => ctx.request.body ?? {};
const attempt = (ctx: Context) => ({ ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined, source: SOURCE });

async function enforce(ctx: Context, limiter: CredentialLimiter, key: string, em: EntityManager, method: string) {
  const limit = await limiter.check(key, ctx.ip);
  if (limit.allowed) return;
  await recordLoginAttempt(em, { method, result: 'locked', ...attempt(ctx) });
  throw tooManyRequests(limit.retryAfterSeconds);
}

/**
 * CRM.COM self-service contacts (crm-com-contacts-self-service): the application calls with its
 * `api_key` header; registration, OTP validation and re-request, password sign-in, refresh and
 * credentials for existing contacts. Every sign-in answers like Step 3: contact, organisations,
 * tokens and `exp` in milliseconds. Errors use the `{status:"error", code, message}` shape.
 */
export function createSelfServiceContactRoutes(deps: SelfServiceRouteDependencies) {
  const router = new Router({ prefix: '/self-service/v1/contacts' });
  const em = () => deps.orm.em.fork() as EntityManager;
  const otpKeys = createOtpKeys(deps.config.secret);
  const credentialTokenKeys = verificationCodeKey(deps.config.secret);
  const noStore = (ctx: Context) => ctx.set('Cache-Control', 'no-store');

  router.post('/register', selfServiceEndpoint(deps.auth, 'contacts.register'), parseBody, async (ctx) => {
    const input = registerInput.parse(body(ctx));
    // The spec's 409 for an existing identity tells whether an e-mail or phone is registered:
    // those answers count per client IP, so an app key cannot be used to sweep a list of them.
    const probeKey = `register:${ctx.ip}`;
    const limit = await deps.limiters.token.check(probeKey, ctx.ip);
    if (!limit.allowed) throw tooManyRequests(limit.retryAfterSeconds);
    const outcome = await registerContact(
      {
        em: em(),
        config: deps.config,
        notifier: deps.notifier,
        otpKeys,
        facebook: deps.socialProviders.facebook,
        credentialTokens: { settings: deps.config.credentialTokens, keys: credentialTokenKeys },
      },
      input,
      ctx.ip,
    ).catch(async (error: unknown) => {
      if (error instanceof ApiError && error.status === 409) await deps.limiters.token.recordFailure(probeKey, ctx.ip);
      throw error;
    });
    ctx.status = 201;
    noStore(ctx);
    if (outcome.next !== 'SIGNED_IN') {
      ctx.body = registrationResponse.parse({ id: outcome.customer.id, next_step: outcome.next });
      return;
    }
    const grantType = input.identity.provider === 'FACEBOOK' ? 'urn:ietf:params:oauth:grant-type:token-exchange' : 'password';
    ctx.body = registrationResponse.parse({ id: outcome.customer.id, ...(await signInContact(deps, outcome.customer, grantType)) });
  });

  router.post('/validate-otp', selfServiceEndpoint(deps.auth, 'contacts.validate-otp'), parseBody, async (ctx) => {
    const { credentials, code } = validateOtpInput.parse(body(ctx));
    const identifier = otpIdentifierFromCredentials(credentials);
    const limiterKey = `${identifier.channel}:${identifier.value}`;
    const fork = em();
    await enforce(ctx, deps.limiters.otp, limiterKey, fork, 'otp');
    const customerId = await verifyOtp({ em: fork, keys: otpKeys }, { identifier, code });
    if (!customerId) {
      await deps.limiters.otp.recordFailure(limiterKey, ctx.ip);
      await recordLoginAttempt(fork, { method: 'otp', result: 'failure', ...attempt(ctx) });
      throw invalidCode();
    }
    await deps.limiters.otp.recordSuccess(limiterKey);
    await fork.transactional((tx) => applyPendingIdentities(tx, customerId));
    const customer = await findCustomerById(em(), customerId);
    if (!customer) throw invalidCode();
    await recordLoginAttempt(fork, { customerId, method: 'otp', result: 'success', ...attempt(ctx) });
    noStore(ctx);
    ctx.body = authenticationResponse.parse(await signInContact(deps, customer, OTP_GRANT_TYPE));
  });

  // Step 4: sign in again after logging out. The same answer whether or not anyone has the identifier.
  router.post('/request-otp', selfServiceEndpoint(deps.auth, 'contacts.request-otp'), parseBody, async (ctx) => {
    const { credentials } = requestOtpInput.parse(body(ctx));
    const identifier = otpIdentifierFromCredentials(credentials);
    await requestOtp({ em: em(), keys: otpKeys, settings: deps.config.otp, notifier: deps.notifier }, { identifier, purpose: 'login', ip: ctx.ip });
    ctx.status = 202;
    noStore(ctx);
    ctx.body = acceptedResponse.parse(CODE_SENT);
  });

  // E-mail + password contacts, and identifier + pass code of an Effective access token.
  router.post('/authenticate', selfServiceEndpoint(deps.auth, 'contacts.authenticate'), parseBody, async (ctx) => {
    const { credentials } = authenticateInput.parse(body(ctx));
    const { identifier, secret } = passwordFromCredentials(credentials);
    const fork = em();
    await enforce(ctx, deps.limiters.password, identifier, fork, 'password');
    // Both checks on every failure, as in the password grant: the same work and the same answer.
    const customer = (await authenticateWithPassword(fork, identifier, secret)) ?? (await authenticateWithCredentialToken(fork, identifier, secret));
    if (!customer) {
      await deps.limiters.password.recordFailure(identifier, ctx.ip);
      await recordLoginAttempt(fork, { method: 'password', result: 'failure', ...attempt(ctx) });
      throw invalidCredentials();
    }
    await deps.limiters.password.recordSuccess(identifier);
    await recordLoginAttempt(fork, { customerId: customer.id, method: 'password', result: 'success', ...attempt(ctx) });
    noStore(ctx);
    ctx.body = authenticationResponse.parse(await signInContact(deps, customer, 'password'));
  });

  router.post('/refresh', selfServiceEndpoint(deps.auth, 'contacts.refresh'), parseBody, async (ctx) => {
    const { refresh_token } = refreshInput.parse(body(ctx));
    const limiterKey = `refresh:${ctx.ip}`;
    const limit = await deps.limiters.token.check(limiterKey, ctx.ip);
    if (!limit.allowed) throw tooManyRequests(limit.retryAfterSeconds);
    const refreshed = await refreshContactSession(deps, refresh_token);
    if (!refreshed) {
      await deps.limiters.token.recordFailure(limiterKey, ctx.ip);
      throw invalidRefreshToken();
    }
    noStore(ctx);
    ctx.body = authenticationResponse.parse(refreshed);
  });

  // Back-Office Step 2: credentials for a contact the back office created, matched by key data.
  router.post('/identities', selfServiceEndpoint(deps.auth, 'contacts.add-identity'), parseBody, async (ctx) => {
    const input = addIdentityInput.parse(body(ctx));
    const key = input.contact;
    const limiterKey = `add-identity:${(key.id ?? key.email ?? key.phone_number ?? '').toLowerCase()}`;
    const limit = await deps.limiters.password.check(limiterKey, ctx.ip);
    if (!limit.allowed) throw tooManyRequests(limit.retryAfterSeconds);
    const { matched } = await requestIdentityAddition(
      { em: em(), config: deps.config, notifier: deps.notifier, otpKeys, facebook: deps.socialProviders.facebook },
      input,
      ctx.ip,
    );
    if (!matched) await deps.limiters.password.recordFailure(limiterKey, ctx.ip);
    ctx.status = 202;
    noStore(ctx);
    ctx.body = acceptedResponse.parse(CODE_SENT);
  });

  return router;
}
