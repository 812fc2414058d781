import Koa, { type Context } from 'koa';
import serve from 'koa-static';
import mount from './platform/http/mount.js';
import type { Config } from './platform/config.js';
import { poolConnection, withUnitOfWork, type Orm } from './platform/db/orm.js';
import { createApiKeyRoutes } from './api/admin/api-key-routes.js';
import type { ApiKeyVerifier } from './identity/api-keys/verifier.js';
import { bodyPipeline, multipartRoutes } from './platform/http/body.js';
import { apiFallback, isApiPath } from './platform/http/api-fallback.js';
import { createOutageCheck, translateProviderOutages } from './platform/http/faults.js';
import { inputGate } from './platform/http/input-gate.js';
import type { Authenticator } from './oauth/callers/authenticator.js';
import { errorHandler } from './platform/http/error-handler.js';
import { createHealthRoutes } from './platform/http/health-routes.js';
import { measureRequests, routeLabel, type Metrics } from './platform/http/metrics.js';
import type { CredentialLimiter } from './identity/limits/credential-limiter.js';
import { requestId } from './platform/http/request-id.js';
import { securityHeaders } from './platform/http/security-headers.js';
import { dispatchToRouters } from './platform/http/route-dispatch.js';
import { pinRequestToIssuer } from './platform/http/issuer-pinning.js';
import { viewsDirectory, type RenderView } from './platform/http/views.js';
import { accessLogger, type Logger } from './platform/logger.js';
import type { VerifyAccessToken } from './oauth/callers/access-tokens.js';
import type { ResolveAccessToken } from './oauth/callers/access-token-resolver.js';
import { createInteractionRoutes } from './oauth/interactions.js';
import type { ProviderHolder } from './oauth/provider-holder.js';
import { createTokenRoutes, tokenEndpointKnowsScopes, tokenEndpointTakesPost } from './oauth/token-routes.js';
import type { ClientAuthentication } from './oauth/client-auth.js';
import { isAccessTokenRevokedForIntrospection } from './oauth/callers/access-tokens.js';
import type { GrantDependencies } from './oauth/grants/context.js';
import type { ClientMetadataCache } from './oauth/clients/cache.js';
import { createSessionRoutes } from './api/remp/session-routes.js';
import { createLoginAttemptRoutes } from './api/admin/login-attempt-routes.js';
import { createAdminUserRoutes } from './api/admin/user-routes.js';
import { createUserRoutes } from './api/remp/user-routes.js';
import { createSessionmRoutes } from './api/sessionm/routes.js';
import { createWebhookAdminRoutes } from './api/admin/webhook-routes.js';
import { createAddressRoutes } from './api/remp/address-routes.js';
import { createGroupRoutes } from './api/remp/group-routes.js';
import { createUserMetaRoutes } from './api/remp/user-meta-routes.js';
import { createDeviceRoutes } from './api/remp/device-routes.js';
import { createAutologinRoutes } from './api/remp/autologin-routes.js';
import { createPasscodeRoutes } from './api/passcodes/passcode-routes.js';
import { serveWidgets } from './api/passcodes/widgets.js';
import { createTenantRoutes } from './api/passcodes/tenant-routes.js';
import type { Notifier } from './platform/notify/notifier.js';
import { createDevOutboxRoutes } from './api/dev/outbox-routes.js';
import { createOtpRoutes } from './api/remp/otp-routes.js';
import type { SocialProviders } from './identity/credentials/social/providers.js';
import { createSocialRedirectRoutes } from './api/remp/social-redirect-routes.js';
import { createSocialRempRoutes } from './api/remp/social-routes.js';
import path from 'node:path';
import { allOperations } from './modules/operations.js';
import { createOpenApiRoutes } from './platform/openapi/routes.js';
import { isOperationRouter } from './platform/openapi/route.js';
import { createSelfServiceContactRoutes } from './api/crm/contact-self-service-routes.js';
import { createBackofficeContactRoutes } from './api/crm/contact-backoffice-routes.js';
import { createAccessTokenRoutes } from './api/crm/credential-token-routes.js';

export const GATEHOUSE_VERSION = '0.1.0';

