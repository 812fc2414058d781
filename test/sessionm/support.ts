import { postForm, type TestServer } from '../support/server.js';
import { createKeyByCli } from '../api-keys/support.js';

export const SESSIONM_ENDPOINT_IDS = ['sessionm.users.search', 'sessionm.users.create', 'sessionm.users.read', 'sessionm.users.update'];

export interface SessionmReply {
  status: number;
  headers: Headers;
  body: any;
}

export interface SessionmCall {
  /** `Bearer …` is added; for Basic pass `basic`. */
  token?: string;
  basic?: [string, string];
  json?: unknown;
  raw?: string;
  query?: Record<string, string>;
}

/** A SessionM server: its Gatehouse API key (path) and an OAuth client allowed client_credentials + password. */
export interface SessionmIntegration {
  apiKey: string;
  clientId: string;
  clientSecret: string;
  /** client_credentials token with users:read users:write. */
  serverToken: string;
}

export async function setUpIntegration(server: TestServer): Promise<SessionmIntegration> {
  // The CLI is how an operator creates the key (a separate process).
  const { key } = await createKeyByCli(server, ['--name', 'SessionM', ...SESSIONM_ENDPOINT_IDS.flatMap((id) => ['--endpoint', id])]);
  const client = await server.createClient({
    name: 'SessionM S2S',
    grantTypes: ['client_credentials', 'password', 'refresh_token'],
    scope: 'openid profile email offline_access users:read users:write',
  });
  const issued = await postForm(
    `${server.url}/oauth/token`,
    { grant_type: 'client_credentials', scope: 'users:read users:write' },
    { basic: [client.clientId, client.clientSecret!] },
  );
  if (issued.status !== 200) throw new Error(`client_credentials failed: ${JSON.stringify(issued.body)}`);
  return { apiKey: key, clientId: client.clientId, clientSecret: client.clientSecret!, serverToken: issued.body.access_token };
}

export const usersPath = (apiKey: string, suffix = '') => `/priv/v1/apps/${apiKey}/users${suffix}`;

export async function sessionm(server: TestServer, method: string, path: string, call: SessionmCall = {}): Promise<SessionmReply> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  if (call.basic) headers.authorization = `Basic ${Buffer.from(`${call.basic[0]}:${call.basic[1]}`).toString('base64')}`;
  let body: string | undefined;
  if (call.json !== undefined || call.raw !== undefined) {
    headers['content-type'] = 'application/json';
    body = call.raw ?? JSON.stringify(call.json);
  }
  const query = call.query ? `?${new URLSearchParams(call.query)}` : '';
  const response = await fetch(`${server.url}${path}${query}`, { method, headers, body });
  const text = await response.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

let counter = 0;

/** The spec's signup example (Step 2), unique per call (e-mail, external id, primary phone: each belongs to one customer). */
export function signupExample(overrides: Record<string, unknown> = {}) {
  counter += 1;
  const unique = `${Date.now().toString(36)}${counter}`;
  return {
    user: {
      external_id: `ext-${unique}`,
      opted_in: 'true',
      external_id_type: 'facebook',
      email: `zzz-${unique}@example.com`,
      first_name: 'John',
      last_name: 'Smith',
      password: 'Aaaaaaaa1',
      Gender: 'm',
      dob: '1980-01-01',
      address: '7 Tremont Street',
      city: 'Boston',
      state: 'MA',
      zip: '02021',
      country: 'USA',
      phone_numbers: [
        { phone_number: `617253${1000 + counter}`, phone_type: 'home', preference_flags: ['primary'] },
        { phone_number: '+44 7911 123456', phone_type: 'mobile', preference_flags: ['sms', 'marketing'] },
      ],
      ...overrides,
    },
  };
}
