import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EntityManager } from '@mikro-orm/postgresql';
import { REPO_ROOT } from './child-process.js';
import { expectOk, mapConcurrent, requestJson } from './http.js';

/**
 * Gatehouse's own services, from the checkout the server runs from (--server-dir): its entities
 * must match the schema its migrations created.
 */
async function gatehouseServices(serverDir = REPO_ROOT) {
  const load = <T>(file: string): Promise<T> => import(pathToFileURL(path.join(serverDir, file)).href) as Promise<T>;
  const [clients, customers, database, tenants] = await Promise.all([
    load<typeof import('../../src/oauth/clients/service.js')>('src/oauth/clients/service.ts'),
    load<typeof import('../../src/identity/customers/service.js')>('src/identity/customers/service.ts'),
    load<typeof import('../../src/modules/database.js')>('src/modules/database.ts'),
    load<typeof import('../../src/identity/tenants/service.js')>('src/identity/tenants/service.ts'),
  ]);
  return {
    createClient: clients.createClient,
    createCustomer: customers.createCustomer,
    connectDatabase: database.connectGatehouseDatabase,
    setTenantStatus: tenants.setTenantStatus,
  };
}
import { basicAuth } from './load.js';

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

export interface BenchUser {
  email: string;
  password: string;
}

export interface Fixtures {
  /** client_credentials; also the resource server that introspects. */
  machine: ClientCredentials;
  /** A first-party app: password and refresh_token grants. */
  app: ClientCredentials;
  users: BenchUser[];
  tenant: { id: string; apiKey: string };
}

export interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  expires_in: number;
  scope?: string;
}

/** The scope a customer token carries in every scenario: OIDC claims, offline access and one API scope. */
export const USER_SCOPE = 'openid profile email offline_access users:read';
export const MACHINE_SCOPE = 'users:read';
const USER_COUNT = 8;

/**
 * Clients and customers are written through Gatehouse's own services on the server's database
 * (after the server migrated it), as the CLI does; the tenant is created through the tenant API,
 * and activated in-process as `npm run cli -- tenants:activate` would.
 */
export async function seedFixtures(databaseUrl: string, gatehouseUrl: string, serverDir?: string): Promise<Fixtures> {
  const { createClient, createCustomer, connectDatabase, setTenantStatus } = await gatehouseServices(serverDir);
  const orm = await connectDatabase(databaseUrl, 4);
  const em = () => orm.em.fork() as EntityManager;
  try {
    // A registered resource server (RFC 7662 policy, issue #10): it may introspect other clients' access tokens for the API.
    const machine = await createClient(em(), { name: 'bench machine client', grantTypes: ['client_credentials'], scope: MACHINE_SCOPE, introspection: true });
    const app = await createClient(em(), { name: 'bench app', grantTypes: ['password', 'refresh_token'], scope: USER_SCOPE });
    const run = randomBytes(4).toString('hex');
    const users = Array.from({ length: USER_COUNT }, (_, index) => ({
      email: `bench-${run}-${index}@example.com`,
      password: `bench password ${index} ${run}`,
    }));
    await mapConcurrent(users, 4, (user, index) =>
      createCustomer(em(), { email: user.email, password: user.password, firstName: 'Bench', lastName: `User ${index}`, emailVerified: true }),
    );

    const admin = { name: 'Bench Admin', email: `bench-admin-${run}@example.com`, password: `bench admin ${run}` };
    expectOk('tenant admin sign-up', await requestJson(`${gatehouseUrl}/api/v2/tenant/user`, { json: admin }));
    const login = expectOk('tenant admin login', await requestJson(`${gatehouseUrl}/api/v2/login`, { json: { email: admin.email, password: admin.password } }));
    const bearer = { authorization: `Bearer ${login.token}` };
    const created = expectOk('tenant creation', await requestJson(`${gatehouseUrl}/api/v2/tenant`, { headers: bearer, json: { tenant_name: `Bench ${run}` } }));
    const tenantId = String(created.data.tenant_id);
    if (!(await setTenantStatus(em(), tenantId, 'ACTIVE'))) throw new Error(`tenant ${tenantId} not found for activation`);
    const key = expectOk(
      'API key refresh',
      await requestJson(`${gatehouseUrl}/api/v2/tenant/${tenantId}/api_key/refresh`, { method: 'POST', headers: bearer }),
    );

    return {
      machine: { clientId: machine.clientId, clientSecret: machine.clientSecret! },
      app: { clientId: app.clientId, clientSecret: app.clientSecret! },
      users,
      tenant: { id: tenantId, apiKey: String(key.api_key) },
    };
  } finally {
    await orm.close(true);
  }
}

export async function passwordGrant(baseUrl: string, fixtures: Fixtures, user: BenchUser): Promise<TokenResponse> {
  const response = await requestJson<TokenResponse>(`${baseUrl}/oauth/token`, {
    headers: { authorization: basicAuth(fixtures.app.clientId, fixtures.app.clientSecret) },
    form: { grant_type: 'password', username: user.email, password: user.password, scope: USER_SCOPE },
  });
  return expectOk('password grant', response);
}

export async function clientCredentialsGrant(baseUrl: string, client: ClientCredentials): Promise<TokenResponse> {
  const response = await requestJson<TokenResponse>(`${baseUrl}/oauth/token`, {
    headers: { authorization: basicAuth(client.clientId, client.clientSecret) },
    form: { grant_type: 'client_credentials', scope: MACHINE_SCOPE },
  });
  return expectOk('client_credentials grant', response);
}

export async function refreshGrant(baseUrl: string, fixtures: Fixtures, refreshToken: string) {
  return requestJson<TokenResponse>(`${baseUrl}/oauth/token`, {
    headers: { authorization: basicAuth(fixtures.app.clientId, fixtures.app.clientSecret) },
    form: { grant_type: 'refresh_token', refresh_token: refreshToken },
  });
}

export async function introspect(baseUrl: string, client: ClientCredentials, token: string) {
  return requestJson<{ active: boolean }>(`${baseUrl}/oauth/introspect`, {
    headers: { authorization: basicAuth(client.clientId, client.clientSecret) },
    form: { token },
  });
}

/** Refresh tokens from password grants (each costs one argon2id verification on the server). */
export async function issueRefreshTokens(baseUrl: string, fixtures: Fixtures, count: number): Promise<string[]> {
  const indexes = Array.from({ length: count }, (_, index) => index);
  return mapConcurrent(indexes, 8, async (index) => {
    const tokens = await passwordGrant(baseUrl, fixtures, fixtures.users[index % fixtures.users.length]!);
    if (!tokens.refresh_token) throw new Error('the password grant issued no refresh token');
    return tokens.refresh_token;
  });
}
