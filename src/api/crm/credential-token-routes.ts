import { requestEntityManager } from '../../platform/db/orm.js';
import { DomainError, Invalid } from '../../platform/errors.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../platform/config.js';
import { actorOf } from '../../oauth/callers/contact-access.js';
import { findPersonByContactId } from '../../identity/customers/contact-lookup.js';
import type { Orm } from '../../platform/db/orm.js';
import { currentCaller, type Authenticator } from '../../oauth/callers/authenticator.js';
import { ApiError, notFound, tooManyRequests } from '../../platform/http/errors.js';
import { route, routerFor } from '../../platform/openapi/route.js';
import { rempFailure } from '../../platform/openapi/shapes.js';
import { backoffice, crmBodyTypes, crmRefusals, exampleContactId, selfService } from './declarations.js';
import { TEMPLATE_TAGS } from '../../identity/credentials/credential-tokens/template.js';
import type { Notifier } from '../../platform/notify/notifier.js';
import type { GrantDependencies } from '../../oauth/grants/context.js';
import { verificationCodeKey } from '../../identity/credentials/credential-tokens/codes.js';
import { deliver } from '../../identity/credentials/credential-tokens/communication.js';
import {
  createDefinition,
  definitionViewOf,
  findDefinition,
  listDefinitions,
  updateDefinition,
} from '../../identity/credentials/credential-tokens/definitions.js';
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
import {
  credentialTokenViews,
  findCredentialToken,
  findCredentialTokenForSelfService,
  listCredentialTokens,
  listStateChanges,
} from '../../identity/credentials/credential-tokens/queries.js';
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

const tags: ['CRM.COM access tokens (customer credentials)'] = ['CRM.COM access tokens (customer credentials)'];
const notFoundResponse = (what: string) => ({ 404: rempFailure('Not found', { code: 'not_found', message: `${what} not found` }) });

const TOKENS_EXPLAINED =
  'CRM.COM access tokens are customer credentials, not OAuth tokens: an identifier + pass code (argon2id at rest), or an ' +
  'authentication code (SHA-256 at rest) when the definition allows tokens without both. Life cycle: PENDING_VERIFICATION → ' +
  'EFFECTIVE → NOT_EFFECTIVE; a token without any linked entity is NOT_EFFECTIVE. Only EFFECTIVE tokens sign in: identifier + ' +
  'pass code at `POST /oauth/token` with `grant_type=password` (`username`, `password`) or at POST /self-service/v1/contacts/authenticate; ' +
  'an authentication code with `grant_type=urn:gatehouse:grant-type:access-token-code` and `authentication_code` (the client must be allowed that grant). ' +
  '"If an Identifier is used then the Pass Code is mandatory": an identifier without `pass_code` is a 400. ' +
  'Generated secrets (an authentication code, a reset pass code) are returned once, in the response that generated them.';

const exampleDefinitionId = '4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f7a';
const exampleTokenId = '8e9f0a1b-2c3d-4e4f-a5a6-b7c8d9e0f1a2';
const definitionExample = {
  id: exampleDefinitionId,
  name: 'Loyalty card',
  classification: null,
  active: true,
  identifier_format: 'EMAIL',
  pass_code_rules: { min_length: 8, max_length: 128, require_lowercase: false, require_uppercase: false, require_digit: true, require_symbol: false },
  require_verification: true,
  verification_code_length: 6,
  allow_without_credentials: false,
  assign_on_registration: false,
  communicate_pass_code: false,
  communication: { channel: 'EMAIL', subject: 'Your loyalty card', template: 'Dear #accounts_receivable.name, your code is #access_token.verification_code' },
  created_at: '2026-11-26T10:21:14.000Z',
  updated_at: '2026-11-26T10:21:14.000Z',
};
const tokenExample = {
  id: exampleTokenId,
  number: '1000000042',
  definition_id: exampleDefinitionId,
  classification: null,
  identifier: 'jane@example.com',
  has_pass_code: true,
  has_authentication_code: false,
  state: 'PENDING_VERIFICATION',
  verified_at: null,
  entities: [{ entity_type: 'REWARDS_PARTICIPANT', contact_id: exampleContactId }],
  created_at: '2026-11-26T10:21:14.000Z',
  updated_at: '2026-11-26T10:21:14.000Z',
};
const verifiedExample = { id: exampleTokenId, number: '1000000042', state: 'EFFECTIVE' };
const invalidCode = rempFailure('Wrong, expired or used-up verification code (one answer for all), or invalid input', {
  code: 'invalid_verification_code',
  message: 'The verification code is invalid or expired',
});

