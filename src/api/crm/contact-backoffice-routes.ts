import { requestEntityManager } from '../../platform/db/orm.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../../platform/db/orm.js';
import type { Authenticator } from '../../oauth/callers/authenticator.js';
import { ApiError } from '../../platform/http/errors.js';
import { route, routerFor } from '../../platform/openapi/route.js';
import { rempFailure } from '../../platform/openapi/shapes.js';
import { backoffice, crmBodyTypes, crmRefusals, exampleContact, exampleContactId, exampleOrganisation } from './declarations.js';
import { contactViewOf } from '../../identity/contacts/presenter.js';
import {
  contactIdParams,
  contactListView,
  contactView,
  createContactInput,
  listContactsQuery,
  membershipInput,
  membershipParams,
  updateContactInput,
} from '../../identity/contacts/schemas.js';
import {
  contactNotFound,
  createContact,
  findContact,
  findOrganisationByContactId,
  listContacts,
  organisationsOf,
  removeMembership,
  setMembership,
  updateContact,
  type ContactRecord,
} from '../../identity/contacts/service.js';

export interface BackofficeContactRouteDependencies {
  orm: Orm;
  auth: Authenticator;
}

const tags: ['CRM.COM back-office contacts'] = ['CRM.COM back-office contacts'];
const contactNotFoundResponse = rempFailure('contact_not_found', { code: 'contact_not_found', message: 'Contact not found' });

/**
 * CRM.COM back-office contacts (crm-com-contacts-self-service, "Back-Office API"): persons (B2C)
 * and organisations (B2B) with a caller-supplied id (≤ 36) or a generated one and a
 * cross-reference code; list and search; persons joined to or shared with organisations. No
 * credential is accepted or returned here.
 */
