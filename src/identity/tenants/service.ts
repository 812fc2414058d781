import { flushOrConflict } from '../../platform/db/orm.js';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { hashPassword, verifyPassword } from '../../platform/crypto/passwords.js';
import { randomToken, sha256 } from '../../platform/crypto/secrets.js';
import { Forbidden, Invalid } from '../../platform/errors.js';
import { TenantAdminEntity, TenantEntity, type TenantAdminRow, type TenantRow, type TenantStatus } from './entities.js';
import { tenantIdParam, type TenantAdminSignUpInput } from './schemas.js';

const normalizeEmail = (email: string) => email.trim().toLowerCase();
const normalizeTenantName = (name: string) => name.trim().replace(/\s+/g, ' ').toLowerCase();

/** A 400 in the tenant API's `{errors: {field: [message]}}` shape. */
export const fieldError = (field: string, message: string) => new Invalid('invalid_request', message, { fields: { [field]: [message] } });

export async function signUpTenantAdmin(em: EntityManager, input: TenantAdminSignUpInput): Promise<TenantAdminRow> {
  const emailNormalized = normalizeEmail(input.email);
  const taken = () => fieldError('email', 'The email has already been taken.');
  if (await em.count(TenantAdminEntity, { emailNormalized })) throw taken();
  const now = new Date();
  const admin = em.create(TenantAdminEntity, {
    id: randomUUID(),
    name: input.name,
    email: input.email,
    emailNormalized,
    passwordHash: await hashPassword(input.password),
    createdAt: now,
    updatedAt: now,
  });
  // Two sign-ups racing for one address: the unique index decides.
  await flushOrConflict(em, () => taken());
  return admin;
}

/** Same work and the same answer whether the e-mail is unknown or the password wrong. */
export async function authenticateTenantAdmin(em: EntityManager, email: string, password: string): Promise<TenantAdminRow | null> {
  const admin = await em.findOne(TenantAdminEntity, { emailNormalized: normalizeEmail(email) });
  const ok = await verifyPassword(admin?.passwordHash, password);
  return ok && admin ? admin : null;
}

export async function findTenantAdmin(em: EntityManager, id: string): Promise<TenantAdminRow | null> {
  if (!tenantIdParam.safeParse(id).success) return null;
  return em.findOne(TenantAdminEntity, { id });
}

export async function createTenant(em: EntityManager, input: { name: string; ownerId: string }): Promise<TenantRow> {
  const nameNormalized = normalizeTenantName(input.name);
  const taken = () => fieldError('tenant_name', 'The tenant name has already been taken.');
  if (await em.count(TenantEntity, { nameNormalized })) throw taken();
  const now = new Date();
  const tenant = em.create(TenantEntity, {
    id: randomUUID(),
    name: input.name,
    nameNormalized,
    status: 'INACTIVE',
    ownerId: input.ownerId,
    createdAt: now,
    updatedAt: now,
  });
  await flushOrConflict(em, () => taken());
  return tenant;
}

export async function findTenant(em: EntityManager, id: string): Promise<TenantRow | null> {
  if (!tenantIdParam.safeParse(id).success) return null;
  return em.findOne(TenantEntity, { id });
}

/**
 * The tenant only if `ownerId` owns it. Someone else's tenant and a tenant that does not exist are
 * the same `null`, so callers cannot answer them differently (issue #6, tenant isolation).
 */
export async function findOwnedTenant(em: EntityManager, id: string, ownerId: string): Promise<TenantRow | null> {
  if (!tenantIdParam.safeParse(id).success) return null;
  return em.findOne(TenantEntity, { id, ownerId });
}

export async function listTenants(em: EntityManager): Promise<TenantRow[]> {
  return em.find(TenantEntity, {}, { orderBy: { createdAt: 'asc' } });
}

export async function setTenantStatus(em: EntityManager, id: string, status: TenantStatus): Promise<TenantRow | null> {
  const tenant = await findTenant(em, id);
  if (!tenant) return null;
  if (tenant.status !== status) {
    tenant.status = status;
    tenant.updatedAt = new Date();
    if (status === 'ACTIVE') tenant.activatedAt = tenant.updatedAt;
    await em.flush();
  }
  return tenant;
}

/**
 * A new API key, returned once. Only its SHA-256 is kept, in the tenant row itself, so replacing
 * the hash is what revokes the previous key: there is no window where both work.
 */
export async function refreshApiKey(em: EntityManager, tenant: TenantRow): Promise<string> {
  const apiKey = randomToken(42);
  tenant.apiKeyHash = sha256(apiKey);
  tenant.apiKeyCreatedAt = new Date();
  tenant.updatedAt = tenant.apiKeyCreatedAt;
  await em.flush();
  return apiKey;
}

/** The tenant holding this API key, whatever tenant the caller named: the caller compares. */
/**
 * The caller's own tenant, ready for use. Not theirs and not existing are one answer, in the
 * endpoint's own wording; only the owner learns that their tenant awaits activation.
 */
export async function requireOwnedActiveTenant(em: EntityManager, input: { tenantId: string; ownerId: string; invalidMessage: string }): Promise<TenantRow> {
  const tenant = await findOwnedTenant(em, input.tenantId, input.ownerId);
  if (!tenant) throw fieldError('tenant_id', input.invalidMessage);
  if (tenant.status !== 'ACTIVE') throw new Forbidden('tenant_inactive', 'The tenant is not active yet. A service administrator must activate it first.');
  return tenant;
}
