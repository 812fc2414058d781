import { requestEntityManager } from '../../platform/db/orm.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../../platform/config.js';
import type { Orm } from '../../platform/db/orm.js';
import type { CredentialLimiter } from '../../identity/limits/credential-limiter.js';
import { signIn, type SignInRequest } from '../../identity/sign-in.js';
import type { SocialProviders } from '../../identity/credentials/social/providers.js';
import { DevicePairingError, issueCustomerTokens, type IssueCustomerTokensInput } from '../customer-tokens.js';

/** What every grant handler may use; built once in server.ts and passed to registerGrants. */
export interface GrantDependencies {
  config: Config;
  orm: Orm;
  limiters: {
    password: CredentialLimiter;
    otp: CredentialLimiter;
    token: CredentialLimiter;
  };
  /** Google, Apple and Facebook sign-in as configured (the same instances the REMP routes use). */
  social: SocialProviders;
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

/**
 * Runs the sign-in pipeline (src/identity/sign-in.ts) for a grant and maps its outcome to RFC 6749
 * errors: locked → 429 with Retry-After, a rejected credential → invalid_grant.
 */
export async function signInForGrant<T extends { customerId: string }, Row = never>(
  ctx: KoaContextWithOIDC,
  deps: GrantDependencies,
  request: Omit<SignInRequest<T, Row>, 'attempt'>,
): Promise<T> {
  const outcome = await signIn<T, Row>(requestEntityManager(deps.orm), { ...request, attempt: attemptContext(ctx) });
  if (outcome.result === 'locked') {
    ctx.set('Retry-After', String(outcome.retryAfterSeconds));
    throw new TooManyAttempts(outcome.retryAfterSeconds);
  }
  if (outcome.result === 'failed') throw new errors.InvalidGrant(outcome.reason);
  const { result: _result, ...verified } = outcome;
  return verified as unknown as T;
}

/** Issues the standard token response for a customer authenticated by a custom grant. */
export async function respondWithCustomerTokens(
  ctx: KoaContextWithOIDC,
  deps: GrantDependencies,
  customerId: string,
  grantType: string,
  customer?: IssueCustomerTokensInput['customer'],
) {
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
      customer,
    });
    ctx.body = body;
  } catch (error) {
    if (error instanceof DevicePairingError) throw new errors.InvalidGrant(error.message);
    throw error;
  }
}
