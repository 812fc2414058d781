import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../../platform/config.js';
import { findCustomerByEmail, findCustomerById, findCustomerByPhone } from '../../customers/service.js';
import type { CustomerRow } from '../../customers/entities.js';
import { type Orm, detachedEntityManager } from '../../../platform/db/orm.js';
import { Locked } from '../../../platform/errors.js';
import { channelUnavailable, type Notifier } from '../../../platform/notify/notifier.js';
import { codeMatches, generateCode, hashCode, hashIdentifier, hashIp, normalizePresentedCode, type OtpKeys } from './codes.js';
import { OtpChallengeEntity, type OtpPurpose } from './entities.js';
import type { OtpIdentifier } from './identifier.js';

export type OtpSettings = Config['otp'];

/** Enough to check a code. */
export interface OtpDependencies {
  em: EntityManager;
  keys: OtpKeys;
}

/** Enough to issue one. */
export interface OtpRequestDependencies extends OtpDependencies {
  settings: OtpSettings;
  notifier: Pick<Notifier, 'supports' | 'render' | 'dispatch'>;
}

export interface OtpRequestInput {
  identifier: OtpIdentifier;
  purpose?: OtpPurpose;
  /** The caller's address: feeds the per-IP hourly cap. Server-to-server callers may leave it out. */
  ip?: string;
  /**
   * The customer the code is for, when the caller already knows (registration: purpose 'verify').
   * The caller vouches that the identifier is that customer's; no look-up is made.
   */
  customerId?: string;
}

const OTP_TEMPLATE = 'otp-code';
const HOUR_MS = 3600_000;

/**
 * Issues a code for an e-mail address or phone number. Known or not, the identifier gets the same
 * work, the same limits and the same result: a challenge row is written either way (with no
 * customer for an unknown one, so it can never verify) and the message is rendered either way;
 * only a known customer's message is handed to the notifier, in the background, so the response
 * time does not depend on the provider either. Throws Locked (429 with Retry-After) when throttled,
 * 503 when the channel has no transport.
 */
export async function requestOtp(deps: OtpRequestDependencies, input: OtpRequestInput): Promise<{ challengeId: string; expiresAt: Date }> {
  const { identifier, purpose = 'login' } = input;
  if (!deps.notifier.supports(identifier.channel)) throw channelUnavailable(identifier.channel);

  const identifierHash = hashIdentifier(deps.keys, identifier);
  const ipHash = input.ip ? hashIp(deps.keys, input.ip) : null;
  const challengeId = randomUUID();
  const code = generateCode(deps.settings.codeLength);
  const now = new Date();
  const expiresAt = new Date(now.getTime() + deps.settings.ttlSeconds * 1000);

  const customerId = await deps.em.transactional(async (tx) => {
    // One request per identifier at a time, so two concurrent ones cannot both pass the throttle.
    await tx.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`otp:${identifierHash}`]);
    await enforceRequestLimits(tx, deps.settings, { identifierHash, ipHash, now });
    const customerId = input.customerId ?? (await findCustomerFor(tx, identifier))?.id ?? null;
    // Only the newest code works: a resend retires the ones before it.
    await tx.nativeUpdate(OtpChallengeEntity, { identifierHash, consumedAt: null, expiresAt: { $gt: now } }, { expiresAt: now });
    await tx.insert(OtpChallengeEntity, {
      id: challengeId,
      channel: identifier.channel,
      purpose,
      identifierHash,
      customerId,
      codeHash: hashCode(deps.keys, challengeId, code),
      attempts: 0,
      maxAttempts: deps.settings.maxAttempts,
      expiresAt,
      consumedAt: null,
      ipHash,
      createdAt: now,
    });
    return customerId;
  });

  const message = deps.notifier.render(identifier.channel, OTP_TEMPLATE, { code, purpose, expiresIn: describeDuration(deps.settings.ttlSeconds) });
  if (customerId) deps.notifier.dispatch(identifier.value, message);
  return { challengeId, expiresAt };
}

/**
 * Checks a code against the identifier's newest open challenge and consumes it. Returns the
 * customer id, having marked the e-mail address or phone number verified, or null for every kind
 * of failure alike: no challenge, unknown identifier, wrong code, expired, already used, too many
 * attempts, customer deactivated since.
 */
