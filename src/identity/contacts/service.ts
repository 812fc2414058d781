import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { findCredentialTokenByIdentifier } from '../credentials/credential-tokens/queries.js';
import { CredentialTokenLinkEntity } from '../credentials/credential-tokens/entities.js';
import { CustomerEntity, type CustomerRow } from '../customers/entities.js';
import { insertCustomer, normalizeEmail } from '../customers/service.js';
import { Invalid, NotFound, conflict } from '../../platform/errors.js';
import { recordEvent } from '../events/outbox.js';
import { ContactOrganisationEntity, OrganisationEntity, type OrganisationRelation, type OrganisationRow } from './entities.js';
import { contactIdOf, findPersonByContactId } from '../customers/contact-lookup.js';
import { normalizeContactPhone } from './phone.js';
import { customerTaken } from '../customers/taken.js';
import type { CreateContactInput, ListContactsQuery, UpdateContactInput } from './schemas.js';

/** A CRM.COM contact: a person (a customer row) or an organisation. */
export type ContactRecord = { type: 'PERSON'; customer: CustomerRow } | { type: 'ORGANISATION'; organisation: OrganisationRow };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const byContactId = (id: string) => (UUID.test(id) ? { $or: [{ externalId: id }, { id: id.toLowerCase() }] } : { externalId: id });

export const contactNotFound = () => new NotFound('contact_not_found', 'Contact not found');

function contactEvent(em: EntityManager, record: ContactRecord, data: Record<string, unknown>) {
  const customerId = record.type === 'PERSON' ? record.customer.id : null;
  const contactId = record.type === 'PERSON' ? contactIdOf(record.customer) : contactIdOf(record.organisation);
  recordEvent(em, { type: 'ContactChangedEvent', customerId, data: { contact_id: contactId, type: record.type, ...data } });
}

/** Caller-supplied ids are unique across persons and organisations (and never equal another contact's UUID). */
async function assertContactIdFree(tx: EntityManager, id: string) {
  await tx.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`contact-id:${id}`]);
  const person = await tx.findOne(CustomerEntity, byContactId(id), { fields: ['id'] });
  const organisation = await tx.findOne(OrganisationEntity, byContactId(id), { fields: ['id'] });
  if (person || organisation) throw conflict('A contact with this id already exists', 'contact_id_taken');
}

const phoneOf = (input: { phone_number?: string | null; country_code?: string }) =>
  input.phone_number ? normalizeContactPhone(input.phone_number, input.country_code) : input.phone_number === null ? null : undefined;

/** Back-office "Add Contact": the caller's id (≤ 36) or a generated one, plus a cross-reference code. 409 on a taken id, e-mail or phone. */
export async function createContact(em: EntityManager, input: CreateContactInput): Promise<ContactRecord> {
  const phoneNumber = phoneOf(input);
  return em.transactional(async (tx) => {
    if (input.id) await assertContactIdFree(tx, input.id);
    let record: ContactRecord;
    if (input.type === 'PERSON') {
      const customer = await insertCustomer(tx, {
        externalId: input.id ?? null,
        title: input.title ?? null,
        firstName: input.first_name ?? null,
        lastName: input.last_name ?? null,
        email: input.email ?? null,
        phoneNumber: phoneNumber ?? null,
        crossReferenceCode: input.cross_reference_code ?? null,
        emailOptOut: input.email_opt_out ?? false,
        smsOptOut: input.sms_opt_out ?? false,
        locale: input.locale ?? null,
        source: 'backoffice',
      });
      record = { type: 'PERSON', customer };
    } else {
      const now = new Date();
      const organisation = tx.create(OrganisationEntity, {
        id: randomUUID(),
        externalId: input.id ?? null,
        name: input.name!,
        orgType: input.org_type ?? 'BUSINESS',
        crossReferenceCode: input.cross_reference_code ?? null,
        email: input.email?.trim() ?? null,
        phoneNumber: phoneNumber ?? null,
        createdAt: now,
        updatedAt: now,
      });
      record = { type: 'ORGANISATION', organisation };
    }
    contactEvent(tx, record, { action: 'created' });
    await tx.flush();
    return record;
  });
}

export async function findOrganisationByContactId(em: EntityManager, id: string): Promise<OrganisationRow | null> {
  return em.findOne(OrganisationEntity, byContactId(id));
}

