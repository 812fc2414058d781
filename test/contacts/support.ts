import { createApiKey } from '../../src/identity/api-keys/service.js';
import { startFakeFacebook, type FakeFacebook } from '../support/fakes/index.js';
import { postForm, startTestServer, type TestServer } from '../support/server.js';
import { startProviders, type Providers } from '../otp/support.js';

export const FACEBOOK_APP_ID = '4242424242';
export const FACEBOOK_SECRET = 'crm-facebook-secret';

/** Every endpoint id a CRM.COM mobile app needs. */
export const APP_ENDPOINTS = [
  'contacts.register',
  'contacts.validate-otp',
  'contacts.request-otp',
  'contacts.refresh',
  'contacts.authenticate',
  'contacts.add-identity',
  'access-tokens.verify',
];

export interface HttpResult {
  status: number;
  headers: Headers;
  body: any;
}

export interface CrmWorld {
  server: TestServer;
  providers: Providers;
  facebook: FakeFacebook;
  /** The mobile app's `api_key`. */
  apiKey: string;
  /** A back-office client-credentials token with contacts:read contacts:write. */
  backofficeToken: string;
  backofficeClient: { clientId: string; clientSecret?: string };
  selfService(path: string, body: unknown, apiKey?: string): Promise<HttpResult>;
  backoffice(method: string, path: string, body?: unknown, token?: string): Promise<HttpResult>;
  stop(): Promise<void>;
}

async function call(url: string, init: { method: string; headers: Record<string, string>; body?: unknown }): Promise<HttpResult> {
  const response = await fetch(url, {
    method: init.method,
    headers: { ...init.headers, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, headers: response.headers, body };
}

/** Gatehouse with Twilio, SMTP and Facebook fakes, an app API key and a back-office client. */
export async function startCrmWorld(extraEnv: Record<string, string> = {}): Promise<CrmWorld> {
  const providers = await startProviders();
  const facebook = await startFakeFacebook({ appId: FACEBOOK_APP_ID, appSecret: FACEBOOK_SECRET });
  const server = await startTestServer({
    ...providers.env,
    FACEBOOK_APP_ID,
    FACEBOOK_APP_SECRET: FACEBOOK_SECRET,
    FACEBOOK_GRAPH_URL: facebook.url,
    OTP_MAX_PER_IP_PER_HOUR: '1000',
    OTP_RESEND_SECONDS: '1',
    LOGIN_FAILURES_PER_IP: '1000',
    ...extraEnv,
  });
  const { key } = await createApiKey(server.em(), { name: 'Mobile app', endpoints: APP_ENDPOINTS });
  const backofficeClient = await server.createClient({ name: 'Back office', grantTypes: ['client_credentials'], scope: 'contacts:read contacts:write' });
  const tokenResponse = await postForm(
    `${server.url}/oauth/token`,
    { grant_type: 'client_credentials', scope: 'contacts:read contacts:write' },
    { basic: [backofficeClient.clientId, backofficeClient.clientSecret!] },
  );
  if (tokenResponse.status !== 200) throw new Error(`back-office token: ${JSON.stringify(tokenResponse.body)}`);
  const backofficeToken = tokenResponse.body.access_token as string;

  return {
    server,
    providers,
    facebook,
    apiKey: key,
    backofficeToken,
    backofficeClient,
    selfService: (path, body, apiKey = key) => call(`${server.url}${path}`, { method: 'POST', headers: { api_key: apiKey }, body }),
    backoffice: (method, path, body, token = backofficeToken) => call(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}` }, body }),
    async stop() {
      await server.stop();
      await providers.stop();
      await facebook.stop();
    },
  };
}

export function codeIn(text: string): string {
  const match = /\b(\d{6})\b/.exec(text);
  if (!match) throw new Error(`no 6-digit code in: ${text}`);
  return match[1]!;
}

export async function count(server: TestServer, sql: string, params: unknown[] = []): Promise<number> {
  const [row] = await server
    .em()
    .getConnection()
    .execute(`select count(*)::int as n from ${sql}`, params as never[]);
  return (row as { n: number }).n;
}
