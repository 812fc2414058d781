import { exportPKCS8, generateKeyPair } from 'jose';
import { startFakeApple, startFakeFacebook, startFakeGoogle, type FakeApple, type FakeFacebook, type FakeGoogle } from '../support/fakes/index.js';
import { postForm, startTestServer, type TestServer } from '../support/server.js';

export const GOOGLE_WEB_CLIENT = 'gatehouse-web.apps.googleusercontent.com';
export const GOOGLE_IOS_CLIENT = 'gatehouse-ios.apps.googleusercontent.com';
export const GOOGLE_SECRET = 'google-client-secret';
export const APPLE_WEB_CLIENT = 'test.gatehouse.web';
export const APPLE_APP_CLIENT = 'test.gatehouse.app';
export const FACEBOOK_APP_ID = '1234567890';
export const FACEBOOK_SECRET = 'facebook-app-secret';

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

export interface SocialWorld {
  server: TestServer;
  google: FakeGoogle;
  apple: FakeApple;
  facebook: FakeFacebook;
  stop(): Promise<void>;
}

/** Gatehouse with Google, Apple and Facebook sign-in pointed at the local fakes through its environment. */
export async function startSocialWorld(extraEnv: Record<string, string> = {}): Promise<SocialWorld> {
  const google = await startFakeGoogle({ clientIds: [GOOGLE_WEB_CLIENT, GOOGLE_IOS_CLIENT] });
  const apple = await startFakeApple({ clientIds: [APPLE_WEB_CLIENT, APPLE_APP_CLIENT] });
  const facebook = await startFakeFacebook({ appId: FACEBOOK_APP_ID, appSecret: FACEBOOK_SECRET });
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const server = await startTestServer({
    GOOGLE_CLIENT_IDS: `${GOOGLE_WEB_CLIENT}, ${GOOGLE_IOS_CLIENT}`,
    GOOGLE_CLIENT_SECRET: GOOGLE_SECRET,
    GOOGLE_CERTS_URL: `${google.url}/oauth2/v1/certs`,
    GOOGLE_TOKEN_URL: `${google.url}/token`,
    GOOGLE_AUTH_URL: `${google.url}/o/oauth2/v2/auth`,
    APPLE_CLIENT_ID: APPLE_WEB_CLIENT,
    APPLE_TRUSTED_CLIENT_IDS: APPLE_APP_CLIENT,
    APPLE_TEAM_ID: 'TEAM123456',
    APPLE_KEY_ID: 'KEY1234567',
    // One line with literal \n, as environment files carry it.
    APPLE_PRIVATE_KEY: (await exportPKCS8(privateKey)).replace(/\n/g, '\\n'),
    APPLE_BASE_URL: apple.url,
    FACEBOOK_APP_ID,
    FACEBOOK_APP_SECRET: FACEBOOK_SECRET,
    FACEBOOK_GRAPH_URL: `${facebook.url}/v21.0`,
    ...extraEnv,
  });
  return {
    server,
    google,
    apple,
    facebook,
    async stop() {
      await server.stop();
      await Promise.all([google.stop(), apple.stop(), facebook.stop()]);
    },
  };
}

export async function count(server: TestServer, table: 'customer' | 'customer_identity'): Promise<number> {
  const [row] = await server.em().getConnection().execute<Array<{ n: string }>>(`select count(*) as n from ${table}`);
  return Number(row!.n);
}

export async function identityRow(server: TestServer, provider: string, subject: string) {
  const rows = await server.em().getConnection().execute(`select * from customer_identity where provider = ? and subject = ?`, [provider, subject]);
  return rows[0] as { customer_id: string; email: string | null; last_used_at: Date | null } | undefined;
}

export async function customerRow(server: TestServer, id: string) {
  const rows = await server.em().getConnection().execute(`select * from customer where id = ?`, [id]);
  return rows[0] as Record<string, any> | undefined;
}

export const uniqueEmail = (label: string) => `${label}-${Math.random().toString(36).slice(2, 10)}@example.com`;
export const googleSubject = () => `1${Array.from({ length: 20 }, () => Math.floor(Math.random() * 10)).join('')}`;

/** A bearer GET against userinfo. */
export async function userinfo(server: TestServer, accessToken: string) {
  const response = await fetch(`${server.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export async function introspect(server: TestServer, client: { clientId: string; clientSecret?: string }, token: string) {
  return (await postForm(`${server.url}/oauth/introspect`, { token }, { basic: [client.clientId, client.clientSecret!] })).body as Record<string, unknown>;
}
