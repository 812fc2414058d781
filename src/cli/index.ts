import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { ZodError } from 'zod';
import { ConfigError, loadConfig } from '../platform/config.js';
import { createLogger } from '../platform/logger.js';
import { openDatabase } from '../server.js';
import { type Orm, detachedEntityManager } from '../platform/db/orm.js';
import { apiKeyFields, createApiKey, listApiKeys, revokeApiKey } from '../identity/api-keys/service.js';
import { createClient, deleteClient, listClients } from '../oauth/clients/service.js';
import { createCustomer, findCustomerByEmail } from '../identity/customers/service.js';
import { createAutologinToken } from '../identity/credentials/autologin/service.js';
import { ensureSigningKeys, rotateSigningKeys } from '../oauth/keys/service.js';
import type { Config } from '../platform/config.js';
import { listTenants, setTenantStatus } from '../identity/tenants/service.js';
import { purgeExpiredPasscodes } from '../identity/passcodes/service.js';
import { runRetentionCleanup } from '../jobs/retention.js';
import { createGroup } from '../identity/customers/groups/service.js';
import { createGroupInput } from '../identity/customers/groups/schemas.js';

type Command = (context: { orm: Orm; config: Config; args: string[] }) => Promise<void>;

const print = (value: unknown) => process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}\n`);
const em = (orm: Orm) => detachedEntityManager(orm);

const commands: Record<string, { usage: string; run: Command }> = {
  'clients:create': {
    usage:
      'clients:create --name NAME [--redirect-uri URI]... [--post-logout-redirect-uri URI]... [--grant TYPE]... [--scope "a b"] [--public] [--auth-method client_secret_basic|client_secret_post|private_key_jwt] [--jwks FILE] [--dpop-bound] [--introspection]',
    async run({ orm, args }) {
      const { values } = parseArgs({
        args,
        options: {
          name: { type: 'string' },
          'redirect-uri': { type: 'string', multiple: true },
          'post-logout-redirect-uri': { type: 'string', multiple: true },
          grant: { type: 'string', multiple: true },
          scope: { type: 'string' },
          public: { type: 'boolean' },
          'auth-method': { type: 'string' },
          jwks: { type: 'string' },
          'dpop-bound': { type: 'boolean' },
          introspection: { type: 'boolean' },
        },
      });
      const jwks = values.jwks ? (JSON.parse(readFileSync(values.jwks, 'utf8')) as unknown) : undefined;
      const created = await createClient(em(orm), {
        name: values.name ?? '',
        redirectUris: values['redirect-uri'],
        postLogoutRedirectUris: values['post-logout-redirect-uri'],
        grantTypes: values.grant as never,
        scope: values.scope,
        public: values.public ?? false,
        tokenEndpointAuthMethod: values['auth-method'] as never,
        jwks: jwks as never,
        dpopBoundAccessTokens: values['dpop-bound'] ?? false,
        introspection: values.introspection ?? false,
      });
      print({ client_id: created.clientId, ...(created.clientSecret ? { client_secret: created.clientSecret } : {}), metadata: created.metadata });
      if (created.clientSecret) process.stderr.write('Store the client_secret now: it is not shown again.\n');
    },
  },
  'clients:list': {
    usage: 'clients:list',
    async run({ orm }) {
      const clients = await listClients(em(orm));
      print(
        clients.map((client) => ({
          client_id: client.clientId,
          name: client.name,
          grant_types: client.metadata.grant_types,
          scope: client.metadata.scope,
          created_at: client.createdAt,
        })),
      );
    },
  },
  'clients:delete': {
    usage: 'clients:delete CLIENT_ID',
    async run({ orm, args }) {
      const [clientId] = args;
      if (!clientId) throw new UsageError('clients:delete needs a client id');
      if (!(await deleteClient(em(orm), clientId))) throw new UsageError(`no client ${clientId}`);
      print(`deleted ${clientId}`);
    },
  },
  'users:create': {
    usage: 'users:create --email EMAIL --password PASSWORD [--first-name NAME] [--last-name NAME] [--verified]',
    async run({ orm, args }) {
      const { values } = parseArgs({
        args,
        options: {
          email: { type: 'string' },
          password: { type: 'string' },
          'first-name': { type: 'string' },
          'last-name': { type: 'string' },
          verified: { type: 'boolean' },
        },
      });
      const customer = await createCustomer(em(orm), {
        email: values.email ?? '',
        password: values.password ?? '',
        firstName: values['first-name'],
        lastName: values['last-name'],
        emailVerified: values.verified ?? false,
      });
      print({ id: customer.id, email: customer.email });
    },
  },
  'tenants:list': {
    usage: 'tenants:list',
    async run({ orm }) {
      const tenants = await listTenants(em(orm));
      print(
        tenants.map((tenant) => ({
          tenant_id: tenant.id,
          tenant_name: tenant.name,
          status: tenant.status,
          owner_id: tenant.ownerId,
          created_at: tenant.createdAt,
        })),
      );
    },
  },
  'tenants:activate': {
    usage: 'tenants:activate TENANT_ID',
    async run({ orm, args }) {
      const [tenantId] = args;
      if (!tenantId) throw new UsageError('tenants:activate needs a tenant id');
      const tenant = await setTenantStatus(em(orm), tenantId, 'ACTIVE');
      if (!tenant) throw new UsageError(`no tenant ${tenantId}`);
      print({ tenant_id: tenant.id, tenant_name: tenant.name, status: tenant.status });
    },
  },
  'tenants:deactivate': {
    usage: 'tenants:deactivate TENANT_ID',
    async run({ orm, args }) {
      const [tenantId] = args;
      if (!tenantId) throw new UsageError('tenants:deactivate needs a tenant id');
      const tenant = await setTenantStatus(em(orm), tenantId, 'INACTIVE');
      if (!tenant) throw new UsageError(`no tenant ${tenantId}`);
      print({ tenant_id: tenant.id, tenant_name: tenant.name, status: tenant.status });
    },
  },
  'api-keys:create': {
    usage: 'api-keys:create --name NAME [--endpoint ENDPOINT_ID]... [--scope SCOPE]...   (no endpoint = none; "*" = all)',
    async run({ orm, args }) {
      const { values } = parseArgs({
        args,
        options: { name: { type: 'string' }, endpoint: { type: 'string', multiple: true }, scope: { type: 'string', multiple: true } },
      });
      const { key, row } = await createApiKey(em(orm), { name: values.name ?? '', endpoints: values.endpoint ?? [], scopes: (values.scope ?? []) as never });
      print({ ...apiKeyFields(row), key });
      process.stderr.write('Store the key now: it is not shown again.\n');
    },
  },
  'api-keys:list': {
    usage: 'api-keys:list',
    async run({ orm }) {
      print((await listApiKeys(em(orm))).map(apiKeyFields));
    },
  },
  'api-keys:revoke': {
    usage: 'api-keys:revoke KEY_ID',
    async run({ orm, args }) {
      const [keyId] = args;
      if (!keyId || !/^[0-9a-f-]{36}$/i.test(keyId)) throw new UsageError('api-keys:revoke needs a key id (a UUID, see api-keys:list)');
      const row = await revokeApiKey(em(orm), keyId);
      if (!row) throw new UsageError(`no API key ${keyId}`);
      print({ ...apiKeyFields(row), note: 'running instances refuse it within API_KEY_CACHE_SECONDS' });
    },
  },
  'passcodes:purge': {
    usage: 'passcodes:purge',
    async run({ orm }) {
      print({ purged: await purgeExpiredPasscodes(em(orm)) });
    },
  },
  'autologin:create': {
    usage: 'autologin:create --email EMAIL [--valid-for SECONDS=86400] [--max-uses N=1]',
    async run({ orm, args }) {
      const { values } = parseArgs({ args, options: { email: { type: 'string' }, 'valid-for': { type: 'string' }, 'max-uses': { type: 'string' } } });
      const customer = values.email ? await findCustomerByEmail(em(orm), values.email) : null;
      if (!customer) throw new UsageError('autologin:create needs --email of an existing customer');
      const validForSeconds = Number(values['valid-for'] ?? 86_400);
      const maxUses = Number(values['max-uses'] ?? 1);
      if (!Number.isInteger(validForSeconds) || validForSeconds < 1 || !Number.isInteger(maxUses) || maxUses < 1) {
        throw new UsageError('--valid-for and --max-uses must be positive integers');
      }
      const created = await createAutologinToken(em(orm), { customerId: customer.id, validForSeconds, maxUses });
      print({ autologin_token: created.token, valid_to: created.validTo, max_uses: maxUses });
    },
  },
  'groups:create': {
    usage: 'groups:create NAME   (REMP user group, for /api/v1/users/add-to-group)',
    async run({ orm, args }) {
      const { name } = createGroupInput.parse({ name: args.join(' ') });
      const group = await createGroup(em(orm), name);
      print({ id: group.id, name: group.name });
    },
  },
  cleanup: {
    usage: 'cleanup   (deletes data past its retention: RETENTION_LOGIN_ATTEMPTS_DAYS, RETENTION_OUTBOX_DAYS, RETENTION_CHANGE_LOGS_DAYS; expired tokens)',
    async run({ orm, config }) {
      print(await runRetentionCleanup(em(orm), config.retention, config.webhooks.urls));
    },
  },
  'webhooks:secret': {
    usage: 'webhooks:secret   (the key receivers verify X-Gatehouse-Signature with: WEBHOOK_SECRET, or the one derived from GATEHOUSE_SECRET)',
    async run({ config }) {
      print(config.webhooks.secret);
      process.stderr.write('Keep it secret: it proves webhook requests come from Gatehouse.\n');
    },
  },
  'keys:rotate': {
    usage: 'keys:rotate',
    async run({ orm, config }) {
      await ensureSigningKeys(em(orm), config.secret);
      const longest = Math.max(config.ttl.accessToken, config.ttl.idToken, config.ttl.clientCredentials);
      const result = await rotateSigningKeys(em(orm), config.secret, longest);
      print({ ...result, note: `running instances pick up the new keys within ${config.keyRefreshIntervalSeconds}s` });
    },
  },
};

class UsageError extends Error {}

async function main() {
  const [name, ...args] = process.argv.slice(2);
  const command = name ? commands[name] : undefined;
  if (!command) {
    print(
      `usage: npm run cli -- <command>\n\n${Object.values(commands)
        .map((c) => `  ${c.usage}`)
        .join('\n')}`,
    );
    process.exit(name ? 2 : 0);
  }
  const config = loadConfig();
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const { orm, embedded } = await openDatabase(config, logger);
  try {
    await command.run({ orm, config, args });
  } finally {
    await orm.close(true);
    await embedded?.stop();
  }
}

main().catch((error: unknown) => {
  if (error instanceof ZodError) {
    const issue = error.issues[0];
    process.stderr.write(`error: ${issue?.path.join('.') || 'input'}: ${issue?.message}\n`);
  } else if (error instanceof ConfigError || error instanceof UsageError || (error instanceof Error && 'code' in error && error.name === 'ApiError')) {
    process.stderr.write(`error: ${(error as Error).message}\n`);
  } else {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
});
