import type { EntityManager } from '@mikro-orm/postgresql';
import { activeDefinitionFor } from '../credentials/credential-tokens/definitions.js';
import { deliver, type OutgoingMessage } from '../credentials/credential-tokens/communication.js';
import type { AccessTokenDefinitionRow } from '../credentials/credential-tokens/entities.js';
import { createCredentialToken, type CredentialTokenDependencies } from '../credentials/credential-tokens/service.js';
import type { Config } from '../../platform/config.js';
import { CustomerEntity, CustomerIdentityEntity, type CustomerRow } from '../customers/entities.js';
import { insertCustomer, normalizeEmail } from '../customers/service.js';
import { conflict } from '../../platform/errors.js';
import { channelUnavailable, type Notifier } from '../../platform/notify/notifier.js';
import type { OtpKeys } from '../credentials/otp/codes.js';
import type { OtpIdentifier } from '../credentials/otp/identifier.js';
import { requestOtp } from '../credentials/otp/service.js';
import { signInDisabled, socialApiError } from '../credentials/social/api-errors.js';
import type { FacebookSignIn } from '../credentials/social/facebook.js';
import type { VerifiedIdentity } from '../credentials/social/identity.js';
import { recordEvent } from '../events/outbox.js';
import { normalizeContactPhone } from './phone.js';
import type { IdentityInput, RegisterInput } from './schemas.js';

export interface RegistrationDependencies {
  em: EntityManager;
  config: Config;
  notifier: Notifier;
  otpKeys: OtpKeys;
  facebook?: FacebookSignIn;
  credentialTokens: Omit<CredentialTokenDependencies, 'em' | 'notifier'>;
}

/** What the app does next: nothing (signed in), validate the OTP, or verify the access token. */
export type RegistrationOutcome = { customer: CustomerRow; next: 'SIGNED_IN' | 'VALIDATE_OTP' | 'VERIFY_ACCESS_TOKEN' };

/** An identity after its proof was checked: e-mail and phone normalised, a Facebook token verified. */
export interface ResolvedIdentity {
  provider: IdentityInput['provider'];
  /** As given (trimmed); compare through normalizeEmail. */
  email?: string;
  phoneNumber?: string;
  password?: string;
  facebook?: VerifiedIdentity;
  /** Where a one-time code goes, for the OTP identities (normalised). */
  otp?: OtpIdentifier;
}

export async function resolveIdentity(identity: IdentityInput, facebook: FacebookSignIn | undefined, field = 'identity'): Promise<ResolvedIdentity> {
  if (identity.provider === 'EMAIL') {
    const email = identity.email.trim();
    return { provider: 'EMAIL', email, password: identity.password, otp: identity.password ? undefined : { channel: 'email', value: normalizeEmail(email) } };
  }
  if (identity.provider === 'PHONE') {
    const phoneNumber = normalizeContactPhone(identity.phone_number, identity.country_code, `${field}.country_code`);
    return { provider: 'PHONE', phoneNumber, otp: { channel: 'sms', value: phoneNumber } };
  }
  if (!facebook) throw signInDisabled('facebook');
  let verified: VerifiedIdentity;
  try {
    verified = await facebook.verifyAccessToken(identity.access_token);
  } catch (error) {
    throw socialApiError(error);
  }
  // Only an address Facebook confirmed is kept: an unconfirmed one could block its real owner.
  return { provider: 'FACEBOOK', facebook: verified, email: verified.emailVerified && verified.email ? verified.email.trim() : undefined };
}

const identityExists = (what: string) => conflict(`A contact with this ${what} already exists`, 'identity_exists');

/**
 * The access token a definition with "assign on registration" asks for: the identity's e-mail or
 * phone as identifier (per the definition's format) with the password as pass code — or a
 * generated pass code when the identity has no password; an authentication code when there is no
 * identifier and the definition allows it; none otherwise.
 */
function plannedCredentialToken(definition: AccessTokenDefinitionRow, identity: ResolvedIdentity) {
  const identifier =
    definition.identifierFormat === 'EMAIL'
      ? identity.email
      : definition.identifierFormat === 'PHONE'
        ? identity.phoneNumber
        : (identity.email ?? identity.phoneNumber);
  if (identifier) return { identifier, passCode: identity.password };
  return definition.allowWithoutCredentials ? {} : undefined;
}