export interface AppDependencies {
  config: Config;
  logger: Logger;
  orm: Orm;
  metrics: Metrics;
  providers: ProviderHolder;
  renderView: RenderView;
  verifyAccessToken: VerifyAccessToken;
  /** The one access-token check: verification, revocation, DPoP binding (src/oauth/callers/access-token-resolver.ts). */
  resolveAccessToken: ResolveAccessToken;
  /** The one client-authentication policy of the OAuth endpoints (src/oauth/client-auth.ts). */
  clientAuthentication: ClientAuthentication;
  /** Resource-server middleware: `auth.authenticate({ scopes, allowApiKey, allowUser, allowClient })` (src/oauth/callers/authenticator.ts). */
  auth: Authenticator;
  apiKeys: ApiKeyVerifier;
  loginLimiter: CredentialLimiter;
  limiters: GrantDependencies['limiters'];
  clients: ClientMetadataCache;
  /** SMS and e-mail (src/notify): provider, development outbox, or unavailable in production. */
  notifier: Notifier;
  /** Google, Apple and Facebook sign-in (src/identity/credentials/social/); absent providers are disabled. */
  socialProviders: SocialProviders;
  isShuttingDown: () => boolean;
}

function accessLog(logger: Logger) {
  const requests = accessLogger(logger);
  return async (ctx: Context, next: () => Promise<void>) => {
    const started = performance.now();
    await next();
    const status = ctx.respond === false ? ctx.res.statusCode : ctx.status;
    // The route template, not the path: query strings and path segments can carry codes, tokens
    // and phone numbers (the agent look-up puts the customer's number in the path).
    requests.info(
      { requestId: ctx.state.requestId, method: ctx.method, route: routeLabel(ctx), status, ms: Math.round(performance.now() - started) },
      'request',
    );
  };
}

export interface RouteSummary {
  method: string;
  path: string;
}

export type GatehouseApp = Koa & { routes: RouteSummary[] };

/** Method + path of every route the routers declare (HEAD is implied by GET). */
function summarizeRoutes(routers: Array<{ stack: Array<{ path: string | RegExp; methods: string[] }> }>): RouteSummary[] {
  return routers.flatMap((router) =>
    router.stack.flatMap((layer) =>
      layer.methods.filter((method) => method !== 'HEAD' && method !== 'OPTIONS').map((method) => ({ method: method.toLowerCase(), path: String(layer.path) })),
    ),
  );
}

/** Provider routes Gatehouse never intercepts (userinfo, introspection and revocation it does). */
function isProviderOnlyPath(path: string): boolean {
  return (
    path === '/oauth/token' ||
    path === '/oauth/jwks' ||
    path.startsWith('/oauth/authorize') ||
    path.startsWith('/oauth/logout') ||
    path.startsWith('/.well-known/')
  );
}

