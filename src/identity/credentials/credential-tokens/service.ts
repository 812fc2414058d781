import { randomUUID } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../../platform/config.js';
import type { CustomerRow } from '../../customers/entities.js';
import { hashPassword } from '../../../platform/crypto/passwords.js';
import { Conflict, Invalid, NotFound, conflict } from '../../../platform/errors.js';
import {
  generateAuthenticationCode,
  generatePassCode,
  generateVerificationCode,
  hashAuthenticationCode,
  hashVerificationCode,
  verificationCodeMatches,
  assertPassCodeAllowed,
  type VerificationCodeKey,
} from './codes.js';
import { composeCommunication, type CommunicationNotifier, type OutgoingMessage } from './communication.js';
import { activeDefinitionFor } from './definitions.js';
import {
  AccessTokenDefinitionEntity,
  CredentialTokenEntity,
  CredentialTokenLinkEntity,
  CredentialTokenStateChangeEntity,
  type AccessTokenDefinitionRow,
  type CredentialTokenRow,
  type CredentialTokenState,
  type LinkedEntityType,
  type StateChangeReason,
} from './entities.js';
import { parseTokenIdentifier } from './identifiers.js';
import { linkedCustomer } from './authentication.js';
import { flushOrConflict } from '../../../platform/db/orm.js';

/** What every state-changing operation needs; `em` is the caller's transaction. */
export interface CredentialTokenDependencies {
  em: EntityManager;
  settings: Config['credentialTokens'];
  keys: VerificationCodeKey;
  notifier: CommunicationNotifier;
}

export interface LinkTarget {
  customer: CustomerRow;
  entityType: LinkedEntityType;
}

export interface CreateCredentialTokenInput {
  classification?: string | null;
  identifier?: string;
  passCode?: string;
  /**
   * With an identifier and no pass code, generate one instead of refusing: for tokens the system
   * creates on the customer's behalf (registration with a one-time-code identity).
   */
  generatePassCode?: boolean;
  link?: LinkTarget;
  /** Recorded with each state change: `client:<id>`, `api_key:<id>`, `self-service`. */
  actor: string;
}

export interface CreatedCredentialToken {
  token: CredentialTokenRow;
  definition: AccessTokenDefinitionRow;
  /** Generated here, so shown once to whoever asked (never stored in clear). */
  generatedPassCode?: string;
  authenticationCode?: string;
  /** To hand to `deliver()` once the transaction commits. */
  outgoing?: OutgoingMessage;
}

const noActiveDefinition = (classification?: string | null) =>
  new Conflict(
    'no_active_definition',
    classification ? `No active access token definition applies to classification ${classification}` : 'No access token definition is active',
  );

function recordStateChange(
  em: EntityManager,
  token: CredentialTokenRow,
  to: CredentialTokenState,
  reason: StateChangeReason,
  actor: string,
  now: Date,
  from?: CredentialTokenState | null,
) {
  em.create(CredentialTokenStateChangeEntity, {
    accessTokenId: token.id,
    fromState: from === undefined ? token.state : from,
    toState: to,
    reason,
    actor,
    createdAt: now,
  });
  token.state = to;
  token.updatedAt = now;
}

function startVerification(deps: CredentialTokenDependencies, token: CredentialTokenRow, definition: AccessTokenDefinitionRow, now: Date): string {
  const code = generateVerificationCode(definition.verificationCodeLength);
  token.verificationCodeHash = hashVerificationCode(deps.keys, token.id, code);
  token.verificationExpiresAt = new Date(now.getTime() + deps.settings.verificationTtlSeconds * 1000);
  token.verificationAttempts = 0;
  token.verificationMaxAttempts = deps.settings.verificationMaxAttempts;
  return code;
}

function clearVerification(token: CredentialTokenRow) {
  token.verificationCodeHash = null;
  token.verificationExpiresAt = null;
  token.verificationAttempts = 0;
}

/** The state a token takes when it gets its first entity: verification first if the definition asks and it was never verified. */
const stateOnAssignment = (definition: AccessTokenDefinitionRow, token: Pick<CredentialTokenRow, 'verifiedAt'>): CredentialTokenState =>
  definition.requireVerification && !token.verifiedAt ? 'PENDING_VERIFICATION' : 'EFFECTIVE';

async function nextNumber(em: EntityManager): Promise<string> {
  const [row] = await em.execute<Array<{ n: string }>>(`select nextval('access_token_number_seq')::text as n`);
  return row!.n.padStart(10, '0');
}

/**
 * Creates a token under the active definition (the classification's own, else the default):
 * identifier + pass code, or — when the definition allows tokens with neither — an authentication
 * code. "If an Identifier is used then the Pass Code is mandatory" (crm-com-access-tokens,
 * glossary): an identifier alone is refused, unless the system generates the pass code
 * (`generatePassCode`). Linked at creation it is Pending Verification (a code is generated and
 * communicated) or Effective; unlinked it is Not Effective, as it identifies no one yet (README,
 * CRM.COM: the spec's "created in Pending Verification / Effective" presumes the entity it is
 * created for). Runs in the caller's transaction; 409 when the identifier is taken.
 */