/**
 * CRM.COM self-service registration (Step 1). One transaction: an identity that exists (e-mail,
 * phone, Facebook account, or access-token identifier) is a 409 and nothing is created; so is a
 * one-time code that cannot be issued (429, 503). OTP identities get a code by SMS or e-mail.
 */
export async function registerContact(deps: RegistrationDependencies, input: RegisterInput, ip?: string): Promise<RegistrationOutcome> {
  const identity = await resolveIdentity(input.identity, deps.facebook);
  if (identity.otp && !deps.notifier.supports(identity.otp.channel)) throw channelUnavailable(identity.otp.channel);
  const now = new Date();

  const result = await deps.em.transactional(async (tx) => {
    if (identity.email && (await tx.findOne(CustomerEntity, { emailNormalized: normalizeEmail(identity.email) }, { fields: ['id'] })))
      throw identityExists('e-mail address');
    if (identity.phoneNumber && (await tx.findOne(CustomerEntity, { phoneNumber: identity.phoneNumber }, { fields: ['id'] })))
      throw identityExists('phone number');
    if (identity.facebook && (await tx.findOne(CustomerIdentityEntity, { provider: 'facebook', subject: identity.facebook.subject })))
      throw identityExists('Facebook account');

    const definition = await activeDefinitionFor(tx, null);
    const plan = definition?.assignOnRegistration ? plannedCredentialToken(definition, identity) : undefined;
    const customer = await insertCustomer(tx, {
      firstName: input.first_name,
      lastName: input.last_name,
      title: input.title ?? null,
      email: identity.email ?? null,
      emailVerifiedAt: identity.facebook && identity.email ? now : null,
      phoneNumber: identity.phoneNumber ?? null,
      // With an access token the password is its pass code (one credential, not two copies), so it
      // signs in only once the token is Effective.
      password: plan?.identifier ? undefined : identity.password,
      emailOptOut: input.email_opt_out ?? false,
      smsOptOut: input.sms_opt_out ?? false,
      serviceAcceptanceAt: input.service_acceptance ? now : null,
      source: 'self-service',
    });
    if (identity.facebook) {
      tx.create(CustomerIdentityEntity, {
        provider: 'facebook',
        subject: identity.facebook.subject,
        customerId: customer.id,
        email: identity.facebook.email ?? null,
        createdAt: now,
        lastUsedAt: now,
      });
    }
    const data = { user_id: customer.id, email: customer.email ?? null, source: 'self-service' };
    recordEvent(tx, { type: 'NewUserEvent', customerId: customer.id, data });
    recordEvent(tx, { type: 'UserRegisteredEvent', customerId: customer.id, data });
    recordEvent(tx, {
      type: 'ContactChangedEvent',
      customerId: customer.id,
      data: { contact_id: customer.id, type: 'PERSON', action: 'registered', provider: identity.provider },
    });
    await tx.flush();

    let outgoing: OutgoingMessage | undefined;
    let tokenPending = false;
    if (plan) {
      const created = await createCredentialToken(
        { ...deps.credentialTokens, em: tx, notifier: deps.notifier },
        {
          identifier: plan.identifier,
          passCode: plan.passCode,
          generatePassCode: true,
          link: { customer, entityType: 'REWARDS_PARTICIPANT' },
          actor: 'self-service',
        },
      );
      outgoing = created.outgoing;
      tokenPending = created.token.state === 'PENDING_VERIFICATION' && Boolean(plan.identifier && identity.password);
    }
    // Last, inside the transaction: a throttled or failed request rolls the registration back.
    if (identity.otp)
      await requestOtp(
        { em: tx, keys: deps.otpKeys, settings: deps.config.otp, notifier: deps.notifier },
        { identifier: identity.otp, purpose: 'verify', ip, customerId: customer.id },
      );
    return { customer, outgoing, tokenPending };
  });
  deliver(deps.notifier, [result.outgoing]);
  const next = identity.otp ? 'VALIDATE_OTP' : result.tokenPending ? 'VERIFY_ACCESS_TOKEN' : 'SIGNED_IN';
  return { customer: result.customer, next };
}
