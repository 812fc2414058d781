import { createPrivateKey, randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { deriveKey } from './crypto/secrets.js';
import { isCountryIso } from './countries.js';
import { threadBudget } from './runtime/thread-pool.js';

/** Thrown when the environment is unusable; main prints its one-line message and exits. */
export class ConfigError extends Error {}

const booleanString = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((value) => value === 'true' || value === '1' || value === 'yes');

const seconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const commaList = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);
const baseUrl = (fallback: string) =>
  z
    .url({ protocol: /^https?$/ })
    .default(fallback)
    .transform((url) => url.replace(/\/$/, ''));
const hostname = z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i, 'must be a host name');

const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  ISSUER: z.url({ protocol: /^https?$/ }).optional(),
  API_AUDIENCE: z.url().optional(),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  // Off behind a pooler that cannot keep named statements (PgBouncer < 1.21 in transaction pooling).
  DATABASE_PREPARED_STATEMENTS: booleanString.default(true),
  // A streaming standby of DATABASE_URL for the read-mostly paths (src/platform/db/read-replica.ts),
  // used only while it has replayed everything the primary had committed this long ago.
  DATABASE_REPLICA_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DATABASE_REPLICA_MAX_LAG_MS: z.coerce.number().int().min(0).max(60_000).default(500),
  // Server processes (node:cluster) sharing the port: one per core on a larger machine (src/main.ts).
  WORKERS: z.coerce.number().int().min(1).max(256).default(1),
  // argon2 hashes one process runs at once; unset, this process's share of the cores (src/platform/runtime/thread-pool.ts).
  PASSWORD_HASH_CONCURRENCY: z.coerce.number().int().min(1).max(256).optional(),
  // libuv's own variable, read when its pool starts; unset, Gatehouse sizes the pool above the hashes (same file).
  UV_THREADPOOL_SIZE: z.coerce.number().int().min(1).max(1024).optional(),
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
  // Slow-client limits of the HTTP server (src/server.ts): a client trickling its request cannot
  // hold a connection longer than these (issue 11: a trickled header was never timed out).
  HEADERS_TIMEOUT_SECONDS: seconds(20),
  REQUEST_TIMEOUT_SECONDS: seconds(30),
  // Longer than the 60 s idle timeout of common load balancers (AWS ALB, nginx upstream keepalive):
  // were the app to close an idle connection first, the balancer could send a request into it and answer 502.
  KEEP_ALIVE_TIMEOUT_SECONDS: seconds(65),
  // ES256 by measurement (issue 14 item 4, README Benchmarks): issuing is ~7x cheaper than RS256 and
  // verifying ~2x dearer, so it costs less up to ~6 verifications per token. ID tokens stay RS256.
  ACCESS_TOKEN_ALG: z.enum(['RS256', 'ES256', 'EdDSA']).default('ES256'),
  REVOCATION_CACHE_SECONDS: seconds(5),
  // RFC 9449 at Gatehouse's resource routes: how old a DPoP proof may be, and whether a server nonce is required.
  DPOP_PROOF_MAX_AGE_SECONDS: seconds(60),
  DPOP_REQUIRE_NONCE: booleanString.default(false),
  API_KEY_CACHE_SECONDS: seconds(5),
  API_KEY_FAILURES_PER_IP: z.coerce.number().int().min(1).max(10_000).default(20),
  LOGIN_FAILURES_PER_IP: z.coerce.number().int().min(1).max(10_000).default(30),
  // Request bodies (src/platform/http/body.ts): the cap counts bytes read, whatever Content-Length claims.
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(50 * 1024 * 1024)
    .default(100 * 1024),
  // Public look-ups that reveal whether an address is registered (src/platform/http/ip-rate-limit.ts).
  EMAIL_CHECKS_PER_IP: z.coerce.number().int().min(1).max(1_000_000).default(30),
  TENANT_SIGNUPS_PER_IP: z.coerce.number().int().min(1).max(1_000_000).default(30),
  TENANT_ADMIN_TOKEN_TTL: seconds(30 * 24 * 3600),
  PASSCODE_EXPIRES_MIN: seconds(10),
  PASSCODE_EXPIRES_MAX: seconds(86_400),
  PASSCODE_RATE_WINDOW: seconds(60),
  PASSCODE_CREATE_PER_KEY: seconds(5),
  PASSCODE_CREATE_PER_IP: seconds(30),
  PASSCODE_CREATE_PER_TENANT: seconds(600),
  PASSCODE_LOOKUP_PER_KEY: seconds(30),
  PASSCODE_LOOKUP_PER_TENANT: seconds(3000),
  // Social sign-in (src/identity/credentials/social/): a provider is enabled when its client (app) id is set.
  GOOGLE_CLIENT_IDS: commaList.optional(),
  GOOGLE_CLIENT_SECRET: z.string().min(1).optional(),
  GOOGLE_CERTS_URL: baseUrl('https://www.googleapis.com/oauth2/v1/certs'),
  GOOGLE_TOKEN_URL: baseUrl('https://oauth2.googleapis.com/token'),
  GOOGLE_AUTH_URL: baseUrl('https://accounts.google.com/o/oauth2/v2/auth'),
  APPLE_CLIENT_ID: z.string().min(1).optional(),
  APPLE_TRUSTED_CLIENT_IDS: commaList.default([]),
  APPLE_TEAM_ID: z.string().min(1).optional(),
  APPLE_KEY_ID: z.string().min(1).optional(),
  // Environment files often carry the PEM on one line with literal \n.
  APPLE_PRIVATE_KEY: z
    .string()
    .transform((pem) => pem.replace(/\\n/g, '\n'))
    .refine(isPrivateKeyPem, 'must be the PEM private key (.p8) of a Sign in with Apple key')
    .optional(),
  APPLE_BASE_URL: baseUrl('https://appleid.apple.com'),
  FACEBOOK_APP_ID: z.string().regex(/^\d+$/, 'must be a numeric Facebook app id').optional(),
  FACEBOOK_APP_SECRET: z.string().min(1).optional(),
  FACEBOOK_GRAPH_URL: baseUrl('https://graph.facebook.com'),
  SIGN_IN_REDIRECT_ALLOWED_DOMAINS: commaList.pipe(z.array(hostname.transform((host) => host.toLowerCase()))).default([]),
  OTP_LENGTH: z.coerce.number().int().min(4).max(10).default(6),
  OTP_TTL: seconds(300),
  OTP_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  OTP_RESEND_SECONDS: seconds(30),
  OTP_MAX_PER_HOUR: z.coerce.number().int().min(1).max(1000).default(5),
  OTP_MAX_PER_IP_PER_HOUR: z.coerce.number().int().min(1).max(100_000).default(30),
  TWILIO_ACCOUNT_SID: z
    .string()
    .regex(/^AC\w+$/, 'must start with AC')
    .optional(),
  TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
  TWILIO_FROM: z.string().min(1).optional(),
  TWILIO_MESSAGING_SERVICE_SID: z
    .string()
    .regex(/^MG\w+$/, 'must start with MG')
    .optional(),
  TWILIO_API_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://api.twilio.com'),
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  MAIL_FROM: z.string().min(3).optional(),
  // Webhooks (src/webhooks/): outbox events POSTed to each URL, signed with WEBHOOK_SECRET.
  WEBHOOK_URLS: commaList.pipe(z.array(z.url({ protocol: /^https?$/ }))).default([]),
  WEBHOOK_SECRET: z.string().min(16, 'at least 16 characters').optional(),
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(10),
  WEBHOOK_POLL_MS: z.coerce.number().int().min(10).max(600_000).default(1000),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).max(86_400_000).default(30_000),
  WEBHOOK_RETRY_MAX_MS: z.coerce
    .number()
    .int()
    .min(10)
    .max(7 * 86_400_000)
    .default(6 * 3_600_000),
  // Data retention (`npm run cli -- cleanup`, src/retention/).
  RETENTION_LOGIN_ATTEMPTS_DAYS: z.coerce.number().int().min(1).max(36_500).default(90),
  RETENTION_OUTBOX_DAYS: z.coerce.number().int().min(1).max(36_500).default(30),
  RETENTION_CHANGE_LOGS_DAYS: z.coerce.number().int().min(1).max(36_500).default(365),
  // CRM.COM access tokens (customer credentials, src/identity/credentials/credential-tokens/): verification codes.
  CREDENTIAL_TOKEN_VERIFICATION_TTL: seconds(24 * 3600),
  CREDENTIAL_TOKEN_VERIFICATION_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  // REMP addresses: "Default country is used if not provided" (ISO 3166-1 alpha-2).
  ADDRESS_DEFAULT_COUNTRY: z.string().toUpperCase().refine(isCountryIso, 'must be an ISO 3166-1 alpha-2 country code').optional(),
});

