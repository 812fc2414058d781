import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** Thrown when the environment is unusable; main prints its one-line message and exits. */
export class ConfigError extends Error {}

const booleanString = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const seconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  ISSUER: z.url({ protocol: /^https?$/ }).optional(),
  API_AUDIENCE: z.url().optional(),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  DATA_DIR: z.string().min(1).default('.data'),
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1024).max(65535).default(54329),
  GATEHOUSE_SECRET: z.string().min(32, 'at least 32 characters of random data').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: booleanString.default(false),
  ACCESS_TOKEN_TTL: seconds(3600),
  ID_TOKEN_TTL: seconds(3600),
  REFRESH_TOKEN_TTL: seconds(14 * 24 * 3600),
  CLIENT_CREDENTIALS_TTL: seconds(3600),
  SESSION_TTL: seconds(14 * 24 * 3600),
  INTERACTION_TTL: seconds(3600),
  AUTHORIZATION_CODE_TTL: seconds(60),
  KEY_REFRESH_INTERVAL: seconds(30),
  CLIENT_CACHE_TTL: seconds(30),
  PURGE_INTERVAL: seconds(600),
  SHUTDOWN_GRACE: seconds(10),
  ACCESS_TOKEN_ALG: z.enum(['RS256', 'ES256']).default('RS256'),
  REVOCATION_CACHE_SECONDS: seconds(5),
  API_KEY_CACHE_SECONDS: seconds(5),
  API_KEY_FAILURES_PER_IP: z.coerce.number().int().min(1).max(10_000).default(20),
  LOGIN_FAILURES_PER_IP: z.coerce.number().int().min(1).max(10_000).default(30),
  TENANT_ADMIN_TOKEN_TTL: seconds(30 * 24 * 3600),
  PASSCODE_EXPIRES_MIN: seconds(10),
  PASSCODE_EXPIRES_MAX: seconds(86_400),
  PASSCODE_RATE_WINDOW: seconds(60),
  PASSCODE_CREATE_PER_KEY: seconds(5),
  PASSCODE_CREATE_PER_IP: seconds(30),
  PASSCODE_CREATE_PER_TENANT: seconds(600),
  PASSCODE_LOOKUP_PER_KEY: seconds(30),
  PASSCODE_LOOKUP_PER_TENANT: seconds(3000),
});

export type Config = ReturnType<typeof buildConfig>;

function buildConfig(env: z.infer<typeof environmentSchema>, secret: string) {
  const issuer = (env.ISSUER ?? `http://localhost:${env.PORT || 3000}`).replace(/\/$/, '');
  return {
    env: env.NODE_ENV,
    isProduction: env.NODE_ENV === 'production',
    host: env.HOST,
    port: env.PORT,
    issuer,
    apiAudience: env.API_AUDIENCE ?? `${issuer}/api`,
    databaseUrl: env.DATABASE_URL,
    databasePoolMax: env.DATABASE_POOL_MAX,
    dataDir: path.resolve(env.DATA_DIR),
    embeddedPgPort: env.EMBEDDED_PG_PORT,
    secret,
    logLevel: env.LOG_LEVEL,
    trustProxy: env.TRUST_PROXY,
    ttl: {
      accessToken: env.ACCESS_TOKEN_TTL,
      idToken: env.ID_TOKEN_TTL,
      refreshToken: env.REFRESH_TOKEN_TTL,
      clientCredentials: env.CLIENT_CREDENTIALS_TTL,
      session: env.SESSION_TTL,
      interaction: env.INTERACTION_TTL,
      authorizationCode: env.AUTHORIZATION_CODE_TTL,
    },
    accessTokenAlg: env.ACCESS_TOKEN_ALG,
    keyRefreshIntervalSeconds: env.KEY_REFRESH_INTERVAL,
    clientCacheTtlSeconds: env.CLIENT_CACHE_TTL,
    purgeIntervalSeconds: env.PURGE_INTERVAL,
    shutdownGraceSeconds: env.SHUTDOWN_GRACE,
    resourceAuth: {
      /** Revoked access tokens stop working at every resource API within this (src/http/revocation-cache.ts). */
      revocationCacheSeconds: env.REVOCATION_CACHE_SECONDS,
      /** A revoked API key keeps working on other instances for at most this (src/api-keys/verifier.ts). */
      apiKeyCacheSeconds: env.API_KEY_CACHE_SECONDS,
      /** Invalid API keys one IP may present in 15 minutes before it gets 429. */
      apiKeyFailuresPerIp: env.API_KEY_FAILURES_PER_IP,
    },
    limits: {
      /** Failed credential checks one IP may make across all accounts in 15 minutes. */
      failuresPerIp: env.LOGIN_FAILURES_PER_IP,
    },
    tenantAdminTokenTtlSeconds: env.TENANT_ADMIN_TOKEN_TTL,
    passcodes: {
      expiresMinSeconds: env.PASSCODE_EXPIRES_MIN,
      expiresMaxSeconds: Math.max(env.PASSCODE_EXPIRES_MAX, env.PASSCODE_EXPIRES_MIN),
      rateWindowSeconds: env.PASSCODE_RATE_WINDOW,
      createPerKey: env.PASSCODE_CREATE_PER_KEY,
      createPerIp: env.PASSCODE_CREATE_PER_IP,
      createPerTenant: env.PASSCODE_CREATE_PER_TENANT,
      lookupPerKey: env.PASSCODE_LOOKUP_PER_KEY,
      lookupPerTenant: env.PASSCODE_LOOKUP_PER_TENANT,
    },
  };
}

/**
 * Outside production a missing GATEHOUSE_SECRET is generated once and kept under the data
 * directory, so `npm start` works on a fresh clone and signing keys stay decryptable across
 * restarts. Production must supply its own: losing it means losing every signing key.
 */
function developmentSecret(dataDir: string): string {
  const file = path.join(path.resolve(dataDir), 'gatehouse-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(path.dirname(file), { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    throw new ConfigError(`Invalid configuration: ${variable} ${issue.message}`);
  }
  const env = parsed.data;
  if (env.NODE_ENV === 'production' && !env.GATEHOUSE_SECRET) {
    throw new ConfigError('Invalid configuration: GATEHOUSE_SECRET is required in production (at least 32 characters of random data)');
  }
  if (env.NODE_ENV === 'production' && !env.DATABASE_URL) {
    throw new ConfigError('Invalid configuration: DATABASE_URL is required in production (the embedded PostgreSQL is for development)');
  }
  return buildConfig(env, env.GATEHOUSE_SECRET ?? developmentSecret(env.DATA_DIR));
}