export function buildApp(deps: AppDependencies): GatehouseApp {
  // Proxy headers are trusted because pinRequestToIssuer has just rewritten them from ISSUER
  // (and X-Forwarded-For from the socket unless TRUST_PROXY).
  const app = new Koa({ proxy: true }) as GatehouseApp;
  app.silent = true;

  app.use(pinRequestToIssuer(deps.config.issuer, deps.config.trustProxy));
  app.use(requestId);
  app.use(measureRequests(deps.metrics));
  app.use(accessLog(deps.logger));
  // An unexpected error met while the database cannot answer is an outage (503), not a bug (500).
  const isOutage = createOutageCheck(() => poolConnection(deps.orm).execute('select 1'));
  app.use(
    errorHandler(
      deps.logger,
      (status, message) => deps.renderView('error', { title: 'Something went wrong', error: String(status), description: message }),
      isOutage,
    ),
  );
  app.use(
    securityHeaders({
      // form-action is left out: Chromium applies it to the redirect chain that ends at the
      // client's redirect_uri after the sign-in form is posted.
      contentSecurityPolicy: { directives: { formAction: null, upgradeInsecureRequests: null } },
      crossOriginEmbedderPolicy: false,
    }),
  );
  // One body parser and one input gate for every path, the provider's included (src/platform/http/body.ts).
  // Which routes take multipart is read from their declarations, once the routers exist (below).
  app.use(bodyPipeline({ maxBytes: deps.config.maxBodyBytes, acceptsMultipart: (method, path) => acceptsMultipart(method, path) }));
  app.use(inputGate);

  // Everything Gatehouse does not answer itself is the OIDC provider, a Koa app of its own, run on
  // the raw request. Paths only the provider serves (the token endpoint above all) go straight
  // there, past the routers and the ORM request context they do not use.
  const toProvider = async (ctx: Context) => {
    ctx.respond = false;
    // Before `handle`, which builds the provider's handler (and so fixes its middleware) on first use.
    translateProviderOutages(deps.providers.current, isOutage, (error, description) =>
      deps.renderView('error', { title: 'Something went wrong', error, description }),
    );
    await deps.providers.handle(ctx.req, ctx.res);
  };
  app.use(tokenEndpointTakesPost);
  app.use(tokenEndpointKnowsScopes);
  app.use(deps.clientAuthentication.policy());
  // Provider paths get a unit of work too: the grants' services share one EntityManager per request.
  app.use(async (ctx, next) => (isProviderOnlyPath(ctx.path) ? withUnitOfWork(deps.orm, () => toProvider(ctx)) : next()));
  app.use(apiFallback);
  app.use((ctx, next) => withUnitOfWork(deps.orm, next));

  // In tests every response is checked against its declared schema, and every example against its own.
  const contractChecks = deps.config.env === 'test';
  const openApi = createOpenApiRoutes({
    issuer: deps.config.issuer,
    version: GATEHOUSE_VERSION,
    operations: () => allOperations(routers),
    verifyExamples: contractChecks,
  });
  const routers = [
    createHealthRoutes(deps),
    openApi.router,
    createTokenRoutes({
      orm: deps.orm,
      apiAudience: deps.config.apiAudience,
      verifyAccessToken: deps.verifyAccessToken,
      resolveAccessToken: deps.resolveAccessToken,
      // Introspection's check may read the replica (DATABASE_REPLICA_URL); bounded by DATABASE_REPLICA_MAX_LAG_MS.
      isRevokedNow: (claims) => isAccessTokenRevokedForIntrospection(deps.orm, claims),
      clientAuthentication: deps.clientAuthentication,
    }),
    createApiKeyRoutes({ orm: deps.orm, logger: deps.logger, auth: deps.auth, apiKeys: deps.apiKeys }),
    createTenantRoutes({ config: deps.config, orm: deps.orm, resolveAccessToken: deps.resolveAccessToken, provider: () => deps.providers.current }),
    createPasscodeRoutes({ config: deps.config, orm: deps.orm, resolveAccessToken: deps.resolveAccessToken }),
    createSessionRoutes(deps),
    createLoginAttemptRoutes(deps),
    createAdminUserRoutes({ orm: deps.orm, logger: deps.logger, auth: deps.auth, providers: deps.providers }),
    createUserRoutes(deps),
    createAddressRoutes(deps),
    createGroupRoutes(deps),
    createUserMetaRoutes(deps),
    createSessionmRoutes({
      orm: deps.orm,
      logger: deps.logger,
      auth: deps.auth,
      apiKeys: deps.apiKeys,
      clientAuthentication: deps.clientAuthentication,
      clients: deps.clients,
    }),
    createWebhookAdminRoutes({ orm: deps.orm, auth: deps.auth }),
    createDeviceRoutes(deps),
    createAutologinRoutes({ ...deps, tokenLimiter: deps.limiters.token }),
    createOtpRoutes({ config: deps.config, orm: deps.orm, notifier: deps.notifier }),
    createSocialRempRoutes({ ...deps, social: deps.socialProviders, limiter: deps.limiters.token }),
    createSocialRedirectRoutes({ ...deps, social: deps.socialProviders, limiter: deps.limiters.token }),
    createSelfServiceContactRoutes(deps),
    createBackofficeContactRoutes(deps),
    createAccessTokenRoutes(deps),
    // Development convenience only: in production the route is not registered at all.
    ...(deps.config.isProduction ? [] : [createDevOutboxRoutes({ orm: deps.orm })]),
    createInteractionRoutes({
      orm: deps.orm,
      secret: deps.config.secret,
      renderView: deps.renderView,
      provider: () => deps.providers.current,
      loginLimiter: deps.loginLimiter,
    }),
  ];
  const acceptsMultipart = multipartRoutes(allOperations(routers).map(({ method, path, request }) => ({ method, path, bodyTypes: request?.bodyTypes })));
  for (const router of routers) if (isOperationRouter(router)) router.checkResponses = contractChecks;
  app.use(dispatchToRouters(routers));
  app.routes = summarizeRoutes(routers);
  for (const assets of openApi.assets) app.use(assets);
  app.use(mount('/assets', serve(path.join(viewsDirectory, 'assets'), { maxage: 3600_000 })));
  app.use(serveWidgets());

  app.use(async (ctx) => (isApiPath(ctx.path) ? undefined : toProvider(ctx)));
  return app;
}