export async function verifyOtp(deps: OtpDependencies, input: { identifier: OtpIdentifier; code: string }): Promise<string | null> {
  const { em, keys } = deps;
  const now = new Date();
  const challenge = await em.findOne(
    OtpChallengeEntity,
    { identifierHash: hashIdentifier(keys, input.identifier), consumedAt: null, expiresAt: { $gt: now } },
    { orderBy: { createdAt: 'desc' }, fields: ['id', 'customerId', 'codeHash'], disableIdentityMap: true },
  );
  if (!challenge) return null;

  // The attempt is counted before the code is compared, in one conditional update, so parallel
  // guesses cannot get past max_attempts between a read and a write.
  const counted = await em.execute<{ affectedRows: number }>(
    'update otp_challenge set attempts = attempts + 1 where id = ? and consumed_at is null and expires_at > ? and attempts < max_attempts',
    [challenge.id, now],
    'run',
  );
  if (counted.affectedRows !== 1) return null;
  if (!codeMatches(keys, challenge.id, normalizePresentedCode(input.code), challenge.codeHash)) return null;
  if (!challenge.customerId) return null;
  const customerId = challenge.customerId;

  return em.transactional(async (tx) => {
    // Single use: of two requests racing with the right code, one consumes it.
    const consumed = await tx.execute<{ affectedRows: number }>(
      'update otp_challenge set consumed_at = ? where id = ? and consumed_at is null',
      [now, challenge.id],
      'run',
    );
    if (consumed.affectedRows !== 1) return null;
    const customer = await findCustomerById(tx, customerId);
    if (!customer) return null;
    markContactVerified(customer, input.identifier, now);
    return customer.id;
  });
}

/** Rows older than an hour no longer count towards any limit. */
export async function purgeOtpChallenges(orm: Orm): Promise<number> {
  const em = detachedEntityManager(orm);
  const now = new Date();
  return em.nativeDelete(OtpChallengeEntity, { createdAt: { $lt: new Date(now.getTime() - HOUR_MS) }, expiresAt: { $lt: now } });
}

async function findCustomerFor(em: EntityManager, identifier: OtpIdentifier): Promise<CustomerRow | null> {
  return identifier.channel === 'email' ? findCustomerByEmail(em, identifier.value) : findCustomerByPhone(em, identifier.value);
}

/** A code proves the contact only if it is still the customer's own; flushed by the surrounding transaction. */
function markContactVerified(customer: CustomerRow, identifier: OtpIdentifier, now: Date) {
  if (identifier.channel === 'email' && customer.emailNormalized === identifier.value && !customer.emailVerifiedAt) {
    customer.emailVerifiedAt = now;
    customer.updatedAt = now;
  }
  if (identifier.channel === 'sms' && customer.phoneNumber === identifier.value && !customer.phoneVerifiedAt) {
    customer.phoneVerifiedAt = now;
    customer.updatedAt = now;
  }
}

/**
 * Order: the caller's address first (cheapest to abuse across identifiers), then the resend
 * interval, then the identifier's hourly cap. Unknown identifiers have rows too, so each limit
 * answers the same whether or not anyone is registered.
 */
async function enforceRequestLimits(tx: EntityManager, settings: OtpSettings, at: { identifierHash: string; ipHash: string | null; now: Date }) {
  if (at.ipHash) {
    const wait = await hourlyCapWait(tx, { ipHash: at.ipHash }, settings.maxPerIpPerHour, at.now);
    if (wait > 0) throw new Locked(wait);
  }
  const latest = await tx.findOne(
    OtpChallengeEntity,
    { identifierHash: at.identifierHash },
    { orderBy: { createdAt: 'desc' }, fields: ['createdAt'], disableIdentityMap: true },
  );
  const sinceLatestMs = latest ? at.now.getTime() - latest.createdAt.getTime() : Infinity;
  if (sinceLatestMs < settings.resendSeconds * 1000) throw new Locked(Math.ceil((settings.resendSeconds * 1000 - sinceLatestMs) / 1000));
  const wait = await hourlyCapWait(tx, { identifierHash: at.identifierHash }, settings.maxPerHour, at.now);
  if (wait > 0) throw new Locked(wait);
}

/** Seconds until fewer than `cap` challenges fall in the last hour: when the cap-th newest leaves the window. */
async function hourlyCapWait(tx: EntityManager, where: { ipHash: string } | { identifierHash: string }, cap: number, now: Date): Promise<number> {
  const [capth] = await tx.find(
    OtpChallengeEntity,
    { ...where, createdAt: { $gt: new Date(now.getTime() - HOUR_MS) } },
    { orderBy: { createdAt: 'desc' }, offset: cap - 1, limit: 1, fields: ['createdAt'], disableIdentityMap: true },
  );
  return capth ? Math.max(1, Math.ceil((capth.createdAt.getTime() + HOUR_MS - now.getTime()) / 1000)) : 0;
}

function describeDuration(seconds: number): string {
  if (seconds % 60 !== 0 || seconds < 60) return seconds === 1 ? '1 second' : `${seconds} seconds`;
  const minutes = seconds / 60;
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}