export async function createCredentialToken(deps: CredentialTokenDependencies, input: CreateCredentialTokenInput): Promise<CreatedCredentialToken> {
  const { em } = deps;
  const definition = await activeDefinitionFor(em, input.classification);
  if (!definition) throw noActiveDefinition(input.classification);
  const parsed = input.identifier ? parseTokenIdentifier(definition.identifierFormat, input.identifier) : undefined;
  if (!parsed && !definition.allowWithoutCredentials) {
    throw new Invalid('invalid_request', 'identifier: required by the access token definition', {
      fields: { identifier: ['Required: the definition does not allow tokens without identifier and pass code.'] },
    });
  }
  if (parsed && !input.passCode && !input.generatePassCode) {
    throw new Invalid('invalid_request', 'pass_code: required with an identifier', {
      fields: { pass_code: ['Required: if an identifier is used, the pass code is mandatory.'] },
    });
  }
  if (input.passCode) assertPassCodeAllowed(input.passCode, definition.passCodeRules);
  const generatedPassCode = parsed && !input.passCode ? generatePassCode(definition.passCodeRules) : undefined;
  const passCode = input.passCode ?? generatedPassCode;
  const authenticationCode = parsed ? undefined : generateAuthenticationCode();
  if (parsed && (await em.findOne(CredentialTokenEntity, { identifierNormalized: parsed.normalized }, { fields: ['id'] }))) {
    throw conflict('An access token with this identifier already exists', 'identifier_taken');
  }

  const now = new Date();
  const token = em.create(CredentialTokenEntity, {
    id: randomUUID(),
    number: await nextNumber(em),
    definitionId: definition.id,
    classification: input.classification ?? null,
    identifier: parsed?.identifier ?? null,
    identifierNormalized: parsed?.normalized ?? null,
    passCodeHash: passCode ? await hashPassword(passCode) : null,
    authenticationCodeHash: authenticationCode ? hashAuthenticationCode(authenticationCode) : null,
    state: 'NOT_EFFECTIVE',
    verifiedAt: null,
    verificationCodeHash: null,
    verificationExpiresAt: null,
    verificationAttempts: 0,
    verificationMaxAttempts: 0,
    createdAt: now,
    updatedAt: now,
  });
  // The token row first: the link and state-change rows reference it.
  await flushOrConflict(em, () => conflict('An access token with this identifier already exists', 'identifier_taken'));
  const initialState = input.link ? stateOnAssignment(definition, token) : 'NOT_EFFECTIVE';
  recordStateChange(em, token, initialState, 'CREATED', input.actor, now, null);
  const verificationCode = initialState === 'PENDING_VERIFICATION' ? startVerification(deps, token, definition, now) : undefined;
  let outgoing: OutgoingMessage | undefined;
  if (input.link) {
    em.create(CredentialTokenLinkEntity, { accessTokenId: token.id, entityType: input.link.entityType, customerId: input.link.customer.id, createdAt: now });
    outgoing = composeCommunication(deps.notifier, definition, token, input.link.customer, { passCode, authenticationCode, verificationCode });
  }
  await em.flush();
  return { token, definition, generatedPassCode, authenticationCode, outgoing };
}

async function definitionOf(em: EntityManager, token: CredentialTokenRow): Promise<AccessTokenDefinitionRow> {
  return em.findOneOrFail(AccessTokenDefinitionEntity, { id: token.definitionId });
}

