import type { EntityManager } from '@mikro-orm/postgresql';
import { contactIdOf } from '../../customers/contact-lookup.js';
import { CustomerEntity } from '../../customers/entities.js';
import {
  CredentialTokenEntity,
  CredentialTokenLinkEntity,
  CredentialTokenStateChangeEntity,
  type CredentialTokenRow,
  type CredentialTokenState,
} from './entities.js';
import { identifierCandidates } from './identifiers.js';

/** Read-only look-ups of access tokens (customer credentials) for the back office and the self-service verification. */

export async function findCredentialToken(em: EntityManager, id: string): Promise<CredentialTokenRow | null> {
  return em.findOne(CredentialTokenEntity, { id });
}

export async function findCredentialTokenByIdentifier(em: EntityManager, identifier: string): Promise<CredentialTokenRow | null> {
  return em.findOne(CredentialTokenEntity, { identifierNormalized: { $in: identifierCandidates(identifier) } });
}

export async function listCredentialTokens(
  em: EntityManager,
  filter: { customerId?: string; identifier?: string; state?: CredentialTokenState; page: number; size: number },
): Promise<{ rows: CredentialTokenRow[]; total: number }> {
  const where: Record<string, unknown> = {};
  if (filter.state) where.state = filter.state;
  if (filter.identifier) where.identifierNormalized = { $in: identifierCandidates(filter.identifier) };
  if (filter.customerId) {
    const links = await em.find(CredentialTokenLinkEntity, { customerId: filter.customerId }, { fields: ['accessTokenId'] });
    where.id = { $in: links.map((link) => link.accessTokenId) };
  }
  const [rows, total] = await em.findAndCount(CredentialTokenEntity, where, {
    orderBy: { createdAt: 'desc', id: 'asc' },
    limit: filter.size,
    offset: (filter.page - 1) * filter.size,
  });
  return { rows, total };
}

export async function listStateChanges(em: EntityManager, tokenId: string) {
  return em.find(CredentialTokenStateChangeEntity, { accessTokenId: tokenId }, { orderBy: { id: 'asc' } });
}

/** The response form of tokens, with each linked entity's contact id (external id, else UUID). */
export async function credentialTokenViews(em: EntityManager, tokens: CredentialTokenRow[]) {
  const links = tokens.length
    ? await em.find(CredentialTokenLinkEntity, { accessTokenId: { $in: tokens.map((token) => token.id) } }, { orderBy: { createdAt: 'asc' } })
    : [];
  const customerIds = [...new Set(links.map((link) => link.customerId))];
  const customers = customerIds.length ? await em.find(CustomerEntity, { id: { $in: customerIds } }, { fields: ['id', 'externalId'] }) : [];
  const contactIds = new Map(customers.map((customer) => [customer.id, contactIdOf(customer)]));
  return tokens.map((token) => ({
    id: token.id,
    number: token.number,
    definition_id: token.definitionId,
    classification: token.classification ?? null,
    identifier: token.identifier ?? null,
    has_pass_code: Boolean(token.passCodeHash),
    has_authentication_code: Boolean(token.authenticationCodeHash),
    state: token.state,
    verified_at: token.verifiedAt?.toISOString() ?? null,
    entities: links
      .filter((link) => link.accessTokenId === token.id)
      .map((link) => ({ entity_type: link.entityType, contact_id: contactIds.get(link.customerId) ?? link.customerId })),
    created_at: token.createdAt.toISOString(),
    updated_at: token.updatedAt.toISOString(),
  }));
}

/** The token a self-service app names by identifier or by number. */
export async function findCredentialTokenForSelfService(em: EntityManager, by: { identifier?: string; number?: string }): Promise<CredentialTokenRow | null> {
  if (by.identifier) return findCredentialTokenByIdentifier(em, by.identifier);
  return by.number ? em.findOne(CredentialTokenEntity, { number: by.number }) : null;
}
