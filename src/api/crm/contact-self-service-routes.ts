import { DomainError } from '../../platform/errors.js';
import { CredentialRejected, signIn } from '../../identity/sign-in.js';
import { authenticateWithPasswordOrPassCode } from '../../identity/credentials/credential-tokens/authentication.js';
import Router from '@koa/router';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from 'koa';
import { authenticateWithCredentialToken } from '../../identity/credentials/credential-tokens/authentication.js';
import { verificationCodeKey } from '../../identity/credentials/credential-tokens/codes.js';
import type { Config } from '../../platform/config.js';
import { authenticateWithPassword, findCustomerById } from '../../identity/customers/service.js';
import type { Orm } from '../../platform/db/orm.js';
import type { Authenticator } from '../../oauth/callers/authenticator.js';
import { ApiError, tooManyRequests } from '../../platform/http/errors.js';
import type { CredentialLimiter } from '../../identity/limits/credential-limiter.js';
import { recordLoginAttempt } from '../../identity/login-attempts/service.js';
import type { Notifier } from '../../platform/notify/notifier.js';
import type { GrantDependencies } from '../../oauth/grants/context.js';
import { OTP_GRANT_TYPE } from '../../oauth/grants/otp.js';
import type { ProviderHolder } from '../../oauth/provider-holder.js';
import { createOtpKeys } from '../../identity/credentials/otp/codes.js';
import { requestOtp, verifyOtp } from '../../identity/credentials/otp/service.js';
import type { SocialProviders } from '../../identity/credentials/social/providers.js';
import { selfServiceEndpoint } from '../../oauth/callers/contact-access.js';
import { otpIdentifierFromCredentials, passwordFromCredentials } from '../../identity/contacts/credentials.js';
import { applyPendingIdentities, requestIdentityAddition } from '../../identity/contacts/identities.js';
import { registerContact } from '../../identity/contacts/registration.js';
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
} from '../../identity/contacts/schemas.js';
import { refreshContactSession, signInContact } from '../../oauth/contact-sessions.js';

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

  router.post('/register', selfServiceEndpoint(deps.auth, 'contacts.register'), async (ctx) => {
    const input = registerInput.parse(body(ctx));
    // The spec's 409 for an existing identity tells whether an e-mail or phone is registered:
    // those answers count per client IP, so an app key cannot be used to sweep a list of them.
    const probeKey = `register:${ctx.ip}`;
    const probe = await deps.limiters.token.reserve(probeKey, ctx.ip);
    if (!probe.allowed) throw tooManyRequests(probe.retryAfterSeconds);
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
      await (error instanceof DomainError && error.kind === 'conflict' ? probe.fail() : probe.release());
      throw error;
    });
    await probe.release();
    ctx.status = 201;
    noStore(ctx);
    if (outcome.next !== 'SIGNED_IN') {
      ctx.body = registrationResponse.parse({ id: outcome.customer.id, next_step: outcome.next });
      return;
    }
    const grantType = input.identity.provider === 'FACEBOOK' ? 'urn:ietf:params:oauth:grant-type:token-exchange' : 'password';
    ctx.body = registrationResponse.parse({ id: outcome.customer.id, ...(await signInContact(deps, outcome.customer, grantType)) });
  });

  router.post('/validate-otp', selfServiceEndpoint(deps.auth, 'contacts.validate-otp'), async (ctx) => {
    const { credentials, code } = validateOtpInput.parse(body(ctx));
    const identifier = otpIdentifierFromCredentials(credentials);
    const limiterKey = `${identifier.channel}:${identifier.value}`;
    const fork = em();
    const outcome = await signIn(fork, {
      limiter: deps.limiters.otp,
      limiterKey,
      method: 'otp',
      attempt: attempt(ctx),
      verify: async () => {
        const customerId = await verifyOtp({ em: fork, keys: otpKeys }, { identifier, code });
        if (!customerId) throw new CredentialRejected('invalid code');
        await fork.transactional((tx) => applyPendingIdentities(tx, customerId));
        const found = await findCustomerById(em(), customerId);
        if (!found) throw new CredentialRejected('invalid code');
        return { customerId, customer: found };
      },
    });
    if (outcome.result === 'locked') throw tooManyRequests(outcome.retryAfterSeconds);
    if (outcome.result === 'failed') throw invalidCode();
    const { customer } = outcome;
    noStore(ctx);
    ctx.body = authenticationResponse.parse(await signInContact(deps, customer, OTP_GRANT_TYPE));
  });

  // Step 4: sign in again after logging out. The same answer whether or not anyone has the identifier.
  router.post('/request-otp', selfServiceEndpoint(deps.auth, 'contacts.request-otp'), async (ctx) => {
    const { credentials } = requestOtpInput.parse(body(ctx));
    const identifier = otpIdentifierFromCredentials(credentials);
    await requestOtp({ em: em(), keys: otpKeys, settings: deps.config.otp, notifier: deps.notifier }, { identifier, purpose: 'login', ip: ctx.ip });
    ctx.status = 202;
    noStore(ctx);
    ctx.body = acceptedResponse.parse(CODE_SENT);
  });

  // E-mail + password contacts, and identifier + pass code of an Effective access token.
  router.post('/authenticate', selfServiceEndpoint(deps.auth, 'contacts.authenticate'), async (ctx) => {
    const { credentials } = authenticateInput.parse(body(ctx));
    const { identifier, secret } = passwordFromCredentials(credentials);
    const fork = em();
    // The password grant's credential and pipeline: the same work, limiter and answer.
    const outcome = await signIn(fork, {
      limiter: deps.limiters.password,
      limiterKey: identifier,
      method: 'password',
      attempt: attempt(ctx),
      verify: async () => {
        const found = await authenticateWithPasswordOrPassCode(fork, identifier, secret);
        if (!found) throw new CredentialRejected('invalid credentials');
        return { customerId: found.id, customer: found };
      },
    });
    if (outcome.result === 'locked') throw tooManyRequests(outcome.retryAfterSeconds);
    if (outcome.result === 'failed') throw invalidCredentials();
    const { customer } = outcome;
    noStore(ctx);
    ctx.body = authenticationResponse.parse(await signInContact(deps, customer, 'password'));
  });

  router.post('/refresh', selfServiceEndpoint(deps.auth, 'contacts.refresh'), async (ctx) => {
    const { refresh_token } = refreshInput.parse(body(ctx));
    const limiterKey = `refresh:${ctx.ip}`;
    const reservation = await deps.limiters.token.reserve(limiterKey, ctx.ip);
    if (!reservation.allowed) throw tooManyRequests(reservation.retryAfterSeconds);
    const refreshed = await refreshContactSession(deps, refresh_token).catch(async (error: unknown) => {
      await reservation.release();
      throw error;
    });
    if (!refreshed) {
      await reservation.fail();
      throw invalidRefreshToken();
    }
    await reservation.release();
    noStore(ctx);
    ctx.body = authenticationResponse.parse(refreshed);
  });

  // Back-Office Step 2: credentials for a contact the back office created, matched by key data.
  router.post('/identities', selfServiceEndpoint(deps.auth, 'contacts.add-identity'), async (ctx) => {
    const input = addIdentityInput.parse(body(ctx));
    const key = input.contact;
    const limiterKey = `add-identity:${(key.id ?? key.email ?? key.phone_number ?? '').toLowerCase()}`;
    const reservation = await deps.limiters.password.reserve(limiterKey, ctx.ip);
    if (!reservation.allowed) throw tooManyRequests(reservation.retryAfterSeconds);
    const { matched } = await requestIdentityAddition(
      { em: em(), config: deps.config, notifier: deps.notifier, otpKeys, facebook: deps.socialProviders.facebook },
      input,
      ctx.ip,
    ).catch(async (error: unknown) => {
      await reservation.release();
      throw error;
    });
    await (matched ? reservation.release() : reservation.fail());
    ctx.status = 202;
    noStore(ctx);
    ctx.body = acceptedResponse.parse(CODE_SENT);
  });

  return router;
}
