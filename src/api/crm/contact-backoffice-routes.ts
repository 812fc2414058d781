import Router from '@koa/router';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from 'koa';
import type { Orm } from '../../platform/db/orm.js';
import type { Authenticator } from '../../oauth/callers/authenticator.js';
import { ApiError } from '../../platform/http/errors.js';
import { backofficeEndpoint } from '../../oauth/callers/contact-access.js';
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

const body = (ctx: Context) => ctx.request.body ?? {};

/**
 * CRM.COM back-office contacts (crm-com-contacts-self-service, "Back-Office API"): persons (B2C)
 * and organisations (B2B) with a caller-supplied id (≤ 36) or a generated one and a
 * cross-reference code; list and search; persons joined to or shared with organisations. No
 * credential is accepted or returned here.
 */
export function createBackofficeContactRoutes(deps: BackofficeContactRouteDependencies) {
  const router = new Router();
  const base = '/backoffice/v1/contacts';
  const em = () => deps.orm.em.fork() as EntityManager;
  const read = backofficeEndpoint(deps.auth, 'backoffice.contacts.read', 'contacts:read');
  const write = backofficeEndpoint(deps.auth, 'backoffice.contacts.write', 'contacts:write');

  const view = async (fork: EntityManager, record: ContactRecord) => {
    const organisations = record.type === 'PERSON' ? ((await organisationsOf(fork, [record.customer.id])).get(record.customer.id) ?? []) : [];
    return contactView.parse(contactViewOf(record, organisations));
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

  router.post(base, write, async (ctx) => {
    const fork = em();
    const record = await createContact(fork, createContactInput.parse(body(ctx)));
    ctx.status = 201;
    ctx.body = await view(fork, record);
  });

  router.get(base, read, async (ctx) => {
    const query = listContactsQuery.parse(ctx.query);
    const fork = em();
    const { records, total } = await listContacts(fork, query);
    const organisations = await organisationsOf(fork, records.flatMap((record) => (record.type === 'PERSON' ? [record.customer.id] : [])));
    ctx.body = contactListView.parse({
      content: records.map((record) => contactViewOf(record, record.type === 'PERSON' ? (organisations.get(record.customer.id) ?? []) : [])),
      paging: { page: query.page, size: query.size, total },
    });
  });

  router.get(`${base}/:id`, read, async (ctx) => {
    const fork = em();
    ctx.body = await view(fork, await load(fork, contactIdParams.parse(ctx.params).id));
  });

  router.put(`${base}/:id`, write, async (ctx) => {
    const { id } = contactIdParams.parse(ctx.params);
    const input = updateContactInput.parse(body(ctx));
    const fork = em();
    ctx.body = await view(fork, await updateContact(fork, await load(fork, id), input));
  });

  router.post(`${base}/:id/organisations`, write, async (ctx) => {
    const { id } = contactIdParams.parse(ctx.params);
    const input = membershipInput.parse(body(ctx));
    const fork = em();
    const record = await person(fork, id);
    const organisation = await findOrganisationByContactId(fork, input.organisation_id);
    if (!organisation) throw new ApiError(404, 'organisation_not_found', 'Organisation not found');
    await setMembership(fork, record.customer, organisation, input.relation);
    ctx.body = await view(fork, record);
  });

  router.delete(`${base}/:id/organisations/:organisation_id`, write, async (ctx) => {
    const { id, organisation_id } = membershipParams.parse(ctx.params);
    const fork = em();
    const record = await person(fork, id);
    const organisation = await findOrganisationByContactId(fork, organisation_id);
    if (!organisation || !(await removeMembership(fork, record.customer, organisation))) {
      throw new ApiError(404, 'membership_not_found', 'The contact is not joined to or shared with that organisation');
    }
    ctx.body = await view(fork, record);
  });

  return router;
}
