import type { EntityManager } from '@mikro-orm/postgresql';
import type { CustomerRow } from '../../customers/entities.js';
import { findCustomerById, normalizeEmail, type ClaimSource } from '../../customers/service.js';
import { CUSTOMER_SUMMARY_COLUMNS, USABLE_CUSTOMER, customerSummaryFromRow, type CustomerSummaryRow } from '../../customers/read-model.js';
import type { CompanionRead } from '../../limits/credential-limiter.js';
import { verifyPassword } from '../../../platform/crypto/passwords.js';
import { hashAuthenticationCode } from './codes.js';
import { CredentialTokenEntity, CredentialTokenLinkEntity } from './entities.js';
import { identifierCandidates } from './identifiers.js';

/**
 * What the password grant's credential check reads, in one statement run alongside the limiter's
 * reservation (src/identity/sign-in.ts): the usable customer an e-mail names, with its password
 * hash, and the access token an identifier names, with its pass-code hash. Either may be absent
 * (its columns null). The identifier's spellings come as one array parameter.
 */
const PASSWORD_OR_PASS_CODE = `select customer.*, token.id as token_id, token.state as token_state, token.pass_code_hash as token_pass_code_hash
  from (select 1) as one
  left join lateral (select ${CUSTOMER_SUMMARY_COLUMNS}, c.password_hash from customer c where c.email_normalized = ? and ${USABLE_CUSTOMER}) as customer on true
  left join lateral (select id, state, pass_code_hash from access_token where identifier_normalized = any(?::text[]) limit 1) as token on true`;

export type PasswordOrPassCodeRow = CustomerSummaryRow & {
  password_hash: string | null;
  token_id: string | null;
  token_state: string | null;
  token_pass_code_hash: string | null;
};

/** The look-up behind verifyPasswordOrPassCode, for the sign-in pipeline to run with its reservation. */
export function passwordOrPassCodeLookup(identifier: string): CompanionRead<PasswordOrPassCodeRow> {
  return { sql: PASSWORD_OR_PASS_CODE, bindings: [normalizeEmail(identifier), identifierCandidates(identifier)] };
}

/** The customer a token identifies (every link of a token is to the same customer), if still usable. */
export async function linkedCustomer(em: EntityManager, tokenId: string): Promise<CustomerRow | null> {
  const link = await em.findOne(CredentialTokenLinkEntity, { accessTokenId: tokenId }, { orderBy: { createdAt: 'asc' } });
  return link ? findCustomerById(em, link.customerId) : null;
}

/**
 * The password grant's credential: an account's e-mail + password, or else the identifier + pass
 * code of an Effective access token ("Only 'Effective' Access Tokens will allow customers to be
 * logged-in": a Pending Verification or Not Effective token, or one whose customer is gone, fails
 * exactly like a wrong pass code). `found` is the row of passwordOrPassCodeLookup. One argon2
 * verification when the identifier names one of them (or neither: a decoy), so the cost, the
 * answer and the limiter's count are the same whichever was unknown or wrong.
 */
export async function verifyPasswordOrPassCode(em: EntityManager, found: PasswordOrPassCodeRow | undefined, secret: string): Promise<ClaimSource | null> {
  const customer = found?.id ? found : undefined;
  const token = found?.token_id ? { id: found.token_id, state: found.token_state, passCodeHash: found.token_pass_code_hash } : undefined;
  if (customer?.password_hash || !token?.passCodeHash) {
    if (await verifyPassword(customer?.password_hash, secret)) return customerSummaryFromRow(customer!);
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