export async function findContact(em: EntityManager, id: string): Promise<ContactRecord | null> {
  const customer = await findPersonByContactId(em, id);
  if (customer) return { type: 'PERSON', customer };
  const organisation = await findOrganisationByContactId(em, id);
  return organisation ? { type: 'ORGANISATION', organisation } : null;
}

function misplacedField(field: string, type: ContactRecord['type']) {
  return new Invalid('invalid_request', `${field}: not a field of a ${type} contact`, { fields: { [field]: [`not a field of a ${type} contact`] } });
}

/** Changes the fields given (null clears); a changed e-mail address or phone number is no longer verified. */
export async function updateContact(em: EntityManager, record: ContactRecord, input: UpdateContactInput): Promise<ContactRecord> {
  const forbidden =
    record.type === 'PERSON' ? (['name', 'org_type'] as const) : (['title', 'first_name', 'last_name', 'email_opt_out', 'sms_opt_out', 'locale'] as const);
  for (const field of forbidden) if (input[field] !== undefined) throw misplacedField(field, record.type);
  if (input.country_code !== undefined && !input.phone_number) throw new Invalid('invalid_request', 'country_code: only together with phone_number');
  const phoneNumber = phoneOf(input);
  const changed: string[] = [];
  const set = <T extends object, K extends keyof T>(row: T, key: K, value: T[K] | undefined, field: string) => {
    if (value === undefined || row[key] === value) return;
    row[key] = value;
    changed.push(field);
  };
  if (record.type === 'PERSON') {
    const { customer } = record;
    set(customer, 'title', input.title, 'title');
    set(customer, 'firstName', input.first_name, 'first_name');
    set(customer, 'lastName', input.last_name, 'last_name');
    set(customer, 'crossReferenceCode', input.cross_reference_code, 'cross_reference_code');
    set(customer, 'emailOptOut', input.email_opt_out, 'email_opt_out');
    set(customer, 'smsOptOut', input.sms_opt_out, 'sms_opt_out');
    set(customer, 'locale', input.locale, 'locale');
    if (input.email !== undefined && (input.email === null ? null : normalizeEmail(input.email)) !== (customer.emailNormalized ?? null)) {
      Object.assign(customer, {
        email: input.email?.trim() ?? null,
        emailNormalized: input.email ? normalizeEmail(input.email) : null,
        emailVerifiedAt: null,
        emailInvalidatedAt: null,
      });
      changed.push('email');
    }
    if (phoneNumber !== undefined && phoneNumber !== (customer.phoneNumber ?? null)) {
      Object.assign(customer, { phoneNumber, phoneVerifiedAt: null });
      changed.push('phone_number');
    }
    if (changed.length) customer.updatedAt = new Date();
  } else {
    const { organisation } = record;
    set(organisation, 'name', input.name, 'name');
    set(organisation, 'orgType', input.org_type, 'org_type');
    set(organisation, 'crossReferenceCode', input.cross_reference_code, 'cross_reference_code');
    set(organisation, 'email', input.email === undefined ? undefined : (input.email?.trim() ?? null), 'email');
    set(organisation, 'phoneNumber', phoneNumber, 'phone_number');
    if (changed.length) organisation.updatedAt = new Date();
  }
  if (changed.length === 0) return record;
  contactEvent(em, record, { action: 'updated', changed });
  try {
    await em.flush();
  } catch (error) {
    throw customerTaken(error);
  }
  return record;
}