export async function lockCredentialToken(em: EntityManager, id: string): Promise<CredentialTokenRow> {
  const token = await em.findOne(CredentialTokenEntity, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  if (!token) throw new NotFound('not_found', 'Access token not found');
  return token;
}

/**
 * Assigns the token to a customer's entity. All entities of a token belong to one customer (the
 * token identifies that customer). The first assignment makes a Not Effective token Pending
 * Verification or Effective and sends the definition's communication.
 */
export async function linkCredentialToken(
  deps: CredentialTokenDependencies,
  token: CredentialTokenRow,
  target: LinkTarget,
  actor: string,
): Promise<OutgoingMessage | undefined> {
  const { em } = deps;
  const links = await em.find(CredentialTokenLinkEntity, { accessTokenId: token.id });
  if (links.some((link) => link.customerId !== target.customer.id))
    throw conflict('The access token already identifies another contact', 'linked_to_another_contact');
  if (links.some((link) => link.entityType === target.entityType)) return undefined;
  const now = new Date();
  em.create(CredentialTokenLinkEntity, { accessTokenId: token.id, entityType: target.entityType, customerId: target.customer.id, createdAt: now });
  const definition = await definitionOf(em, token);
  let verificationCode: string | undefined;
  if (token.state === 'NOT_EFFECTIVE') {
    const next = stateOnAssignment(definition, token);
    recordStateChange(em, token, next, 'LINKED', actor, now);
    if (next === 'PENDING_VERIFICATION') verificationCode = startVerification(deps, token, definition, now);
  }
  const outgoing = links.length === 0 ? composeCommunication(deps.notifier, definition, token, target.customer, { verificationCode }) : undefined;
  await em.flush();
  return outgoing;
}

/** Removes one entity; removing the last makes the token Not Effective ("no longer any entity related to it"). */
export async function unlinkCredentialToken(em: EntityManager, token: CredentialTokenRow, entityType: LinkedEntityType, actor: string): Promise<void> {
  const links = await em.find(CredentialTokenLinkEntity, { accessTokenId: token.id });
  if (!links.some((link) => link.entityType === entityType)) throw new NotFound('not_found', `The access token is not linked to a ${entityType}`);
  if (links.length === 1) {
    if (token.state !== 'NOT_EFFECTIVE') recordStateChange(em, token, 'NOT_EFFECTIVE', 'UNLINKED', actor, new Date());
    clearVerification(token);
    // State first: the database trigger that covers other unlinks then finds nothing to do.
    await em.flush();
  }
  await em.nativeDelete(CredentialTokenLinkEntity, { accessTokenId: token.id, entityType });
}

const invalidVerificationCode = () => new Invalid('invalid_verification_code', 'The verification code is invalid or expired');

/**
 * Pending Verification → Effective with the code that was sent. Every failure — not pending,
 * wrong, expired, attempts used up — is the same 400. Each try is counted before the code is
 * compared, in one conditional update, so parallel guesses cannot exceed the allowance.
 */
export async function verifyCredentialToken(
  deps: Omit<CredentialTokenDependencies, 'notifier'>,
  tokenId: string,
  code: string,
  actor: string,
): Promise<CredentialTokenRow> {
  const { em, keys } = deps;
  const now = new Date();
  const snapshot = await em.findOne(CredentialTokenEntity, { id: tokenId }, { disableIdentityMap: true });
  if (!snapshot || snapshot.state !== 'PENDING_VERIFICATION' || !snapshot.verificationCodeHash) throw invalidVerificationCode();
  const counted = await em.execute<{ affectedRows: number }>(
    `update access_token set verification_attempts = verification_attempts + 1
      where id = ? and state = 'PENDING_VERIFICATION' and verification_code_hash = ? and verification_expires_at > ? and verification_attempts < verification_max_attempts`,
    [tokenId, snapshot.verificationCodeHash, now],
    'run',
  );
  if (counted.affectedRows !== 1) throw invalidVerificationCode();
  if (!verificationCodeMatches(keys, tokenId, code, snapshot.verificationCodeHash)) throw invalidVerificationCode();

  // A clean identity map: the caller's may hold the token as it was before the update above. The
  // verified token is merged back into the caller's unit of work on commit.
  return em.transactional(
    async (tx) => {
      const token = await lockCredentialToken(tx, tokenId);
      // Only the code that was checked: a resend in between retired it.
      if (token.state !== 'PENDING_VERIFICATION' || token.verificationCodeHash !== snapshot.verificationCodeHash) throw invalidVerificationCode();
      token.verifiedAt = now;
      clearVerification(token);
      const linked = await tx.count(CredentialTokenLinkEntity, { accessTokenId: token.id });
      recordStateChange(tx, token, linked > 0 ? 'EFFECTIVE' : 'NOT_EFFECTIVE', 'VERIFIED', actor, now);
      await tx.flush();
      return token;
    },
    { clear: true },
  );
}

/** A new verification code for a Pending Verification token (the previous one stops working), sent again. */
export async function resendVerification(deps: CredentialTokenDependencies, token: CredentialTokenRow): Promise<OutgoingMessage | undefined> {
  if (token.state !== 'PENDING_VERIFICATION') throw conflict('The access token is not pending verification', 'not_pending_verification');
  const customer = await linkedCustomer(deps.em, token.id);
  if (!customer) throw conflict('The access token is not linked to an active contact', 'not_linked');
  const definition = await definitionOf(deps.em, token);
  const verificationCode = startVerification(deps, token, definition, new Date());
  token.updatedAt = new Date();
  const outgoing = composeCommunication(deps.notifier, definition, token, customer, { verificationCode });
  await deps.em.flush();
  return outgoing;
}

/** "Generate a new Pass Code … without having to provide the old Pass Code"; returned once. */
export async function resetPassCode(em: EntityManager, token: CredentialTokenRow): Promise<string> {
  if (!token.passCodeHash) throw conflict('The access token has no pass code: it authenticates with an authentication code', 'no_pass_code');
  const definition = await definitionOf(em, token);
  const passCode = generatePassCode(definition.passCodeRules);
  token.passCodeHash = await hashPassword(passCode);
  token.updatedAt = new Date();
  await em.flush();
  return passCode;
}
