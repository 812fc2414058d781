import { DomainError } from '../../platform/errors.js';
import Router from '@koa/router';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from 'koa';
import type { Config } from '../../platform/config.js';
import { actorOf, backofficeEndpoint, selfServiceEndpoint } from '../../oauth/callers/contact-access.js';
import { findPersonByContactId } from '../../identity/customers/contact-lookup.js';
import type { Orm } from '../../platform/db/orm.js';
import { currentCaller, type Authenticator } from '../../oauth/callers/authenticator.js';
import { ApiError, notFound, tooManyRequests } from '../../platform/http/errors.js';
import type { Notifier } from '../../platform/notify/notifier.js';
import type { GrantDependencies } from '../../oauth/grants/context.js';
import { verificationCodeKey } from '../../identity/credentials/credential-tokens/codes.js';
import { deliver } from '../../identity/credentials/credential-tokens/communication.js';
import { createDefinition, definitionViewOf, findDefinition, listDefinitions, updateDefinition } from '../../identity/credentials/credential-tokens/definitions.js';
import {
  createDefinitionInput,
  createdTokenView,
  createTokenInput,
  definitionListView,
  definitionView,
  idParams,
  linkInput,
  listTokensQuery,
  resetPassCodeView,
  selfServiceVerifyInput,
  stateChangeListView,
  tokenListView,
  tokenView,
  unlinkParams,
  updateDefinitionInput,
  verifiedView,
  verifyInput,
} from '../../identity/credentials/credential-tokens/schemas.js';
import { credentialTokenViews, findCredentialToken, findCredentialTokenForSelfService, listCredentialTokens, listStateChanges } from '../../identity/credentials/credential-tokens/queries.js';
import {
  createCredentialToken,
  linkCredentialToken,
  lockCredentialToken,
  resendVerification,
  resetPassCode,
  unlinkCredentialToken,
  verifyCredentialToken,
  type CredentialTokenDependencies,
} from '../../identity/credentials/credential-tokens/service.js';

export interface AccessTokenRouteDependencies {
  config: Config;
  orm: Orm;
  auth: Authenticator;
  notifier: Notifier;
  limiters: GrantDependencies['limiters'];
}

const contactNotFound = () => new ApiError(404, 'contact_not_found', 'Contact not found');
const body = (ctx: Context) => ctx.request.body ?? {};

/**
 * CRM.COM access tokens — customer credentials, not OAuth tokens (crm-com-access-tokens):
 * definitions, tokens, their entities, verification and pass-code reset under /backoffice/v1, and
 * the customer's verification under /self-service/v1.
 */