/**
 * CRM.COM access tokens — customer credentials, not OAuth tokens (crm-com-access-tokens):
 * definitions, tokens, their entities, verification and pass-code reset under /backoffice/v1, and
 * the customer's verification under /self-service/v1.
 */
export function createAccessTokenRoutes(deps: AccessTokenRouteDependencies) {
  const em = () => requestEntityManager(deps.orm);
  const keys = verificationCodeKey(deps.config.secret);
  const tokenDeps = (tx: EntityManager): CredentialTokenDependencies => ({ em: tx, settings: deps.config.credentialTokens, keys, notifier: deps.notifier });
  const read = (endpoint: string, note?: string) => backoffice(deps.auth, `backoffice.${endpoint}.read`, 'contacts:read', note);
  const write = (endpoint: string, note?: string) => backoffice(deps.auth, `backoffice.${endpoint}.write`, 'contacts:write', note);

  const oneTokenView = async (fork: EntityManager, token: Parameters<typeof credentialTokenViews>[1][number]) =>
    (await credentialTokenViews(fork, [token]))[0]!;

  return routerFor([
    route({
      method: 'post',
      path: '/backoffice/v1/access-token-definitions',
      tags,
      summary: 'Create an access token definition (formats, pass code rules, verification, communication template)',
      ...write(
        'access-token-definitions',
        'One definition is active per classification (null = the default); activating one deactivates the other. The communication template is text with #tags, ' +
          `rendered on assignment; known tags: ${TEMPLATE_TAGS.map((tag) => `#${tag}`).join(', ')}. An unknown tag is a 400 (unknown_template_tag). ` +
          'require_verification needs a template with #access_token.verification_code. #access_token.pass_code shows the pass code in clear only with ' +
          '`communicate_pass_code: true` (off by default: it puts a password in an e-mail or SMS), and only in the message of the request that set it; otherwise "(not shown)".',
      ),
      request: {
        body: createDefinitionInput,
        bodyTypes: crmBodyTypes,
        example: { name: 'Loyalty card', identifier_format: 'EMAIL', require_verification: true, communication: definitionExample.communication },
      },
      responses: { 201: { description: 'Created', schema: definitionView, example: definitionExample }, ...crmRefusals },
      async handler(ctx, { body }) {
        const definition = await createDefinition(em(), body);
        ctx.status = 201;
        ctx.body = definitionViewOf(definition);
      },
    }),
    route({
      method: 'get',
      path: '/backoffice/v1/access-token-definitions',
      tags,
      summary: 'List access token definitions',
      ...read('access-token-definitions'),
      responses: { 200: { description: 'Definitions', schema: definitionListView, example: { content: [definitionExample] } }, ...crmRefusals },
      async handler(ctx) {
        ctx.body = { content: (await listDefinitions(em())).map(definitionViewOf) };
      },
    }),
    route({
      method: 'get',
      path: '/backoffice/v1/access-token-definitions/{id}',
      tags,
      summary: 'Read an access token definition',
      ...read('access-token-definitions'),
      request: { params: idParams },
      responses: {
        200: { description: 'The definition', schema: definitionView, example: definitionExample },
        ...crmRefusals,
        ...notFoundResponse('Access token definition'),
      },
      async handler(ctx, { params }) {
        const definition = await findDefinition(em(), params.id);
        if (!definition) throw notFound('Access token definition not found');
        ctx.body = definitionViewOf(definition);
      },
    }),
    route({
      method: 'put',
      path: '/backoffice/v1/access-token-definitions/{id}',
      tags,
      summary: 'Update an access token definition (fields given)',
      ...write('access-token-definitions'),
      request: { params: idParams, body: updateDefinitionInput, bodyTypes: crmBodyTypes, example: { active: false } },
      responses: {
        200: { description: 'Updated', schema: definitionView, example: { ...definitionExample, active: false } },
        ...crmRefusals,
        ...notFoundResponse('Access token definition'),
      },
      async handler(ctx, { params, body }) {
        ctx.body = definitionViewOf(await updateDefinition(em(), params.id, body));
      },
    }),
    route({
      method: 'post',
      path: '/backoffice/v1/access-tokens',
      tags,
      summary: 'Create an access token, optionally linked to a contact',
      ...write('access-tokens', TOKENS_EXPLAINED),
      request: {
        body: createTokenInput,
        bodyTypes: crmBodyTypes,
        example: { identifier: 'jane@example.com', pass_code: 'correct horse 7', contact_id: exampleContactId },
      },
      responses: {
        201: { description: 'Created; a generated authentication code is shown once', schema: createdTokenView, example: tokenExample },
        ...crmRefusals,
        404: rempFailure('contact_not_found', { code: 'contact_not_found', message: 'Contact not found' }),
        409: rempFailure('identifier_taken, no_active_definition or no_recipient', {
          code: 'identifier_taken',
          message: 'An access token with this identifier already exists',
        }),
      },
      async handler(ctx, { body: input }) {
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
        ctx.body = {
          ...(await oneTokenView(fork, created.token)),
          ...(created.generatedPassCode ? { pass_code: created.generatedPassCode } : {}),
          ...(created.authenticationCode ? { authentication_code: created.authenticationCode } : {}),
        };
      },
    }),
    route({
      method: 'get',
      path: '/backoffice/v1/access-tokens',
      tags,
      summary: 'List access tokens (by contact, identifier or state)',
      ...read('access-tokens'),
      request: { query: listTokensQuery },
      responses: {
        200: { description: 'A page of access tokens', schema: tokenListView, example: { content: [tokenExample], paging: { page: 1, size: 20, total: 1 } } },
        ...crmRefusals,
      },
      async handler(ctx, { query }) {
        const fork = em();
        let customerId: string | undefined;
        if (query.contact_id) {
          const customer = await findPersonByContactId(fork, query.contact_id);
          if (!customer) {
            ctx.body = { content: [], paging: { page: query.page, size: query.size, total: 0 } };
            return;
          }
          customerId = customer.id;
        }
        const { rows, total } = await listCredentialTokens(fork, { ...query, customerId });
        ctx.body = { content: await credentialTokenViews(fork, rows), paging: { page: query.page, size: query.size, total } };
      },
    }),
    route({
      method: 'get',
      path: '/backoffice/v1/access-tokens/{id}',
      tags,
      summary: 'Read an access token',
      ...read('access-tokens'),
      request: { params: idParams },
      responses: { 200: { description: 'The access token', schema: tokenView, example: tokenExample }, ...crmRefusals, ...notFoundResponse('Access token') },
      async handler(ctx, { params }) {
        const fork = em();
        const token = await findCredentialToken(fork, params.id);
        if (!token) throw notFound('Access token not found');
        ctx.body = await oneTokenView(fork, token);
      },
    }),
    route({
      method: 'get',
      path: '/backoffice/v1/access-tokens/{id}/state-changes',
      tags,
      summary: 'Every life-cycle state change of an access token, oldest first',
      ...read('access-tokens'),
      request: { params: idParams },
      responses: {
        200: {
          description: 'State changes',
          schema: stateChangeListView,
          example: {
            content: [
              { from_state: null, to_state: 'PENDING_VERIFICATION', reason: 'created', actor: 'client:backoffice', created_at: '2026-11-26T10:21:14.000Z' },
              { from_state: 'PENDING_VERIFICATION', to_state: 'EFFECTIVE', reason: 'verified', actor: 'self-service', created_at: '2026-11-26T10:25:02.000Z' },
            ],
          },
        },
        ...crmRefusals,
        ...notFoundResponse('Access token'),
      },
      async handler(ctx, { params: { id } }) {
        const fork = em();
        if (!(await findCredentialToken(fork, id))) throw notFound('Access token not found');
        const changes = await listStateChanges(fork, id);
        ctx.body = {
          content: changes.map((change) => ({
            from_state: change.fromState ?? null,
            to_state: change.toState,
            reason: change.reason,
            actor: change.actor ?? null,
            created_at: change.createdAt.toISOString(),
          })),
        };
      },
    }),
    route({
      method: 'post',
      path: '/backoffice/v1/access-tokens/{id}/verify',
      tags,
      summary: 'Verify a Pending Verification token with its code (→ EFFECTIVE)',
      ...write(
        'access-tokens',
        'Wrong, expired or used-up codes are the same 400; each token accepts CREDENTIAL_TOKEN_VERIFICATION_MAX_ATTEMPTS tries per code.',
      ),
      request: { params: idParams, body: verifyInput, bodyTypes: crmBodyTypes, example: { verification_code: '482913' } },
      responses: { 200: { description: 'Verified', schema: verifiedView, example: verifiedExample }, ...crmRefusals, 400: invalidCode },
      async handler(ctx, { params, body }) {
        const token = await verifyCredentialToken(
          { em: em(), settings: deps.config.credentialTokens, keys },
          params.id,
          body.verification_code,
          actorOf(currentCaller(ctx)),
        );
        ctx.body = { id: token.id, number: token.number, state: token.state };
      },
    }),
    route({
      method: 'post',
      path: '/backoffice/v1/access-tokens/{id}/resend-verification',
      tags,
      summary: 'Send a new verification code (the previous one stops working)',
      ...write('access-tokens'),
      request: { params: idParams },
      responses: {
        200: { description: 'Sent', schema: tokenView, example: tokenExample },
        ...crmRefusals,
        ...notFoundResponse('Access token'),
        409: rempFailure('not_pending_verification or not_linked', {
          code: 'not_pending_verification',
          message: 'The access token is not pending verification',
        }),
      },
      async handler(ctx, { params: { id } }) {
        const fork = em();
        const { token, outgoing } = await fork.transactional(async (tx) => {
          const locked = await lockCredentialToken(tx, id);
          return { token: locked, outgoing: await resendVerification(tokenDeps(tx), locked) };
        });
        deliver(deps.notifier, [outgoing]);
        ctx.body = await oneTokenView(fork, token);
      },
    }),
    route({
      method: 'post',
      path: '/backoffice/v1/access-tokens/{id}/reset-pass-code',
      tags,
      summary: 'Generate a new pass code without the old one (returned once)',
      ...write('access-tokens'),
      request: { params: idParams },
      responses: {
        200: { description: 'The new pass code', schema: resetPassCodeView, example: { id: exampleTokenId, pass_code: 'Kx7mP2qW9z' } },
        ...crmRefusals,
        ...notFoundResponse('Access token'),
        409: rempFailure('no_pass_code: the token has no pass code to reset', {
          code: 'no_pass_code',
          message: 'The access token has no pass code: it authenticates with an authentication code',
        }),
      },
      async handler(ctx, { params: { id } }) {
        const passCode = await em().transactional(async (tx) => resetPassCode(tx, await lockCredentialToken(tx, id)));
        ctx.set('Cache-Control', 'no-store');
        ctx.body = { id, pass_code: passCode };
      },
    }),
    route({
      method: 'post',
      path: '/backoffice/v1/access-tokens/{id}/entities',
      tags,
      summary: 'Link the token to a contact as rewards participant or accounts receivable',
      ...write(
        'access-tokens',
        "The first link makes a NOT_EFFECTIVE token PENDING_VERIFICATION (code sent) or EFFECTIVE, and sends the definition's communication.",
      ),
      request: { params: idParams, body: linkInput, bodyTypes: crmBodyTypes, example: { contact_id: exampleContactId, entity_type: 'REWARDS_PARTICIPANT' } },
      responses: {
        200: { description: 'Linked', schema: tokenView, example: tokenExample },
        ...crmRefusals,
        ...notFoundResponse('Access token'),
        409: rempFailure('linked_to_another_contact or no_recipient', {
          code: 'linked_to_another_contact',
          message: 'The access token already identifies another contact',
        }),
      },
      async handler(ctx, { params: { id }, body: input }) {
        const actor = actorOf(currentCaller(ctx));
        const fork = em();
        const { token, outgoing } = await fork.transactional(async (tx) => {
          const locked = await lockCredentialToken(tx, id);
          const customer = await findPersonByContactId(tx, input.contact_id);
          if (!customer) throw contactNotFound();
          return { token: locked, outgoing: await linkCredentialToken(tokenDeps(tx), locked, { customer, entityType: input.entity_type }, actor) };
        });
        deliver(deps.notifier, [outgoing]);
        ctx.body = await oneTokenView(fork, token);
      },
    }),
    route({
      method: 'delete',
      path: '/backoffice/v1/access-tokens/{id}/entities/{entity_type}',
      tags,
      summary: 'Unlink an entity; the token becomes NOT_EFFECTIVE when none is left',
      ...write('access-tokens'),
      request: { params: unlinkParams },
      responses: {
        200: { description: 'Unlinked', schema: tokenView, example: { ...tokenExample, state: 'NOT_EFFECTIVE', entities: [] } },
        ...crmRefusals,
        ...notFoundResponse('Access token'),
      },
      async handler(ctx, { params: { id, entity_type } }) {
        const actor = actorOf(currentCaller(ctx));
        const fork = em();
        const token = await fork.transactional(async (tx) => {
          const locked = await lockCredentialToken(tx, id);
          await unlinkCredentialToken(tx, locked, entity_type, actor);
          return locked;
        });
        ctx.body = await oneTokenView(fork, token);
      },
    }),
    // The customer proves the code from the communication through the app (business example:
    // "The customer can then provide the verification code via the mobile app").
    route({
      method: 'post',
      path: '/self-service/v1/access-tokens/verify',
      tags,
      summary: 'The customer verifies its access token with the code it received (by identifier or number)',
      ...selfService(deps.auth, 'access-tokens.verify', 'Every failure is the same 400; failures are limited per token and per IP.'),
      request: { body: selfServiceVerifyInput, bodyTypes: crmBodyTypes, example: { identifier: 'jane@example.com', verification_code: '482913' } },
      responses: { 200: { description: 'Verified', schema: verifiedView, example: verifiedExample }, ...crmRefusals, 400: invalidCode },
      async handler(ctx, { body: input }) {
        const limiterKey = `access-token:${(input.identifier ?? input.number)!.toLowerCase()}`;
        const attempt = await deps.limiters.otp.reserve(limiterKey, ctx.ip);
        if (!attempt.allowed) throw tooManyRequests(attempt.retryAfterSeconds);
        const fork = em();
        try {
          const token = await findCredentialTokenForSelfService(fork, input);
          // The same answer, and the same count against the limiter, as a wrong code.
          if (!token) throw new Invalid('invalid_verification_code', 'The verification code is invalid or expired');
          const verified = await verifyCredentialToken(
            { em: fork, settings: deps.config.credentialTokens, keys },
            token.id,
            input.verification_code,
            'self-service',
          );
          await attempt.succeed();
          ctx.body = { id: verified.id, number: verified.number, state: verified.state };
        } catch (error) {
          await (error instanceof DomainError && error.code === 'invalid_verification_code' ? attempt.fail() : attempt.release());
          throw error;
        }
      },
    }),
  ]);
}
