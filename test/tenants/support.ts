import { randomBytes } from 'node:crypto';
import { postForm, type TestServer } from '../support/server.js';

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: any;
}

/** JSON over real HTTP, as the tenant's back office and website would call it. */
export async function call(
  server: TestServer,
  method: string,
  path: string,
  init: { json?: unknown; token?: string; apiKey?: string; headers?: Record<string, string> } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.apiKey !== undefined) headers['x-api-key'] = init.apiKey;
  const response = await fetch(`${server.url}${path}`, { method, headers, body: init.json === undefined ? undefined : JSON.stringify(init.json) });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body };
}

export const uniqueSuffix = () => randomBytes(4).toString('hex');

export interface TenantAdminSession {
  email: string;
  password: string;
  token: string;
}

/** Spec step 1: sign up and log in. */
export async function signUpAndLogIn(server: TestServer, name = 'Tenant Admin'): Promise<TenantAdminSession> {
  const email = `admin-${uniqueSuffix()}@example.com`;
  const password = 'correct horse battery';
  const signUp = await call(server, 'POST', '/api/v2/tenant/user', { json: { name, email, password } });
  if (signUp.status !== 200) throw new Error(`sign-up failed: ${signUp.status} ${JSON.stringify(signUp.body)}`);
  const login = await call(server, 'POST', '/api/v2/login', { json: { email, password } });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
  return { email, password, token: login.body.token };
}

/** A registered client allowed client_credentials with tenants:admin: the service operator. */
export async function serviceAdminToken(server: TestServer): Promise<string> {
  const client = await server.createClient({ name: 'Service operator', grantTypes: ['client_credentials'], scope: 'tenants:admin' });
  const response = await postForm(
    `${server.url}/oauth/token`,
    { grant_type: 'client_credentials', scope: 'tenants:admin' },
    { basic: [client.clientId, client.clientSecret!] },
  );
  if (response.status !== 200) throw new Error(`client_credentials failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.access_token as string;
}

export interface ReadyTenant {
  admin: TenantAdminSession;
  tenantId: string;
  apiKey: string;
}

/** Spec steps 1–3 in one go: an active tenant with an API key (and optionally a configuration). */
export async function readyTenant(server: TestServer, operatorToken: string, config?: Record<string, unknown>): Promise<ReadyTenant> {
  const admin = await signUpAndLogIn(server);
  const created = await call(server, 'POST', '/api/v2/tenant', { token: admin.token, json: { tenant_name: `Company ${uniqueSuffix()}` } });
  if (created.status !== 200) throw new Error(`tenant creation failed: ${created.status} ${JSON.stringify(created.body)}`);
  const tenantId = created.body.data.tenant_id as string;
  const activated = await call(server, 'POST', `/api/v2/tenant/${tenantId}/activate`, { token: operatorToken });
  if (activated.status !== 200) throw new Error(`activation failed: ${activated.status} ${JSON.stringify(activated.body)}`);
  const refreshed = await call(server, 'POST', `/api/v2/tenant/${tenantId}/api_key/refresh`, { token: admin.token });
  if (refreshed.status !== 200) throw new Error(`api key refresh failed: ${refreshed.status} ${JSON.stringify(refreshed.body)}`);
  if (config) {
    const configured = await call(server, 'POST', `/api/v2/${tenantId}/identity/passcode/config`, {
      token: admin.token,
      json: { tenant_config_details: config },
    });
    if (configured.status !== 200) throw new Error(`configuration failed: ${configured.status} ${JSON.stringify(configured.body)}`);
  }
  return { admin, tenantId, apiKey: refreshed.body.api_key as string };
}

export const postPasscode = (server: TestServer, tenantId: string, json: unknown) => call(server, 'POST', `/api/v2/${tenantId}/identity/passcode`, { json });

export const getPasscode = (server: TestServer, tenantId: string, passKey: string, apiKey: string) =>
  call(server, 'GET', `/api/v2/${tenantId}/identity/passcode/${encodeURIComponent(passKey)}`, { apiKey });

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A phone number nobody else in the run uses. */
export const phoneNumber = () => `+44 7700 9${String(Math.floor(Math.random() * 100_000)).padStart(5, '0')}`;

/**
 * Moves a tenant's passcodes past their expiry: tests inject the expiry instead of sleeping
 * through it, so a slow machine can neither make a fresh passcode expire early nor an old one late.
 */
export async function expirePasscodes(server: TestServer, tenantId: string): Promise<void> {
  await server.em().getConnection().execute(`update passcode set expires_at = now() - interval '1 second' where tenant_id = ?`, [tenantId]);
}
