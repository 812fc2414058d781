import type { EntityManager } from '@mikro-orm/postgresql';
import type { CustomerRow } from '../../customers/entities.js';
import { findCustomerByEmail, findCustomerById } from '../../customers/service.js';
import { verifyPassword } from '../../../platform/crypto/passwords.js';
import { hashAuthenticationCode } from './codes.js';
import { CredentialTokenEntity, CredentialTokenLinkEntity } from './entities.js';
import { identifierCandidates } from './identifiers.js';
import { preparedStatement, queryPrepared } from '../../../platform/db/prepared.js';

interface PassCodeRow {
  id: string;
  state: string;
  pass_code_hash: string | null;
}

/** The pass-code check of every password-grant sign-in (whatever the identifier names), prepared: one array parameter for the identifier's spellings. */
const FIND_BY_IDENTIFIER = preparedStatement(
  'credential_token_by_identifier',
  'select id, state, pass_code_hash from access_token where identifier_normalized = any(?::text[]) limit 1',
);

/** The access token an identifier names, with what checking its pass code needs. */
async function findByIdentifier(em: EntityManager, identifier: string): Promise<{ id: string; state: string; passCodeHash: string | null } | undefined> {
  const [row] = await queryPrepared<PassCodeRow>(em, FIND_BY_IDENTIFIER, [identifierCandidates(identifier)]);
  return row && { id: row.id, state: row.state, passCodeHash: row.pass_code_hash };
}

/** The customer a token identifies (every link of a token is to the same customer), if still usable. */
export async function linkedCustomer(em: EntityManager, tokenId: string): Promise<CustomerRow | null> {
  const link = await em.findOne(CredentialTokenLinkEntity, { accessTokenId: tokenId }, { orderBy: { createdAt: 'asc' } });
  return link ? findCustomerById(em, link.customerId) : null;
}

/**
 * Identifier + pass code of an access token. "Only 'Effective' Access Tokens will allow customers
 * to be logged-in": a Pending Verification or Not Effective token — or one whose customer is gone
 * — fails exactly like a wrong pass code. Exactly one argon2 verification runs whatever the
 * outcome (against a decoy hash when no token matches), so timing does not tell them apart.
 */
export async function authenticateWithCredentialToken(em: EntityManager, identifier: string, passCode: string): Promise<CustomerRow | null> {
  const token = await findByIdentifier(em, identifier);
  const matches = await verifyPassword(token?.passCodeHash, passCode);
  if (!matches || !token || token.state !== 'EFFECTIVE') return null;
  return linkedCustomer(em, token.id);
}

/**
 * The password grant's credential: an account's e-mail + password, or else the identifier + pass
 * code of an Effective access token. One argon2 verification when the identifier names one of
 * them (or neither: a decoy), so the cost, the answer and the limiter's count are the same
 * whichever was unknown or wrong.
 */
export async function authenticateWithPasswordOrPassCode(em: EntityManager, identifier: string, secret: string): Promise<CustomerRow | null> {
  const [customer, token] = await Promise.all([findCustomerByEmail(em, identifier), findByIdentifier(em, identifier)]);
  if (customer?.passwordHash || !token?.passCodeHash) {
    if (await verifyPassword(customer?.passwordHash, secret)) return customer;
    if (!token?.passCodeHash) return null;
  }
  const matches = await verifyPassword(token.passCodeHash, secret);
  if (!matches || token.state !== 'EFFECTIVE') return null;
  return linkedCustomer(em, token.id);
}

/** An authentication code (the `urn:gatehouse:grant-type:access-token-code` grant); Effective tokens only. */
export async function customerForAuthenticationCode(em: EntityManager, code: string): Promise<CustomerRow | null> {
  if (code.length > 200) return null;
  const token = await em.findOne(
    CredentialTokenEntity,
    { authenticationCodeHash: hashAuthenticationCode(code) },
    { fields: ['id', 'state'], disableIdentityMap: true },
  );
  if (!token || token.state !== 'EFFECTIVE') return null;
  return linkedCustomer(em, token.id);
}