export function createAccessTokenRoutes(deps: AccessTokenRouteDependencies) {
  const router = new Router();
  const em = () => deps.orm.em.fork() as EntityManager;
  const keys = verificationCodeKey(deps.config.secret);
  const tokenDeps = (tx: EntityManager): CredentialTokenDependencies => ({ em: tx, settings: deps.config.credentialTokens, keys, notifier: deps.notifier });
  const read = (endpoint: string) => backofficeEndpoint(deps.auth, `backoffice.${endpoint}.read`, 'contacts:read');
  const write = (endpoint: string) => backofficeEndpoint(deps.auth, `backoffice.${endpoint}.write`, 'contacts:write');

  const oneTokenView = async (fork: EntityManager, token: Parameters<typeof credentialTokenViews>[1][number]) => (await credentialTokenViews(fork, [token]))[0]!;

  router.post('/backoffice/v1/access-token-definitions', write('access-token-definitions'), async (ctx) => {
    const definition = await createDefinition(em(), createDefinitionInput.parse(body(ctx)));
    ctx.status = 201;
    ctx.body = definitionView.parse(definitionViewOf(definition));
  });

  router.get('/backoffice/v1/access-token-definitions', read('access-token-definitions'), async (ctx) => {
    ctx.body = definitionListView.parse({ content: (await listDefinitions(em())).map(definitionViewOf) });
  });

  router.get('/backoffice/v1/access-token-definitions/:id', read('access-token-definitions'), async (ctx) => {
    const definition = await findDefinition(em(), idParams.parse(ctx.params).id);
    if (!definition) throw notFound('Access token definition not found');
    ctx.body = definitionView.parse(definitionViewOf(definition));
  });

  router.put('/backoffice/v1/access-token-definitions/:id', write('access-token-definitions'), async (ctx) => {
    const { id } = idParams.parse(ctx.params);
    const definition = await updateDefinition(em(), id, updateDefinitionInput.parse(body(ctx)));
    ctx.body = definitionView.parse(definitionViewOf(definition));
  });

  router.post('/backoffice/v1/access-tokens', write('access-tokens'), async (ctx) => {
    const input = createTokenInput.parse(body(ctx));
    const actor = actorOf(currentCaller(ctx));
    const fork = em();
    const created = await fork.transactional(async (tx) => {
      const customer = input.contact_id ? await findPersonByContactId(tx, input.contact_id) : undefined;
      if (input.contact_id && !customer) throw contactNotFound();
      return createCredentialToken(tokenDeps(tx), {
        classification: input.classification,
        identifier: input.identifier,
        passCode: input.pass_code,
        link: customer ? { customer, entityType: input.entity_type } : undefined,
        actor,
      });
    });
    deliver(deps.notifier, [created.outgoing]);
    ctx.status = 201;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = createdTokenView.parse({
      ...(await oneTokenView(fork, created.token)),
      ...(created.generatedPassCode ? { pass_code: created.generatedPassCode } : {}),
      ...(created.authenticationCode ? { authentication_code: created.authenticationCode } : {}),
    });
  });

  router.get('/backoffice/v1/access-tokens', read('access-tokens'), async (ctx) => {
    const query = listTokensQuery.parse(ctx.query);
    const fork = em();
    let customerId: string | undefined;
    if (query.contact_id) {
      const customer = await findPersonByContactId(fork, query.contact_id);
      if (!customer) {
        ctx.body = tokenListView.parse({ content: [], paging: { page: query.page, size: query.size, total: 0 } });
        return;
      }
      customerId = customer.id;
    }
    const { rows, total } = await listCredentialTokens(fork, { ...query, customerId });
    ctx.body = tokenListView.parse({ content: await credentialTokenViews(fork, rows), paging: { page: query.page, size: query.size, total } });
  });

  router.get('/backoffice/v1/access-tokens/:id', read('access-tokens'), async (ctx) => {
    const fork = em();
    const token = await findCredentialToken(fork, idParams.parse(ctx.params).id);
    if (!token) throw notFound('Access token not found');
    ctx.body = tokenView.parse(await oneTokenView(fork, token));
  });

  router.get('/backoffice/v1/access-tokens/:id/state-changes', read('access-tokens'), async (ctx) => {
    const { id } = idParams.parse(ctx.params);
    const fork = em();
    if (!(await findCredentialToken(fork, id))) throw notFound('Access token not found');
    const changes = await listStateChanges(fork, id);
    ctx.body = stateChangeListView.parse({
      content: changes.map((change) => ({
        from_state: change.fromState ?? null,
        to_state: change.toState,
        reason: change.reason,
        actor: change.actor ?? null,
        created_at: change.createdAt.toISOString(),
      })),
    });
  });

  router.post('/backoffice/v1/access-tokens/:id/verify', write('access-tokens'), async (ctx) => {
    const { id } = idParams.parse(ctx.params);
    const { verification_code } = verifyInput.parse(body(ctx));
    const token = await verifyCredentialToken({ em: em(), settings: deps.config.credentialTokens, keys }, id, verification_code, actorOf(currentCaller(ctx)));
    ctx.body = verifiedView.parse({ id: token.id, number: token.number, state: token.state });
  });

  router.post('/backoffice/v1/access-tokens/:id/resend-verification', write('access-tokens'), async (ctx) => {
    const { id } = idParams.parse(ctx.params);
    const fork = em();
    const { token, outgoing } = await fork.transactional(async (tx) => {
      const locked = await lockCredentialToken(tx, id);
      return { token: locked, outgoing: await resendVerification(tokenDeps(tx), locked) };
    });
    deliver(deps.notifier, [outgoing]);
    ctx.body = tokenView.parse(await oneTokenView(fork, token));
  });

  router.post('/backoffice/v1/access-tokens/:id/reset-pass-code', write('access-tokens'), async (ctx) => {
    const { id } = idParams.parse(ctx.params);
    const passCode = await em().transactional(async (tx) => resetPassCode(tx, await lockCredentialToken(tx, id)));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = resetPassCodeView.parse({ id, pass_code: passCode });
  });

  router.post('/backoffice/v1/access-tokens/:id/entities', write('access-tokens'), async (ctx) => {
    const { id } = idParams.parse(ctx.params);
    const input = linkInput.parse(body(ctx));
    const actor = actorOf(currentCaller(ctx));
    const fork = em();
    const { token, outgoing } = await fork.transactional(async (tx) => {
      const locked = await lockCredentialToken(tx, id);
      const customer = await findPersonByContactId(tx, input.contact_id);
      if (!customer) throw contactNotFound();
      return { token: locked, outgoing: await linkCredentialToken(tokenDeps(tx), locked, { customer, entityType: input.entity_type }, actor) };
    });
    deliver(deps.notifier, [outgoing]);
    ctx.body = tokenView.parse(await oneTokenView(fork, token));
  });

  router.delete('/backoffice/v1/access-tokens/:id/entities/:entity_type', write('access-tokens'), async (ctx) => {
    const { id, entity_type } = unlinkParams.parse(ctx.params);
    const actor = actorOf(currentCaller(ctx));
    const fork = em();
    const token = await fork.transactional(async (tx) => {
      const locked = await lockCredentialToken(tx, id);
      await unlinkCredentialToken(tx, locked, entity_type, actor);
      return locked;
    });
    ctx.body = tokenView.parse(await oneTokenView(fork, token));
  });

  // The customer proves the code from the communication through the app (business example:
  // "The customer can then provide the verification code via the mobile app").
  router.post('/self-service/v1/access-tokens/verify', selfServiceEndpoint(deps.auth, 'access-tokens.verify'), async (ctx) => {
    const input = selfServiceVerifyInput.parse(body(ctx));
    const limiterKey = `access-token:${(input.identifier ?? input.number)!.toLowerCase()}`;
    const attempt = await deps.limiters.otp.reserve(limiterKey, ctx.ip);
    if (!attempt.allowed) throw tooManyRequests(attempt.retryAfterSeconds);
    const fork = em();
    try {
      const token = await findCredentialTokenForSelfService(fork, input);
      if (!token) throw new ApiError(400, 'invalid_verification_code', 'The verification code is invalid or expired');
      const verified = await verifyCredentialToken({ em: fork, settings: deps.config.credentialTokens, keys }, token.id, input.verification_code, 'self-service');
      await attempt.succeed();
      ctx.body = verifiedView.parse({ id: verified.id, number: verified.number, state: verified.state });
    } catch (error) {
      await (error instanceof DomainError && error.code === 'invalid_verification_code' ? attempt.fail() : attempt.release());
      throw error;
    }
  });

  return router;
}

