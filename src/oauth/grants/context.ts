import { requestEntityManager } from '../../platform/db/orm.js';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../../platform/config.js';
import type { Orm } from '../../platform/db/orm.js';
import type { CredentialLimiter } from '../../identity/limits/credential-limiter.js';
import { signIn, type SignInRequest } from '../../identity/sign-in.js';
import type { SocialProviders } from '../../identity/credentials/social/providers.js';
import type { ClaimSource } from '../../identity/customers/service.js';
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
 * A custom grant's sign-in and its answer: the sign-in pipeline (src/identity/sign-in.ts), its
 * outcome mapped to RFC 6749 errors (locked → 429 with Retry-After, a rejected credential →
 * invalid_grant), then the customer's tokens. The limiter's settlement and the attempt record are
 * stored in the statement that stores the tokens (issue 14 item 2).
 */
export async function signInAndRespond<T extends { customerId: string; customer?: ClaimSource }, Row = never>(
  ctx: KoaContextWithOIDC,
  deps: GrantDependencies,
  grantType: string,
  request: Omit<SignInRequest<T, Row>, 'attempt' | 'settleSuccessLater'>,
): Promise<void> {
  const outcome = await signIn<T, Row>(requestEntityManager(deps.orm), { ...request, attempt: attemptContext(ctx), settleSuccessLater: true });
  if (outcome.result === 'locked') {
    ctx.set('Retry-After', String(outcome.retryAfterSeconds));
    throw new TooManyAttempts(outcome.retryAfterSeconds);
  }
  if (outcome.result === 'failed') throw new errors.InvalidGrant(outcome.reason);
  await respondWithCustomerTokens(ctx, deps, outcome.customerId, grantType, { customer: outcome.customer, settlement: outcome.settlement });
}

/** Issues the standard token response for a customer authenticated by a custom grant. */
export async function respondWithCustomerTokens(
  ctx: KoaContextWithOIDC,
  deps: GrantDependencies,
  customerId: string,
  grantType: string,
  signedIn: Pick<IssueCustomerTokensInput, 'customer' | 'settlement'> = {},
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
      ...signedIn,
    });
    ctx.body = body;
  } catch (error) {
    if (error instanceof DevicePairingError) throw new errors.InvalidGrant(error.message);
    throw error;
  }
}
