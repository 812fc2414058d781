import { createServer, type RequestListener, type Server } from 'node:http';
import type { Config } from './platform/config.js';
import { buildApp, type RouteSummary } from './app.js';
import { detachedEntityManager, poolConnection, type Orm } from './platform/db/orm.js';
import { openGatehouseDatabase as openDatabase } from './modules/database.js';
import { createApiKeyVerifier } from './identity/api-keys/verifier.js';
import { createAuthenticator, type Authenticator } from './oauth/callers/authenticator.js';
import { createMetrics } from './platform/http/metrics.js';
import { createCredentialLimiter } from './identity/limits/credential-limiter.js';
import { createRevocationCache } from './oauth/callers/revocation-cache.js';
import { startReadReplica } from './platform/db/read-replica.js';
import { customerOfWrite } from './modules/read-mostly.js';
import { createViewRenderer } from './platform/http/views.js';
import { ensureSigningKeys } from './oauth/keys/service.js';
import { createLogger, type Logger } from './platform/logger.js';
import { createAccessTokenVerifier, isAccessTokenRevoked } from './oauth/callers/access-tokens.js';
import { createAccessTokenResolver } from './oauth/callers/access-token-resolver.js';
import { createDpopVerifier } from './oauth/callers/dpop.js';
import { createClientAuthentication } from './oauth/client-auth.js';
import { purgeExpired } from './oauth/adapter.js';
import { purgeExpiredPasscodes } from './identity/passcodes/service.js';
import { createNotifier } from './platform/notify/notifier.js';
import { purgeDevOutbox } from './platform/notify/outbox.js';
import { purgeOtpChallenges } from './identity/credentials/otp/service.js';
import { purgeExpiredPendingIdentities } from './identity/contacts/identities.js';
import { buildProvider } from './oauth/provider.js';
import { ProviderHolder } from './oauth/provider-holder.js';
import { registerGrants } from './oauth/grants/index.js';
import { createClientMetadataCache } from './oauth/clients/cache.js';
import { createSocialProviders } from './identity/credentials/social/providers.js';
import { startWebhookDispatcher } from './jobs/webhook-dispatcher.js';
import type { GrantDependencies } from './oauth/grants/context.js';
import { limitConcurrentHashes } from './platform/crypto/passwords.js';

export interface RunningGatehouse {
  url: string;
  port: number;
  orm: Orm;
  config: Config;
  providers: ProviderHolder;
  /** The resource-server authenticator the app's routes use (tests mount it on probe routes). */
  auth: Authenticator;
  /** Method + path of every route the app serves besides the provider's own. */
  routes: RouteSummary[];
  /** Stop accepting, finish requests in flight, close the database (and the embedded cluster). */
  stop(): Promise<void>;
}

// The CLI opens the database through here; it lives with the database code so that scripts can
// open it without loading the whole application.
export { openDatabase };

/** Brute-force limits shared by every path that checks the same kind of credential. */
function createLimiters(orm: Orm, config: Config): GrantDependencies['limiters'] {
  const knex = poolConnection(orm).getKnex();
  const common = { windowSeconds: 15 * 60, baseLockSeconds: 30, maxLockSeconds: 3600 };
  return {
    password: createCredentialLimiter(knex, { name: 'login', failuresPerIdentifier: 5, failuresPerIp: config.limits.failuresPerIp, ...common }),
    otp: createCredentialLimiter(knex, { name: 'otp', failuresPerIdentifier: 5, failuresPerIp: config.limits.failuresPerIp, ...common }),
    token: createCredentialLimiter(knex, {
      name: 'token',
      failuresPerIdentifier: config.limits.failuresPerIp,
      failuresPerIp: config.limits.failuresPerIp,
      ...common,
    }),
  };
}

/**
 * The HTTP server with slow-client limits (issue 11 item 3). Node checks the headers and request
 * timeouts only every `connectionsCheckingInterval` (30 s by default), which would let a trickled
 * header live up to 30 s past its limit; checking every second keeps the bound close to the setting.
 */
function createHttpServer(listener: RequestListener, timeouts: Config['httpTimeouts']): Server {
  const server = createServer(
    {
      headersTimeout: timeouts.headersSeconds * 1000,
      requestTimeout: timeouts.requestSeconds * 1000,
      connectionsCheckingInterval: 1000,
    },
    listener,
  );
  server.keepAliveTimeout = timeouts.keepAliveSeconds * 1000;
  return server;
}

