import { requestEntityManager } from '../../platform/db/orm.js';
import { DomainError } from '../../platform/errors.js';
import { CredentialRejected, signIn } from '../../identity/sign-in.js';
import { passwordOrPassCodeLookup, verifyPasswordOrPassCode } from '../../identity/credentials/credential-tokens/authentication.js';
import type { Context } from 'koa';
import { verificationCodeKey } from '../../identity/credentials/credential-tokens/codes.js';
import type { Config } from '../../platform/config.js';
import { findCustomerById } from '../../identity/customers/service.js';
import type { Orm } from '../../platform/db/orm.js';
import type { Authenticator } from '../../oauth/callers/authenticator.js';
import { ApiError, tooManyRequests } from '../../platform/http/errors.js';
import type { Notifier } from '../../platform/notify/notifier.js';
import type { GrantDependencies } from '../../oauth/grants/context.js';
import { OTP_GRANT_TYPE } from '../../oauth/grants/otp.js';
import type { ProviderHolder } from '../../oauth/provider-holder.js';
import { createOtpKeys } from '../../identity/credentials/otp/codes.js';
import { requestOtp, verifyOtp } from '../../identity/credentials/otp/service.js';
import type { SocialProviders } from '../../identity/credentials/social/providers.js';
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
import { route, routerFor } from '../../platform/openapi/route.js';
import { rempFailure } from '../../platform/openapi/shapes.js';
import { crmBodyTypes, crmRefusals, exampleAuthentication, exampleContactId, selfService } from './declarations.js';

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

const attempt = (ctx: Context) => ({ ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined, source: SOURCE });

const tags: ['CRM.COM self-service contacts'] = ['CRM.COM self-service contacts'];
const noProvider = rempFailure('No SMS or e-mail provider for the channel', { code: 'channel_unavailable', message: 'SMS delivery is not configured' });
const emailCredentials = [
  { name: 'EMAIL', value: 'jane@example.com' },
  { name: 'PASSWORD', value: 'correct horse battery staple' },
];
const phoneCredentials = [
  { name: 'PHONE', value: '99123456' },
  { name: 'COUNTRY_CODE', value: 'CYP' },
];

/**
 * CRM.COM self-service contacts (crm-com-contacts-self-service): the application calls with its
 * `api_key` header; registration, OTP validation and re-request, password sign-in, refresh and
 * credentials for existing contacts. Every sign-in answers like Step 3: contact, organisations,
 * tokens and `exp` in milliseconds. Errors use the `{status:"error", code, message}` shape.
 */
