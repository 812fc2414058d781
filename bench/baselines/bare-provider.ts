/**
 * Baseline for (a) client_credentials, (b) refresh_token and (e) introspection: oidc-provider on
 * its own, one static client and JWT access tokens for one resource server, configured like
 * Gatehouse's provider (src/oauth/provider.ts) minus everything Gatehouse adds (Koa middleware,
 * custom grants, metrics, hashed ids, atomic single use). Its storage is the library's in-memory
 * adapter, or with DATABASE_URL the minimal PostgreSQL adapter of ./minimal-pg-adapter.ts: what
 * refresh costs on a database before anything Gatehouse adds. Run as a child process by
 * bench/run.ts; the parent asks it over IPC for refresh tokens to redeem.
 *
 * Environment: PORT, ISSUER, AUDIENCE, CLIENT_ID, CLIENT_SECRET, ACCESS_TOKEN_ALG (RS256 | ES256 |
 * EdDSA), DATABASE_URL (optional).
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import Provider, { type Configuration } from 'oidc-provider';
import { createMinimalPostgresAdapter } from './minimal-pg-adapter.js';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const port = Number(env('PORT'));
const issuer = env('ISSUER');
const audience = env('AUDIENCE');
const clientId = env('CLIENT_ID');

const SCOPES = ['openid', 'profile', 'email', 'offline_access', 'users:read'];
const RESOURCE_SCOPE = 'openid profile email users:read';

// Access tokens use Gatehouse's ACCESS_TOKEN_ALG; ID tokens stay RS256 (Gatehouse's client
// default), so there is always an RSA key. Key sizes as src/oauth/keys/service.ts generates them.
const alg = process.env.ACCESS_TOKEN_ALG === 'ES256' || process.env.ACCESS_TOKEN_ALG === 'EdDSA' ? process.env.ACCESS_TOKEN_ALG : 'RS256';
const signingKeys = [
  { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: 'bench-rs256', use: 'sig', alg: 'RS256' },
  ...(alg === 'ES256'
    ? [{ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid: 'bench-es256', use: 'sig', alg: 'ES256' }]
    : []),
  ...(alg === 'EdDSA' ? [{ ...generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }), kid: 'bench-eddsa', use: 'sig', alg: 'EdDSA' }] : []),
];
const databaseUrl = process.env.DATABASE_URL;

const configuration: Configuration = {
  ...(databaseUrl ? { adapter: await createMinimalPostgresAdapter(databaseUrl) } : {}),
  clients: [
    {
      client_id: clientId,
      client_secret: env('CLIENT_SECRET'),
      grant_types: ['client_credentials', 'refresh_token'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: SCOPES.join(' '),
    },
  ],
  jwks: { keys: signingKeys } as Configuration['jwks'],
  findAccount: async (_ctx, sub) => ({
    accountId: sub,
    claims: () => ({ sub, name: 'Bench User', given_name: 'Bench', family_name: 'User', email: 'bench@example.com', email_verified: true }),
  }),
  // Gatehouse's paths (src/oauth/provider.ts OIDC_ROUTES), so the scenarios' requests work unchanged.
  routes: { token: '/oauth/token', introspection: '/oauth/introspect', jwks: '/oauth/jwks' },
  scopes: SCOPES,
  claims: { openid: ['sub'], profile: ['name', 'given_name', 'family_name'], email: ['email', 'email_verified'] },
  rotateRefreshToken: true,
  ttl: { AccessToken: 3600, ClientCredentials: 3600, IdToken: 3600, RefreshToken: 14 * 86_400, Grant: 14 * 86_400 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => audience,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: RESOURCE_SCOPE,
        audience,
        accessTokenTTL: 3600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg } },
      }),
    },
  },
  formats: {
    customizers: {
      jwt: (_ctx, token, jwt) => {
        const grantId = (token as { grantId?: string }).grantId;
        if (grantId) jwt.payload.gid = grantId;
      },
    },
  },
};

const provider = new Provider(issuer, configuration);

/** What Gatehouse's password grant leaves behind (src/oauth/customer-tokens.ts): a Grant and a RefreshToken. */
async function mintRefreshToken(): Promise<string> {
  const client = await provider.Client.find(clientId);
  if (!client) throw new Error('the static client is missing');
  const accountId = randomUUID();
  const grant = new provider.Grant({ accountId, clientId });
  grant.addOIDCScope('openid profile email offline_access');
  grant.addResourceScope(audience, 'users:read');
  const grantId = await grant.save();
  const refreshToken = new provider.RefreshToken({
    accountId,
    client,
    grantId,
    scope: SCOPES.join(' '),
    gty: 'password',
    resource: audience,
    rotations: 0,
    iiat: Math.floor(Date.now() / 1000),
  } as never);
  return refreshToken.save();
}

process.on('message', (message: { type?: string; count?: number }) => {
  if (message?.type !== 'mint-refresh-tokens') return;
  Promise.all(Array.from({ length: message.count ?? 1 }, mintRefreshToken))
    .then((tokens) => process.send?.({ type: 'mint-refresh-tokens', tokens }))
    .catch((error: Error) => process.send?.({ type: 'mint-refresh-tokens', error: error.message }));
});

provider.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
