import { createHmac } from 'node:crypto';
import type { Config } from '../../../platform/config.js';
import { IdentityVerificationError, optionalString, ProviderUnavailableError, type VerifiedIdentity } from './identity.js';

export type FacebookSettings = NonNullable<Config['social']['facebook']>;

export interface FacebookSignIn {
  verifyAccessToken(accessToken: string): Promise<VerifiedIdentity>;
}

interface DebugTokenData {
  app_id?: string;
  type?: string;
  is_valid?: boolean;
  expires_at?: number;
  user_id?: string;
}

const GRAPH_TIMEOUT_MS = 10_000;

/**
 * A Facebook user access token is opaque: Graph's /debug_token, asked with the app token
 * (`APP_ID|APP_SECRET`), says whether it is valid, for which app and until when. Checking the app
 * id is what stops a token issued to some other site from signing in here.
 */
export function createFacebookSignIn(settings: FacebookSettings): FacebookSignIn {
  const graph = async (path: string, params: Record<string, string>, bearer: string) => {
    const url = `${settings.graphUrl}${path}?${new URLSearchParams(params)}`;
    try {
      // Tokens go in the Authorization header, not the query string that proxies tend to log.
      const response = await fetch(url, {
        headers: { authorization: `Bearer ${bearer}`, accept: 'application/json' },
        signal: AbortSignal.timeout(GRAPH_TIMEOUT_MS),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    } catch (error) {
      throw new ProviderUnavailableError('facebook', error);
    }
  };

  async function verifyAccessToken(accessToken: string): Promise<VerifiedIdentity> {
    const debug = await graph('/debug_token', { input_token: accessToken }, `${settings.appId}|${settings.appSecret}`);
    // A non-200 here means Graph refused the app token itself: a configuration problem, not the caller's.
    if (debug.status !== 200) throw new ProviderUnavailableError('facebook', new Error(`debug_token answered ${debug.status}`));
    const data = (debug.body.data ?? {}) as DebugTokenData;
    const expiresAt = typeof data.expires_at === 'number' ? data.expires_at : 0;
    // expires_at 0 means a token that does not expire (long-lived page/system tokens).
    const expired = expiresAt !== 0 && expiresAt * 1000 <= Date.now();
    if (data.is_valid !== true) throw new IdentityVerificationError('facebook', expired ? 'expired' : 'invalid');
    if (data.app_id !== settings.appId) throw new IdentityVerificationError('facebook', 'audience');
    if (expired) throw new IdentityVerificationError('facebook', 'expired');
    if (data.type !== 'USER' || typeof data.user_id !== 'string') throw new IdentityVerificationError('facebook', 'invalid');

    const appsecretProof = createHmac('sha256', settings.appSecret).update(accessToken).digest('hex');
    const me = await graph('/me', { fields: 'id,email,first_name,last_name', appsecret_proof: appsecretProof }, accessToken);
    if (me.status !== 200 || me.body.id !== data.user_id) throw new IdentityVerificationError('facebook', 'invalid');
    const email = optionalString(me.body.email);
    return {
      provider: 'facebook',
      subject: data.user_id,
      email,
      // Graph only returns a primary address Facebook has confirmed ("no valid email → no field").
      emailVerified: email !== undefined,
      firstName: optionalString(me.body.first_name, 100),
      lastName: optionalString(me.body.last_name, 100),
    };
  }

  return { verifyAccessToken };
}
