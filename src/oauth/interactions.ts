import { requestEntityManager } from '../platform/db/orm.js';
import { CredentialRejected, signIn } from '../identity/sign-in.js';
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { constantTimeEqual, deriveKey, hmac } from '../platform/crypto/secrets.js';
import type { Orm } from '../platform/db/orm.js';
import { authenticateWithPassword } from '../identity/customers/service.js';
import type { RenderView } from '../platform/http/views.js';
import type { CredentialLimiter } from '../identity/limits/credential-limiter.js';

interface InteractionDependencies {
  orm: Orm;
  secret: string;
  renderView: RenderView;
  provider: () => Provider;
  loginLimiter: CredentialLimiter;
}

/**
 * The sign-in, consent and abort steps of an authorization request. Forms carry a CSRF token
 * bound to the interaction (HMAC of its uid); the interaction cookie itself is SameSite=Lax.
 */
export function createInteractionRoutes(deps: InteractionDependencies) {
  const router = new Router({ prefix: '/interaction' });
  const csrfKey = deriveKey(deps.secret, 'interaction-csrf');
  const csrfFor = (uid: string) => hmac(csrfKey, uid);

  const checkCsrf = (ctx: Context, uid: string) => {
    const presented = (ctx.request.body as Record<string, unknown> | undefined)?.csrf;
    if (typeof presented !== 'string' || !constantTimeEqual(presented, csrfFor(uid))) {
      ctx.throw(403, 'The form expired or was not sent from this site. Go back and try again.');
    }
  };

  const page = (ctx: Context, view: string, data: Record<string, unknown>, status = 200) => {
    ctx.status = status;
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = deps.renderView(view, data);
  };

  const clientName = async (clientId: string) => {
    const client = await deps.provider().Client.find(clientId);
    return client?.clientName ?? clientId;
  };

  router.get('/:uid', async (ctx) => {
    const details = await deps.provider().interactionDetails(ctx.req, ctx.res);
    const { uid, prompt, params } = details;
    const client = await clientName(String(params.client_id));
    if (prompt.name === 'login') {
      return page(ctx, 'login', { title: 'Sign in', uid, csrf: csrfFor(uid), client, email: params.login_hint ?? '', errors: {} });
    }
    const missingScopes = [
      ...((prompt.details.missingOIDCScope as string[] | undefined) ?? []),
      ...Object.values((prompt.details.missingResourceScopes as Record<string, string[]> | undefined) ?? {}).flat(),
    ];
    return page(ctx, 'consent', { title: 'Allow access', uid, csrf: csrfFor(uid), client, scopes: [...new Set(missingScopes)].filter((s) => s !== 'openid') });
  });

  router.post('/:uid/login', async (ctx) => {
    const details = await deps.provider().interactionDetails(ctx.req, ctx.res);
    checkCsrf(ctx, details.uid);
    if (details.prompt.name !== 'login') ctx.throw(400, 'This sign-in step is already complete.');
    const body = ctx.request.body as Record<string, unknown>;
    const email = typeof body.email === 'string' ? body.email.trim() : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const client = await clientName(String(details.params.client_id));
    const errors: Record<string, string> = {};
    if (!email) errors.email = 'Enter your e-mail address.';
    if (!password) errors.password = 'Enter your password.';
    if (Object.keys(errors).length) {
      return page(ctx, 'login', { title: 'Sign in', uid: details.uid, csrf: csrfFor(details.uid), client, email, errors }, 400);
    }
    // The same pipeline as the password grant: same limiter key, same lock-out, same record.
    const em = requestEntityManager(deps.orm);
    const outcome = await signIn(em, {
      limiter: deps.loginLimiter,
      limiterKey: email,
      method: 'password',
      attempt: { ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined, source: 'browser' },
      verify: async () => {
        const found = await authenticateWithPassword(em, email, password);
        if (!found) throw new CredentialRejected('invalid credentials');
        return { customerId: found.id };
      },
    });
    if (outcome.result === 'locked') {
      ctx.set('Retry-After', String(outcome.retryAfterSeconds));
      const message = `Too many attempts. Try again in ${outcome.retryAfterSeconds} seconds.`;
      return page(ctx, 'login', { title: 'Sign in', uid: details.uid, csrf: csrfFor(details.uid), client, email, errors: { form: message } }, 429);
    }
    if (outcome.result === 'failed') {
      const message = 'The e-mail address or password is incorrect.';
      return page(ctx, 'login', { title: 'Sign in', uid: details.uid, csrf: csrfFor(details.uid), client, email, errors: { form: message } }, 401);
    }
    const customer = { id: outcome.customerId };
    const redirectTo = await deps.provider().interactionResult(ctx.req, ctx.res, { login: { accountId: customer.id } }, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(redirectTo);
  });

  router.post('/:uid/confirm', async (ctx) => {
    const provider = deps.provider();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    checkCsrf(ctx, details.uid);
    const { prompt, params, session } = details;
    if (prompt.name !== 'consent' || !session) return ctx.throw(400, 'There is nothing to consent to.');
    const grant = details.grantId
      ? (await provider.Grant.find(details.grantId))!
      : new provider.Grant({ accountId: session.accountId, clientId: String(params.client_id) });
    const missingOIDCScope = prompt.details.missingOIDCScope as string[] | undefined;
    const missingOIDCClaims = prompt.details.missingOIDCClaims as string[] | undefined;
    const missingResourceScopes = prompt.details.missingResourceScopes as Record<string, string[]> | undefined;
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(' '));
    const grantId = await grant.save();
    const redirectTo = await provider.interactionResult(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    ctx.status = 303;
    ctx.redirect(redirectTo);
  });

  router.post('/:uid/abort', async (ctx) => {
    const details = await deps.provider().interactionDetails(ctx.req, ctx.res);
    checkCsrf(ctx, details.uid);
    const result = { error: 'access_denied', error_description: 'The user cancelled the request.' };
    const redirectTo = await deps.provider().interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(redirectTo);
  });

  return router;
}
