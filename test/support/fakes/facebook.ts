/**
 * Fake Facebook Graph API: token introspection (/debug_token) and the user profile (/me).
 *
 * Paths may carry a Graph version prefix (/v21.0/me), so Gatehouse can set its Graph base URL to
 * either `${fake.url}` or `${fake.url}/v21.0`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { sendJson, startHttpServer } from './http-server.js';
import { nowInSeconds } from './signing-key.js';

export interface FacebookUser {
  id: string;
  email?: string;
  first_name?: string;
  last_name?: string;
}

export interface IssueUserTokenOptions extends FacebookUser {
  /** Negative values issue an already-expired token. Defaults to two hours. */
  expiresInSeconds?: number;
  /** Issue the token for another app, as a token stolen from a different site would be. */
  appId?: string;
  scopes?: string[];
}

interface UserToken {
  user: FacebookUser;
  appId: string;
  expiresAt: number;
  scopes: string[];
}

export interface FakeFacebook {
  url: string;
  issueUserToken(options: IssueUserTokenOptions): string;
  stop(): Promise<void>;
}

export async function startFakeFacebook({
  appId,
  appSecret,
  appName = 'Gatehouse Test',
}: {
  appId: string;
  appSecret: string;
  appName?: string;
}): Promise<FakeFacebook> {
  const userTokens = new Map<string, UserToken>();

  function debugToken(res: ServerResponse, params: URLSearchParams, accessToken: string | undefined) {
    if (accessToken !== `${appId}|${appSecret}`) {
      return sendGraphError(res, 400, 190, 'Invalid OAuth access token - Cannot parse access token');
    }
    const inputToken = params.get('input_token');
    if (!inputToken) return sendGraphError(res, 400, 100, 'The parameter input_token is required');
    const token = userTokens.get(inputToken);
    if (!token) {
      return sendJson(res, 200, { data: { error: { code: 190, message: 'Invalid OAuth access token.' }, is_valid: false, scopes: [] } });
    }
    const expired = token.expiresAt <= nowInSeconds();
    sendJson(res, 200, {
      data: {
        app_id: token.appId,
        type: 'USER',
        application: token.appId === appId ? appName : 'Some Other App',
        data_access_expires_at: token.expiresAt + 90 * 24 * 3600,
        expires_at: token.expiresAt,
        is_valid: !expired,
        ...(expired ? { error: { code: 190, subcode: 463, message: 'Error validating access token: Session has expired.' } } : {}),
        issued_at: token.expiresAt - 7200,
        scopes: token.scopes,
        user_id: token.user.id,
      },
    });
  }

  function me(res: ServerResponse, params: URLSearchParams, accessToken: string | undefined) {
    const token = accessToken ? userTokens.get(accessToken) : undefined;
    if (!accessToken || !token) return sendGraphError(res, 400, 190, 'Invalid OAuth access token - Cannot parse access token');
    if (token.expiresAt <= nowInSeconds()) return sendGraphError(res, 400, 190, 'Error validating access token: Session has expired.', 463);
    // The proof is only checked when sent, as for an app that does not enforce "Require App Secret".
    const proof = params.get('appsecret_proof');
    if (proof !== null && !isAppSecretProof(proof, accessToken, appSecret)) {
      return sendGraphError(res, 400, 100, 'Invalid appsecret_proof provided in the API argument');
    }
    const requested = (params.get('fields') ?? 'id,name').split(',').map((field) => field.trim());
    const profile: Record<string, string> = { id: token.user.id };
    for (const field of requested) {
      const value = field === 'name' ? fullName(token.user) : Object.hasOwn(token.user, field) ? token.user[field as keyof FacebookUser] : undefined;
      if (value !== undefined) profile[field] = value;
    }
    sendJson(res, 200, profile);
  }

  const server = await startHttpServer((req, res, url) => {
    const path = url.pathname.replace(/^\/v\d+\.\d+(?=\/)/, '');
    const accessToken = url.searchParams.get('access_token') ?? bearerToken(req);
    if (req.method === 'GET' && path === '/debug_token') return debugToken(res, url.searchParams, accessToken);
    if (req.method === 'GET' && path === '/me') return me(res, url.searchParams, accessToken);
    sendGraphError(res, 400, 803, `Unknown path components: ${path}`);
  });

  return {
    url: server.url,
    issueUserToken({ expiresInSeconds = 7200, appId: tokenAppId = appId, scopes, ...user }) {
      const token = 'EAA' + randomBytes(48).toString('base64url');
      userTokens.set(token, {
        user,
        appId: tokenAppId,
        expiresAt: nowInSeconds() + expiresInSeconds,
        scopes: scopes ?? (user.email ? ['email', 'public_profile'] : ['public_profile']),
      });
      return token;
    },
    stop: server.stop,
  };
}

function sendGraphError(res: ServerResponse, status: number, code: number, message: string, subcode?: number) {
  const error = { message, type: 'OAuthException', code, ...(subcode ? { error_subcode: subcode } : {}), fbtrace_id: randomBytes(8).toString('base64url') };
  sendJson(res, status, { error });
}

function bearerToken(req: IncomingMessage): string | undefined {
  return /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
}

function isAppSecretProof(proof: string, accessToken: string, appSecret: string): boolean {
  const expected = Buffer.from(createHmac('sha256', appSecret).update(accessToken).digest('hex'));
  const given = Buffer.from(proof);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function fullName(user: FacebookUser): string | undefined {
  const name = [user.first_name, user.last_name].filter(Boolean).join(' ');
  return name || undefined;
}