/** LIKE pattern for a user's text: its own % and _ match literally. */
const containing = (text: string) => `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;

function nameFilter(text: string, fields: string[]) {
  const words = text.split(/\s+/).filter(Boolean).slice(0, 5);
  return { $and: words.map((word) => ({ $or: fields.map((field) => ({ [field]: { $ilike: containing(word) } })) })) };
}

function phoneOrUndefined(text: string, countryCode?: string): string | undefined {
  try {
    return normalizeContactPhone(text, countryCode);
  } catch {
    return undefined;
  }
}

/** Back-office list and search: persons or organisations, newest first, paginated. */
export async function listContacts(em: EntityManager, query: ListContactsQuery): Promise<{ records: ContactRecord[]; total: number }> {
  const conditions: Array<Record<string, unknown>> = [];
  const person = query.type === 'PERSON';
  const emailField = person ? 'emailNormalized' : 'email';
  if (query.email)
    conditions.push(person ? { emailNormalized: normalizeEmail(query.email) } : { email: { $ilike: query.email.replace(/[\\%_]/g, (char) => `\\${char}`) } });
  if (query.phone_number) conditions.push({ phoneNumber: normalizeContactPhone(query.phone_number, query.country_code) });
  if (query.cross_reference_code) conditions.push({ crossReferenceCode: query.cross_reference_code });
  if (query.name) conditions.push(nameFilter(query.name, person ? ['firstName', 'lastName'] : ['name']));
  if (query.search) {
    const phone = phoneOrUndefined(query.search, query.country_code);
    conditions.push({
      $or: [
        { [emailField]: person ? normalizeEmail(query.search) : query.search },
        { crossReferenceCode: query.search },
        byContactId(query.search),
        nameFilter(query.search, person ? ['firstName', 'lastName'] : ['name']),
        ...(phone ? [{ phoneNumber: phone }] : []),
      ],
    });
  }
  if (query.access_token) {
    if (!person) return { records: [], total: 0 };
    // "The related entities … cannot be retrieved … if that access token is used as an identifier" while it is pending verification.
    const token = await findCredentialTokenByIdentifier(em, query.access_token);
    if (!token || token.state === 'PENDING_VERIFICATION') return { records: [], total: 0 };
    const links = await em.find(CredentialTokenLinkEntity, { accessTokenId: token.id }, { fields: ['customerId'] });
    conditions.push({ id: { $in: links.map((link) => link.customerId) } });
  }
  const options = { orderBy: { createdAt: 'desc', id: 'asc' }, limit: query.size, offset: (query.page - 1) * query.size } as const;
  if (person) {
    const [rows, total] = await em.findAndCount(CustomerEntity, { $and: [{ deactivatedAt: null, anonymizedAt: null }, ...conditions] }, options);
    return { records: rows.map((customer) => ({ type: 'PERSON', customer })), total };
  }
  const [rows, total] = await em.findAndCount(OrganisationEntity, conditions.length ? { $and: conditions } : {}, options);
  return { records: rows.map((organisation) => ({ type: 'ORGANISATION', organisation })), total };
}

/** Joins a person to an organisation, or shares the person with it; a second call changes the relation. */
export async function setMembership(em: EntityManager, customer: CustomerRow, organisation: OrganisationRow, relation: OrganisationRelation): Promise<void> {
  const existing = await em.findOne(ContactOrganisationEntity, { customerId: customer.id, organisationId: organisation.id });
  if (existing?.relation === relation) return;
  if (existing) existing.relation = relation;
  else em.create(ContactOrganisationEntity, { customerId: customer.id, organisationId: organisation.id, relation, createdAt: new Date() });
  contactEvent(em, { type: 'PERSON', customer }, { action: relation === 'JOINED' ? 'joined' : 'shared', organisation_id: contactIdOf(organisation) });
  await em.flush();
}

export async function removeMembership(em: EntityManager, customer: CustomerRow, organisation: OrganisationRow): Promise<boolean> {
  const existing = await em.findOne(ContactOrganisationEntity, { customerId: customer.id, organisationId: organisation.id });
  if (!existing) return false;
  em.remove(existing);
  contactEvent(em, { type: 'PERSON', customer }, { action: 'left', organisation_id: contactIdOf(organisation) });
  await em.flush();
  return true;
}

export interface OrganisationMembership {
  name: string;
  id: string;
  org_type: string;
  relation: OrganisationRelation;
}

/** The organisations each person is joined to or shared with (spec Step 3, "Organisations"). */
export async function organisationsOf(em: EntityManager, customerIds: string[]): Promise<Map<string, OrganisationMembership[]>> {
  const result = new Map<string, OrganisationMembership[]>(customerIds.map((id) => [id, []]));
  if (customerIds.length === 0) return result;
  const memberships = await em.find(ContactOrganisationEntity, { customerId: { $in: customerIds } }, { orderBy: { createdAt: 'asc' } });
  if (memberships.length === 0) return result;
  const organisations = await em.find(OrganisationEntity, { id: { $in: [...new Set(memberships.map((each) => each.organisationId))] } });
  const byId = new Map(organisations.map((organisation) => [organisation.id, organisation]));
  for (const membership of memberships) {
    const organisation = byId.get(membership.organisationId);
    if (!organisation) continue;
    result
      .get(membership.customerId)
      ?.push({ name: organisation.name, id: contactIdOf(organisation), org_type: organisation.orgType, relation: membership.relation });
  }
  return result;
}
