import type { EntityManager } from '@mikro-orm/postgresql';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../../config.js';
import type { Orm } from '../../db/orm.js';
import type { CredentialLimiter } from '../../http/rate-limit.js';
import { recordLoginAttempt } from '../../login-attempts/service.js';
import { DevicePairingError, issueCustomerTokens } from '../customer-tokens.js';

/** What every grant handler may use; built once in server.ts and passed to registerGrants. */
export interface GrantDependencies {
  config: Config;
  orm: Orm;
  limiters: {
    password: CredentialLimiter;
    otp: CredentialLimiter;
    token: CredentialLimiter;
  };
}

export type GrantHandler = (ctx: KoaContextWithOIDC) => Promise<void>;

export interface GrantDefinition {
  grantType: string;
  parameters: string[];
  buildHandler(deps: GrantDependencies): GrantHandler;
}

/** 429 at the token endpoint, with Retry-After (issue #3 §7). */
export class TooManyAttempts extends errors.OIDCProviderError {
  constructor(retryAfterSeconds: number) {
    super(429, 'too_many_attempts');
    this.error_description = `too many failed attempts, retry after ${retryAfterSeconds} seconds`;
  }
}

export const param = (ctx: KoaContextWithOIDC, name: string): string | undefined => {
  const value = ctx.oidc.params?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

export const requireParam = (ctx: KoaContextWithOIDC, name: string): string => {
  const value = param(ctx, name);
  if (!value) throw new errors.InvalidRequest(`missing required parameter '${name}'`);
  return value;
};

export function attemptContext(ctx: KoaContextWithOIDC) {
  return { ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined, source: param(ctx, 'source') };
}

/** Checks a credential limiter before the credential is looked at; sets Retry-After when locked. */
export async function enforceLimit(ctx: KoaContextWithOIDC, limiter: CredentialLimiter, identifier: string, deps: GrantDependencies, method: string) {
  const decision = await limiter.check(identifier, ctx.ip);
  if (!decision.allowed) {
    await recordLoginAttempt(deps.orm.em.fork() as EntityManager, { method, result: 'locked', ...attemptContext(ctx) });
    ctx.set('Retry-After', String(decision.retryAfterSeconds));
    throw new TooManyAttempts(decision.retryAfterSeconds);
  }
}

/** Issues the standard token response for a customer authenticated by a custom grant. */
export async function respondWithCustomerTokens(ctx: KoaContextWithOIDC, deps: GrantDependencies, customerId: string, grantType: string) {
  try {
    const { grantId: _grantId, ...body } = await issueCustomerTokens({
      provider: ctx.oidc.provider,
      config: deps.config,
      orm: deps.orm,
      client: ctx.oidc.client!,
      customerId,
      grantType,
      requestedScope: param(ctx, 'scope'),
      deviceToken: param(ctx, 'device_token'),
      ctx,
    });
    ctx.body = body;
  } catch (error) {
    if (error instanceof DevicePairingError) throw new errors.InvalidGrant(error.message);
    throw error;
  }
}