export function createSelfServiceContactRoutes(deps: SelfServiceRouteDependencies) {
  const em = () => requestEntityManager(deps.orm);
  const otpKeys = createOtpKeys(deps.config.secret);
  const credentialTokenKeys = verificationCodeKey(deps.config.secret);
  const noStore = (ctx: Context) => ctx.set('Cache-Control', 'no-store');

  return routerFor([
    route({
      method: 'post',
      path: '/self-service/v1/contacts/register',
      tags,
      summary: 'Register a contact with an identity: EMAIL (+password, or OTP), PHONE (OTP) or FACEBOOK',
      ...selfService(
        deps.auth,
        'contacts.register',
        'Booleans may be the strings "true"/"false". PHONE takes `country_code` as ISO alpha-3 ("CYP"), ' +
          'alpha-2 or a calling code. EMAIL without password and PHONE send a one-time code (then call validate-otp): the answer is ' +
          '`{id, next_step: "VALIDATE_OTP"}`. EMAIL with password and FACEBOOK sign in at once. When the active access-token definition ' +
          "assigns a token on registration and requires verification, the password becomes the token's pass code and the answer is " +
          '`{id, next_step: "VERIFY_ACCESS_TOKEN"}` (verify with POST /self-service/v1/access-tokens/verify). An identity that exists is 409 and nothing is created; ' +
          'those answers count per client IP.',
      ),
      request: {
        body: registerInput,
        bodyTypes: crmBodyTypes,
        example: {
          first_name: 'Jane',
          last_name: 'Doe',
          identity: { provider: 'PHONE', phone_number: '99123456', country_code: 'CYP' },
          service_acceptance: 'true',
        },
      },
      responses: {
        201: {
          description: 'Registered: signed in, or the next step',
          schema: registrationResponse,
          example: { id: exampleContactId, next_step: 'VALIDATE_OTP' },
        },
        ...crmRefusals,
        409: rempFailure('identity_exists (e-mail, phone or Facebook account), or identifier_taken (access token)', {
          code: 'identity_exists',
          message: 'A contact with this phone number already exists',
        }),
        503: rempFailure('No SMS or e-mail provider for the OTP, or Facebook unreachable', {
          code: 'channel_unavailable',
          message: 'SMS delivery is not configured',
        }),
      },
      async handler(ctx, { body: input }) {
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
          ctx.body = { id: outcome.customer.id, next_step: outcome.next };
          return;
        }
        const grantType = input.identity.provider === 'FACEBOOK' ? 'urn:ietf:params:oauth:grant-type:token-exchange' : 'password';
        ctx.body = { id: outcome.customer.id, ...(await signInContact(deps, outcome.customer, grantType)) };
      },
    }),
    route({
      method: 'post',
      path: '/self-service/v1/contacts/validate-otp',
      tags,
      summary: 'Exchange a one-time code for the contact, its organisations and tokens',
      ...selfService(
        deps.auth,
        'contacts.validate-otp',
        '`credentials`: [{name: "EMAIL", value}] or [{name: "PHONE", value}, {name: "COUNTRY_CODE", value}]. `exp` is in milliseconds. Failures are limited per identifier and per IP.',
      ),
      request: { body: validateOtpInput, bodyTypes: crmBodyTypes, example: { credentials: phoneCredentials, code: '482913' } },
      responses: {
        200: { description: 'Signed in', schema: authenticationResponse, example: exampleAuthentication },
        ...crmRefusals,
        401: rempFailure('invalid_code, or an invalid api_key', { code: 'invalid_code', message: 'The code is invalid or expired' }),
      },
      async handler(ctx, { body: { credentials, code } }) {
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
        ctx.body = await signInContact(deps, customer, OTP_GRANT_TYPE);
      },
    }),
    // Step 4: sign in again after logging out. The same answer whether or not anyone has the identifier.
    route({
      method: 'post',
      path: '/self-service/v1/contacts/request-otp',
      tags,
      summary: 'Send a one-time sign-in code by SMS or e-mail (after logging out)',
      ...selfService(deps.auth, 'contacts.request-otp', 'The same answer whether or not anyone has the identifier.'),
      request: { body: requestOtpInput, bodyTypes: crmBodyTypes, example: { credentials: phoneCredentials } },
      responses: { 202: { description: 'Accepted', schema: acceptedResponse, example: CODE_SENT }, ...crmRefusals, 503: noProvider },
      async handler(ctx, { body: { credentials } }) {
        const identifier = otpIdentifierFromCredentials(credentials);
        await requestOtp({ em: em(), keys: otpKeys, settings: deps.config.otp, notifier: deps.notifier }, { identifier, purpose: 'login', ip: ctx.ip });
        ctx.status = 202;
        noStore(ctx);
        ctx.body = CODE_SENT;
      },
    }),
    // E-mail + password contacts, and identifier + pass code of an Effective access token.
    route({
      method: 'post',
      path: '/self-service/v1/contacts/authenticate',
      tags,
      summary: "Sign in with EMAIL + PASSWORD (or an access token's IDENTIFIER + PASS_CODE)",
      ...selfService(
        deps.auth,
        'contacts.authenticate',
        'Only Effective access tokens sign in. Failures are limited per identifier and per IP (429 with Retry-After).',
      ),
      request: { body: authenticateInput, bodyTypes: crmBodyTypes, example: { credentials: emailCredentials } },
      responses: {
        200: { description: 'Signed in', schema: authenticationResponse, example: exampleAuthentication },
        ...crmRefusals,
        401: rempFailure('invalid_credentials, or an invalid api_key', { code: 'invalid_credentials', message: 'The credentials are invalid' }),
      },
      async handler(ctx, { body: { credentials } }) {
        const { identifier, secret } = passwordFromCredentials(credentials);
        const fork = em();
        // The password grant's credential and pipeline: the same work, limiter and answer.
        const outcome = await signIn(fork, {
          limiter: deps.limiters.password,
          limiterKey: identifier,
          method: 'password',
          attempt: attempt(ctx),
          lookup: passwordOrPassCodeLookup(identifier),
          verify: async ([found]) => {
            const customer = await verifyPasswordOrPassCode(fork, found, secret);
            if (!customer) throw new CredentialRejected('invalid credentials');
            return { customerId: customer.id };
          },
        });
        if (outcome.result === 'locked') throw tooManyRequests(outcome.retryAfterSeconds);
        if (outcome.result === 'failed') throw invalidCredentials();
        // The contact's summary reads the whole record: an entity, not the verifier's claims.
        const customer = await findCustomerById(fork, outcome.customerId);
        if (!customer) throw invalidCredentials();
        noStore(ctx);
        ctx.body = await signInContact(deps, customer, 'password');
      },
    }),
    route({
      method: 'post',
      path: '/self-service/v1/contacts/refresh',
      tags,
      summary: 'New tokens for a refresh token (rotated; a replayed one revokes the session)',
      ...selfService(deps.auth, 'contacts.refresh'),
      request: { body: refreshInput, bodyTypes: crmBodyTypes, example: { refresh_token: exampleAuthentication.refresh_token } },
      responses: {
        200: { description: 'Refreshed', schema: authenticationResponse, example: exampleAuthentication },
        ...crmRefusals,
        401: rempFailure('invalid_refresh_token, or an invalid api_key', {
          code: 'invalid_refresh_token',
          message: 'The refresh token is invalid, expired or already used',
        }),
      },
      async handler(ctx, { body: { refresh_token } }) {
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
        ctx.body = refreshed;
      },
    }),
    // Back-Office Step 2: credentials for a contact the back office created, matched by key data.
    route({
      method: 'post',
      path: '/self-service/v1/contacts/identities',
      tags,
      summary: 'Add credentials to an existing contact found by key data',
      ...selfService(
        deps.auth,
        'contacts.add-identity',
        'Key data: `contact.id` + `contact.cross_reference_code`, or `contact.email` / `contact.phone_number` + ' +
          '`contact.last_name` (then the new identity must use that same e-mail or phone). A one-time code goes to the new e-mail or phone ' +
          "(Facebook: to the contact's own); the credential takes effect when validate-otp accepts that code. The answer is the same whether or not the key data matched.",
      ),
      request: {
        body: addIdentityInput,
        bodyTypes: crmBodyTypes,
        example: { contact: { id: exampleContactId, cross_reference_code: 'CRM-1001' }, identity: { provider: 'EMAIL', email: 'jane@example.com' } },
      },
      responses: { 202: { description: 'Accepted', schema: acceptedResponse, example: CODE_SENT }, ...crmRefusals, 503: noProvider },
      async handler(ctx, { body: input }) {
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
        ctx.body = CODE_SENT;
      },
    }),
  ]);
}