export type Config = ReturnType<typeof buildConfig>;

/** Twilio is all or nothing: half a configuration would silently fall back to the outbox. */
function twilioSettings(env: z.infer<typeof environmentSchema>) {
  if (!env.TWILIO_ACCOUNT_SID && !env.TWILIO_AUTH_TOKEN) return undefined;
  if (!env.TWILIO_ACCOUNT_SID || !env.TWILIO_AUTH_TOKEN || !(env.TWILIO_FROM || env.TWILIO_MESSAGING_SERVICE_SID)) {
    throw new ConfigError('Invalid configuration: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID must be set together');
  }
  return {
    accountSid: env.TWILIO_ACCOUNT_SID,
    authToken: env.TWILIO_AUTH_TOKEN,
    from: env.TWILIO_FROM,
    messagingServiceSid: env.TWILIO_MESSAGING_SERVICE_SID,
    apiBaseUrl: env.TWILIO_API_BASE_URL.replace(/\/$/, ''),
  };
}

function buildConfig(env: z.infer<typeof environmentSchema>, secret: string) {
  const issuer = (env.ISSUER ?? `http://localhost:${env.PORT || 3000}`).replace(/\/$/, '');
  return {
    env: env.NODE_ENV,
    isProduction: env.NODE_ENV === 'production',
    social: socialConfig(env),
    host: env.HOST,
    port: env.PORT,
    issuer,
    apiAudience: env.API_AUDIENCE ?? `${issuer}/api`,
    databaseUrl: env.DATABASE_URL,
    databasePoolMax: env.DATABASE_POOL_MAX,
    databasePreparedStatements: env.DATABASE_PREPARED_STATEMENTS,
    /** User info, JWT introspection and SessionM search may read here; unset, everything reads the primary. */
    databaseReplica: env.DATABASE_REPLICA_URL ? { url: env.DATABASE_REPLICA_URL, maxLagMs: env.DATABASE_REPLICA_MAX_LAG_MS } : undefined,
    workers: env.WORKERS,
    threads: threadBudget({
      cores: availableParallelism(),
      workers: env.WORKERS,
      hashConcurrency: env.PASSWORD_HASH_CONCURRENCY,
      poolSize: env.UV_THREADPOOL_SIZE,
    }),
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
    httpTimeouts: {
      /** Node refuses a headers timeout above the request timeout, so it is capped there. */
      headersSeconds: Math.min(env.HEADERS_TIMEOUT_SECONDS, env.REQUEST_TIMEOUT_SECONDS),
      requestSeconds: env.REQUEST_TIMEOUT_SECONDS,
      keepAliveSeconds: env.KEEP_ALIVE_TIMEOUT_SECONDS,
    },
    resourceAuth: {
      /** Revoked access tokens stop working at every resource API within this (src/oauth/callers/revocation-cache.ts). */
      revocationCacheSeconds: env.REVOCATION_CACHE_SECONDS,
      /** A revoked API key keeps working on other instances for at most this (src/identity/api-keys/verifier.ts). */
      apiKeyCacheSeconds: env.API_KEY_CACHE_SECONDS,
      /** Invalid API keys one IP may present in 15 minutes before it gets 429. */
      apiKeyFailuresPerIp: env.API_KEY_FAILURES_PER_IP,
      dpop: { proofMaxAgeSeconds: env.DPOP_PROOF_MAX_AGE_SECONDS, requireNonce: env.DPOP_REQUIRE_NONCE },
    },
    limits: {
      /** Failed credential checks one IP may make across all accounts in 15 minutes. */
      failuresPerIp: env.LOGIN_FAILURES_PER_IP,
    },
    maxBodyBytes: env.MAX_BODY_BYTES,
    /** Per-IP allowances of the endpoints that tell whether an e-mail address is registered. */
    enumeration: {
      /** POST /api/v1/users/email and /api/v2/users/email, per 10 minutes. */
      emailChecksPerIp: env.EMAIL_CHECKS_PER_IP,
      emailCheckWindowSeconds: 600,
      /** POST /api/v2/tenant/user, per hour. */
      tenantSignUpsPerIp: env.TENANT_SIGNUPS_PER_IP,
      tenantSignUpWindowSeconds: 3600,
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
    otp: {
      codeLength: env.OTP_LENGTH,
      ttlSeconds: env.OTP_TTL,
      maxAttempts: env.OTP_MAX_ATTEMPTS,
      resendSeconds: env.OTP_RESEND_SECONDS,
      maxPerHour: env.OTP_MAX_PER_HOUR,
      maxPerIpPerHour: env.OTP_MAX_PER_IP_PER_HOUR,
    },
    /** CRM.COM access tokens as customer credentials (src/identity/credentials/credential-tokens/), not OAuth tokens. */
    credentialTokens: {
      /** How long a verification code sent on assignment stays valid. */
      verificationTtlSeconds: env.CREDENTIAL_TOKEN_VERIFICATION_TTL,
      /** Wrong verification codes a token accepts before its code is dead (a new one must be sent). */
      verificationMaxAttempts: env.CREDENTIAL_TOKEN_VERIFICATION_MAX_ATTEMPTS,
    },
    addresses: {
      /** Country of an address created without country_iso; none when unset. */
      defaultCountryIso: env.ADDRESS_DEFAULT_COUNTRY,
    },
    webhooks: {
      urls: env.WEBHOOK_URLS,
      /** HMAC-SHA256 key (its UTF-8 bytes); without WEBHOOK_SECRET, derived from GATEHOUSE_SECRET (`npm run cli -- webhooks:secret` prints it). */
      secret: env.WEBHOOK_SECRET ?? deriveKey(secret, 'webhooks').toString('base64url'),
      maxAttempts: env.WEBHOOK_MAX_ATTEMPTS,
      pollMs: env.WEBHOOK_POLL_MS,
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      retryBaseMs: env.WEBHOOK_RETRY_BASE_MS,
      retryMaxMs: Math.max(env.WEBHOOK_RETRY_MAX_MS, env.WEBHOOK_RETRY_BASE_MS),
    },
    retention: {
      loginAttemptsDays: env.RETENTION_LOGIN_ATTEMPTS_DAYS,
      outboxDays: env.RETENTION_OUTBOX_DAYS,
      changeLogsDays: env.RETENTION_CHANGE_LOGS_DAYS,
    },
    /** Message providers (src/notify); a channel without one uses the development outbox, or is unavailable in production. */
    notify: {
      twilio: twilioSettings(env),
      smtp: env.SMTP_URL ? { url: env.SMTP_URL, from: env.MAIL_FROM ?? `Gatehouse <no-reply@${new URL(issuer).hostname}>` } : undefined,
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
  // Each worker would start (or race to share) the embedded cluster; several workers need a real database.
  if (env.WORKERS > 1 && !env.DATABASE_URL) {
    throw new ConfigError('Invalid configuration: WORKERS above 1 needs DATABASE_URL (the embedded PostgreSQL serves one process)');
  }
  // The embedded cluster is one development process's own: there is no standby of it to read from.
  if (env.DATABASE_REPLICA_URL && !env.DATABASE_URL) {
    throw new ConfigError('Invalid configuration: DATABASE_REPLICA_URL needs DATABASE_URL (the embedded PostgreSQL has no replica)');
  }
  const socialProblem = socialConfigProblem(env);
  if (socialProblem) throw new ConfigError(`Invalid configuration: ${socialProblem}`);
  return buildConfig(env, env.GATEHOUSE_SECRET ?? developmentSecret(env.DATA_DIR));
}

/** Google, Apple and Facebook sign-in (src/identity/credentials/social/); a provider is absent unless its id is set. */
function socialConfig(env: z.infer<typeof environmentSchema>) {
  const googleClientIds = env.GOOGLE_CLIENT_IDS ?? [];
  const appleCodeFlow =
    env.APPLE_TEAM_ID && env.APPLE_KEY_ID && env.APPLE_PRIVATE_KEY
      ? { teamId: env.APPLE_TEAM_ID, keyId: env.APPLE_KEY_ID, privateKey: env.APPLE_PRIVATE_KEY }
      : undefined;
  return {
    google: googleClientIds[0]
      ? {
          /** The web client: redirect sign-in and gsi_auth_code. Every id is an accepted ID token audience. */
          webClientId: googleClientIds[0],
          clientIds: googleClientIds,
          /** Only the code flows (redirect sign-in, gsi_auth_code) need it. */
          clientSecret: env.GOOGLE_CLIENT_SECRET,
          certsUrl: env.GOOGLE_CERTS_URL,
          tokenUrl: env.GOOGLE_TOKEN_URL,
          authUrl: env.GOOGLE_AUTH_URL,
        }
      : undefined,
    apple: env.APPLE_CLIENT_ID
      ? {
          /** The web Services ID; with the trusted ids (apps) it forms the accepted ID token audiences. */
          clientId: env.APPLE_CLIENT_ID,
          trustedClientIds: env.APPLE_TRUSTED_CLIENT_IDS,
          baseUrl: env.APPLE_BASE_URL,
          /** Signs the client_secret JWT of the redirect flow; without it only ID tokens are accepted. */
          codeFlow: appleCodeFlow,
        }
      : undefined,
    facebook:
      env.FACEBOOK_APP_ID && env.FACEBOOK_APP_SECRET
        ? { appId: env.FACEBOOK_APP_ID, appSecret: env.FACEBOOK_APP_SECRET, graphUrl: env.FACEBOOK_GRAPH_URL }
        : undefined,
    /** Hosts (and their subdomains) a redirect sign-in may return to besides the issuer's own domain. */
    redirectAllowedDomains: env.SIGN_IN_REDIRECT_ALLOWED_DOMAINS,
  };
}

function socialConfigProblem(env: z.infer<typeof environmentSchema>): string | undefined {
  if (env.GOOGLE_CLIENT_SECRET && !env.GOOGLE_CLIENT_IDS?.length) return 'GOOGLE_CLIENT_SECRET is set but GOOGLE_CLIENT_IDS is not';
  if (env.APPLE_TRUSTED_CLIENT_IDS.length && !env.APPLE_CLIENT_ID) return 'APPLE_TRUSTED_CLIENT_IDS is set but APPLE_CLIENT_ID is not';
  const appleKeyParts = [env.APPLE_TEAM_ID, env.APPLE_KEY_ID, env.APPLE_PRIVATE_KEY].filter(Boolean).length;
  if (appleKeyParts !== 0 && appleKeyParts !== 3) return 'APPLE_TEAM_ID, APPLE_KEY_ID and APPLE_PRIVATE_KEY must be set together';
  if (appleKeyParts === 3 && !env.APPLE_CLIENT_ID) return 'APPLE_TEAM_ID, APPLE_KEY_ID and APPLE_PRIVATE_KEY need APPLE_CLIENT_ID';
  if (Boolean(env.FACEBOOK_APP_ID) !== Boolean(env.FACEBOOK_APP_SECRET)) return 'FACEBOOK_APP_ID and FACEBOOK_APP_SECRET must be set together';
  return undefined;
}

function isPrivateKeyPem(pem: string): boolean {
  try {
    createPrivateKey(pem);
    return true;
  } catch {
    return false;
  }
}