export function createBackofficeContactRoutes(deps: BackofficeContactRouteDependencies) {
  const base = '/backoffice/v1/contacts';
  const em = () => requestEntityManager(deps.orm);
  const read = (note?: string) => backoffice(deps.auth, 'backoffice.contacts.read', 'contacts:read', note);
  const write = (note?: string) => backoffice(deps.auth, 'backoffice.contacts.write', 'contacts:write', note);

  const view = async (fork: EntityManager, record: ContactRecord) => {
    const organisations = record.type === 'PERSON' ? ((await organisationsOf(fork, [record.customer.id])).get(record.customer.id) ?? []) : [];
    return contactViewOf(record, organisations);
  };

  const load = async (fork: EntityManager, id: string) => {
    const record = await findContact(fork, id);
    if (!record) throw contactNotFound();
    return record;
  };

  const person = async (fork: EntityManager, id: string) => {
    const record = await load(fork, id);
    if (record.type !== 'PERSON') throw new ApiError(400, 'invalid_request', 'id: only a person joins or is shared with an organisation');
    return record;
  };

  return routerFor([
    route({
      method: 'post',
      path: base,
      tags,
      summary: 'Create a person (B2C) or organisation (B2B) contact',
      ...write("`id` is the caller's (≤ 36 characters, unique across contacts) or generated. No credential fields: unknown fields are a 400."),
      request: {
        body: createContactInput,
        bodyTypes: crmBodyTypes,
        example: {
          id: exampleContactId,
          first_name: 'Jane',
          last_name: 'Doe',
          email: 'jane@example.com',
          phone_number: '+35799123456',
          country_code: 'CYP',
          cross_reference_code: 'CRM-1001',
        },
      },
      responses: {
        201: { description: 'Created', schema: contactView, example: { ...exampleContact, organisations: [], is_verified: false } },
        ...crmRefusals,
        409: rempFailure('contact_id_taken, email_taken or phone_taken', { code: 'contact_id_taken', message: 'A contact with this id already exists' }),
      },
      async handler(ctx, { body }) {
        const fork = em();
        const record = await createContact(fork, body);
        ctx.status = 201;
        ctx.body = await view(fork, record);
      },
    }),
    route({
      method: 'get',
      path: base,
      tags,
      summary: 'List and search contacts (by e-mail, phone, cross-reference code, name or access-token identifier)',
      ...read(),
      request: { query: listContactsQuery },
      responses: {
        200: { description: 'A page of contacts', schema: contactListView, example: { content: [exampleContact], paging: { page: 1, size: 20, total: 1 } } },
        ...crmRefusals,
      },
      async handler(ctx, { query }) {
        const fork = em();
        const { records, total } = await listContacts(fork, query);
        const organisations = await organisationsOf(
          fork,
          records.flatMap((record) => (record.type === 'PERSON' ? [record.customer.id] : [])),
        );
        ctx.body = {
          content: records.map((record) => contactViewOf(record, record.type === 'PERSON' ? (organisations.get(record.customer.id) ?? []) : [])),
          paging: { page: query.page, size: query.size, total },
        };
      },
    }),
    route({
      method: 'get',
      path: `${base}/{id}`,
      tags,
      summary: 'Read a contact by its id',
      ...read(),
      request: { params: contactIdParams },
      responses: { 200: { description: 'The contact', schema: contactView, example: exampleContact }, ...crmRefusals, 404: contactNotFoundResponse },
      async handler(ctx, { params }) {
        const fork = em();
        ctx.body = await view(fork, await load(fork, params.id));
      },
    }),
    route({
      method: 'put',
      path: `${base}/{id}`,
      tags,
      summary: 'Update a contact (fields given; null clears)',
      ...write(),
      request: {
        params: contactIdParams,
        body: updateContactInput,
        bodyTypes: crmBodyTypes,
        example: { email: 'jane.doe@example.com', cross_reference_code: null },
      },
      responses: {
        200: { description: 'Updated', schema: contactView, example: { ...exampleContact, email: 'jane.doe@example.com', cross_reference_code: null } },
        ...crmRefusals,
        404: contactNotFoundResponse,
        409: rempFailure('email_taken or phone_taken', { code: 'email_taken', message: 'A customer with this e-mail already exists' }),
      },
      async handler(ctx, { params, body }) {
        const fork = em();
        ctx.body = await view(fork, await updateContact(fork, await load(fork, params.id), body));
      },
    }),
    route({
      method: 'post',
      path: `${base}/{id}/organisations`,
      tags,
      summary: 'Join a person to an organisation (JOINED) or share it with one (SHARED)',
      ...write(),
      request: {
        params: contactIdParams,
        body: membershipInput,
        bodyTypes: crmBodyTypes,
        example: { organisation_id: exampleOrganisation.id, relation: 'JOINED' },
      },
      responses: {
        200: { description: 'The person with its organisations', schema: contactView, example: exampleContact },
        ...crmRefusals,
        404: rempFailure('contact_not_found or organisation_not_found', { code: 'organisation_not_found', message: 'Organisation not found' }),
      },
      async handler(ctx, { params, body: input }) {
        const fork = em();
        const record = await person(fork, params.id);
        const organisation = await findOrganisationByContactId(fork, input.organisation_id);
        if (!organisation) throw new ApiError(404, 'organisation_not_found', 'Organisation not found');
        await setMembership(fork, record.customer, organisation, input.relation);
        ctx.body = await view(fork, record);
      },
    }),
    route({
      method: 'delete',
      path: `${base}/{id}/organisations/{organisation_id}`,
      tags,
      summary: 'Remove a person from an organisation',
      ...write(),
      request: { params: membershipParams },
      responses: {
        200: { description: 'The person with its organisations', schema: contactView, example: { ...exampleContact, organisations: [] } },
        ...crmRefusals,
        404: rempFailure('contact_not_found or membership_not_found', {
          code: 'membership_not_found',
          message: 'The contact is not joined to or shared with that organisation',
        }),
      },
      async handler(ctx, { params: { id, organisation_id } }) {
        const fork = em();
        const record = await person(fork, id);
        const organisation = await findOrganisationByContactId(fork, organisation_id);
        if (!organisation || !(await removeMembership(fork, record.customer, organisation))) {
          throw new ApiError(404, 'membership_not_found', 'The contact is not joined to or shared with that organisation');
        }
        ctx.body = await view(fork, record);
      },
    }),
  ]);
}