export async function startGatehouse(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<RunningGatehouse> {
  const { orm, embedded } = await openDatabase(config, logger);
  await ensureSigningKeys(detachedEntityManager(orm), config.secret, [config.accessTokenAlg]);

  const metrics = createMetrics();
  // DATABASE_REPLICA_URL: user info, introspection and SessionM search may read the standby (src/platform/db/read-replica.ts).
  const readReplica = config.databaseReplica ? startReadReplica(orm, { maxLagMs: config.databaseReplica.maxLagMs, logger, customerOfWrite }) : undefined;
  if (readReplica) metrics.registry.registerMetric(readReplica.reads);
  const renderView = createViewRenderer(config.isProduction);
  limitConcurrentHashes(config.threads.hashConcurrency);
  const limiters = createLimiters(orm, config);
  const notifier = await createNotifier({ config, orm, logger });
  const socialProviders = await createSocialProviders(config.social);
  const grantDependencies: GrantDependencies = { config, orm, limiters, social: socialProviders };
  const clients = createClientMetadataCache(orm, config.clientCacheTtlSeconds);
  const providers = await ProviderHolder.create({
    orm,
    secret: config.secret,
    logger,
    build: (keys) =>
      buildProvider({
        config,
        orm,
        keys,
        renderView,
        logger,
        clients,
        onTokenIssued: (grantType) => metrics.tokensIssued.inc({ grant_type: grantType }),
        extend: (provider) => registerGrants(provider, grantDependencies),
      }),
  });
  providers.startWatching(config.keyRefreshIntervalSeconds);

  const verifyAccessToken = createAccessTokenVerifier({
    issuer: config.issuer,
    audience: config.apiAudience,
    publicJwks: () => providers.keys.publicJwks,
  });
  const loginLimiter = limiters.password;

  // Resource-server authentication (src/oauth/callers/authenticator.ts): revocations are polled into memory, valid
  // API keys cached briefly; both bounds are configured in config.resourceAuth.
  const revocations = createRevocationCache({ orm, refreshSeconds: config.resourceAuth.revocationCacheSeconds, logger });
  await revocations.start();
  const apiKeys = createApiKeyVerifier({ orm, logger, cacheSeconds: config.resourceAuth.apiKeyCacheSeconds });
  const resolveAccessToken = createAccessTokenResolver({
    issuer: config.issuer,
    verifyAccessToken,
    dpop: createDpopVerifier({ orm, secret: config.secret, settings: config.resourceAuth.dpop }),
    isRevokedCached: (claims) => revocations.isRevoked(claims),
    isRevokedNow: (claims) => isAccessTokenRevoked(orm, claims),
  });
  const auth = createAuthenticator({
    resolveAccessToken,
    apiKeys,
    apiKeyLimiter: createCredentialLimiter(poolConnection(orm).getKnex(), {
      name: 'api-key',
      failuresPerIdentifier: 5,
      failuresPerIp: config.resourceAuth.apiKeyFailuresPerIp,
      windowSeconds: 15 * 60,
      baseLockSeconds: 60,
      maxLockSeconds: 3600,
    }),
  });

  let shuttingDown = false;
  const clientAuthentication = createClientAuthentication({ issuer: config.issuer, clients, orm });
  const app = buildApp({
    config,
    logger,
    orm,
    metrics,
    providers,
    renderView,
    verifyAccessToken,
    resolveAccessToken,
    clientAuthentication,
    auth,
    apiKeys,
    loginLimiter,
    limiters,
    clients,
    notifier,
    socialProviders,
    isShuttingDown: () => shuttingDown,
  });

  const server = createHttpServer(app.callback(), config.httpTimeouts);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    // A taken port must not leave the embedded PostgreSQL running after the process exits.
    providers.stopWatching();
    revocations.stop();
    readReplica?.stop();
    await notifier.close();
    await orm.close(true);
    await embedded?.stop();
    throw error;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;

  const purgeTimer = setInterval(() => {
    Promise.all([purgeExpired(orm), purgeExpiredPasscodes(detachedEntityManager(orm))]).catch((error) =>
      logger.warn({ err: error }, 'purge of expired rows failed'),
    );
    purgeOtpChallenges(orm).catch((error) => logger.warn({ err: error }, 'purge of old OTP challenges failed'));
    purgeExpiredPendingIdentities(orm).catch((error) => logger.warn({ err: error }, 'purge of expired contact identity requests failed'));
    if (!config.isProduction) purgeDevOutbox(orm).catch((error) => logger.warn({ err: error }, 'purge of the development outbox failed'));
  }, config.purgeIntervalSeconds * 1000);
  purgeTimer.unref();
  // Outbox events to WEBHOOK_URLS (src/jobs/webhook-dispatcher.ts); state in PostgreSQL, so safe to run on every instance.
  const webhooks = config.webhooks.urls.length > 0 ? startWebhookDispatcher({ orm, logger, settings: config.webhooks }) : undefined;

  logger.info(
    { issuer: config.issuer, port, threadPool: Number(process.env.UV_THREADPOOL_SIZE ?? 4), passwordHashesAtOnce: config.threads.hashConcurrency },
    'Gatehouse listening',
  );

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    orm,
    config,
    providers,
    auth,
    routes: app.routes,
    async stop() {
      shuttingDown = true;
      clearInterval(purgeTimer);
      // No new webhook claims from here; the deliveries in flight finish before the database closes.
      const webhooksStopped = webhooks?.stop();
      providers.stopWatching();
      revocations.stop();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.closeAllConnections();
          resolve();
        }, config.shutdownGraceSeconds * 1000);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
      await webhooksStopped;
      // Messages already dispatched (an OTP just requested) are delivered before the database goes.
      await notifier.close();
      readReplica?.stop();
      await orm.close(true);
      await embedded?.stop();
      logger.info('Gatehouse stopped');
    },
  };
}
