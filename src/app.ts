import { RequestContext } from '@mikro-orm/core';
import Koa, { type Context } from 'koa';
import helmet from 'koa-helmet';
import serve from 'koa-static';
import mount from './http/mount.js';
import type { Config } from './config.js';
import type { Orm } from './db/orm.js';
import { createApiKeyRoutes } from './api-keys/routes.js';
import type { ApiKeyVerifier } from './api-keys/verifier.js';
import { bodyLimit } from './http/body-limit.js';
import type { Authenticator } from './http/auth.js';
import { errorHandler } from './http/error-handler.js';
import { createHealthRoutes } from './http/health-routes.js';
import { measureRequests, type Metrics } from './http/metrics.js';
import type { CredentialLimiter } from './http/rate-limit.js';
import { requestId } from './http/request-id.js';
import { viewsDirectory, type RenderView } from './http/views.js';
import type { Logger } from './logger.js';
import type { VerifyAccessToken } from './oidc/access-tokens.js';
import { createInteractionRoutes } from './oidc/interactions.js';
import type { ProviderHolder } from './oidc/provider-holder.js';
import { createTokenRoutes } from './oidc/token-routes.js';
import type { GrantDependencies } from './oidc/grants/context.js';
import { createSessionRoutes } from './users/session-routes.js';
import { createDeviceRoutes } from './devices/routes.js';
import { createAutologinRoutes } from './autologin/routes.js';
import { createPasscodeRoutes } from './passcodes/routes.js';
import { serveWidgets } from './passcodes/widgets.js';
import { createTenantRoutes } from './tenants/routes.js';
import path from 'node:path';

export interface AppDependencies {
  config: Config;
  logger: Logger;
  orm: Orm;
  metrics: Metrics;
  providers: ProviderHolder;
  renderView: RenderView;
  verifyAccessToken: VerifyAccessToken;
  /** Resource-server middleware: `auth.authenticate({ scopes, allowApiKey, allowUser, allowClient })` (src/http/auth.ts). */
  auth: Authenticator;
  apiKeys: ApiKeyVerifier;
  loginLimiter: CredentialLimiter;
  limiters: GrantDependencies['limiters'];
  isShuttingDown: () => boolean;
}

export const MAX_BODY_BYTES = 100 * 1024;

function accessLog(logger: Logger) {
  return async (ctx: Context, next: () => Promise<void>) => {
    const started = performance.now();
    await next();
    const status = ctx.respond === false ? ctx.res.statusCode : ctx.status;
    // Paths only: query strings can carry codes and tokens.
    logger.info(
      { requestId: ctx.state.requestId, method: ctx.method, path: ctx.path, status, ms: Math.round(performance.now() - started) },
      'request',
    );
  };
}

export function buildApp(deps: AppDependencies): Koa {
  const app = new Koa({ proxy: deps.config.trustProxy });
  app.silent = true;

  app.use(requestId);
  app.use(measureRequests(deps.metrics));
  app.use(accessLog(deps.logger));
  app.use(errorHandler(deps.logger, (status, message) => deps.renderView('error', { title: 'Something went wrong', error: String(status), description: message })));
  app.use(
    helmet({
      // form-action is left out: Chromium applies it to the redirect chain that ends at the
      // client's redirect_uri after the sign-in form is posted.
      contentSecurityPolicy: { directives: { formAction: null, upgradeInsecureRequests: null } },
      crossOriginEmbedderPolicy: false,
    }),
  );
  app.use(bodyLimit(MAX_BODY_BYTES));
  app.use((ctx, next) => RequestContext.create(deps.orm.em, next));

  const routers = [
    createHealthRoutes(deps),
    createTokenRoutes({ orm: deps.orm, verifyAccessToken: deps.verifyAccessToken }),
    createApiKeyRoutes({ orm: deps.orm, logger: deps.logger, auth: deps.auth, apiKeys: deps.apiKeys }),
    createTenantRoutes({ config: deps.config, orm: deps.orm, verifyAccessToken: deps.verifyAccessToken, provider: () => deps.providers.current }),
    createPasscodeRoutes({ config: deps.config, orm: deps.orm, verifyAccessToken: deps.verifyAccessToken }),
    createSessionRoutes(deps),
    createDeviceRoutes(deps),
    createAutologinRoutes({ ...deps, tokenLimiter: deps.limiters.token }),
    createInteractionRoutes({
      orm: deps.orm,
      secret: deps.config.secret,
      renderView: deps.renderView,
      provider: () => deps.providers.current,
      loginLimiter: deps.loginLimiter,
    }),
  ];
  for (const router of routers) app.use(router.routes()).use(router.allowedMethods());
  app.use(mount('/assets', serve(path.join(viewsDirectory, 'assets'), { maxage: 3600_000 })));
  app.use(serveWidgets());

  // Everything else is the OIDC provider, a Koa app of its own, run on the raw request.
  app.use(async (ctx) => {
    ctx.respond = false;
    await deps.providers.handle(ctx.req, ctx.res);
  });
  return app;
}
