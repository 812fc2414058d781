/**
 * Fake Sign in with Apple: publishes signing keys at /auth/keys and exchanges codes at /auth/token.
 *
 * apple-signin-auth hard-codes https://appleid.apple.com, but routes every request through a
 * replaceable fetch, so point it here with:
 *
 *   import { _setFetch } from 'apple-signin-auth';
 *   _setFetch(appleFetchRedirectingTo(fake.url));
 *
 * Both the swapped fetch and the library's key cache (kid -> PEM, never expired, only refreshed on
 * an unknown kid) are process-wide.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { readForm, sendJson, startHttpServer } from './http-server.js';
import { createRs256SigningKey, nowInSeconds, randomToken } from './signing-key.js';

export const APPLE_ORIGIN = 'https://appleid.apple.com';

type AppleBoolean = boolean | 'true' | 'false';

export interface AppleIdTokenClaims {
  sub: string;
  email: string;
  // Real Apple tokens have used both the string and the boolean form.
  email_verified: AppleBoolean;
  is_private_email: AppleBoolean;
  aud: string;
  iss: string;
  exp: number;
  iat: number;
  auth_time: number;
  nonce: string;
  nonce_supported: boolean;
}

export interface AppleTokenRequest {
  grantType: string | null;
  clientId: string | null;
  clientSecret: string | null;
  code: string | null;
  refreshToken: string | null;
  redirectUri: string | null;
}

export interface FakeApple {
  url: string;
  kid: string;
  /** Every POST /auth/token received, including the app's client_secret JWT. */
  tokenRequests: AppleTokenRequest[];
  /** Tokens sent to POST /auth/revoke. */
  revokedTokens: string[];
  mintIdToken(claims?: Partial<AppleIdTokenClaims>, opts?: { signWithForeignKey?: boolean }): Promise<string>;
  /** Makes `code` redeemable once at POST /auth/token; the issued id_token carries `claims`. */
  registerAuthCode(code: string, claims?: Partial<AppleIdTokenClaims>): void;
  stop(): Promise<void>;
}

export async function startFakeApple({ clientIds }: { clientIds: string[] }): Promise<FakeApple> {
  const defaultClientId = clientIds[0];
  if (!defaultClientId) throw new Error('startFakeApple needs at least one client id');
  const signingKey = await createRs256SigningKey();
  const pendingCodes = new Map<string, Partial<AppleIdTokenClaims>>();
  const refreshTokens = new Map<string, Partial<AppleIdTokenClaims>>();
  const tokenRequests: AppleTokenRequest[] = [];
  const revokedTokens: string[] = [];

  function mintIdToken(claims: Partial<AppleIdTokenClaims> = {}, opts: { signWithForeignKey?: boolean } = {}) {
    const now = nowInSeconds();
    const defaults = { iss: APPLE_ORIGIN, aud: defaultClientId, sub: randomAppleSubject(), iat: now, exp: now + 600, auth_time: now, nonce_supported: true };
    return signingKey.sign({ ...defaults, ...claims }, opts);
  }

  async function issueTokens(req: IncomingMessage, res: ServerResponse) {
    const form = await readForm(req);
    const request: AppleTokenRequest = {
      grantType: form.get('grant_type'),
      clientId: form.get('client_id'),
      clientSecret: form.get('client_secret'),
      code: form.get('code'),
      refreshToken: form.get('refresh_token'),
      redirectUri: form.get('redirect_uri'),
    };
    tokenRequests.push(request);

    if (!request.clientId || !clientIds.includes(request.clientId) || !isClientSecretFor(request.clientId, request.clientSecret)) {
      return sendJson(res, 400, { error: 'invalid_client' });
    }
    if (request.grantType === 'authorization_code') {
      const claims = request.code ? pendingCodes.get(request.code) : undefined;
      if (!request.code || !claims) return sendJson(res, 400, { error: 'invalid_grant', error_description: 'The code has expired or has been revoked.' });
      pendingCodes.delete(request.code);
      const refreshToken = randomToken('r.');
      refreshTokens.set(refreshToken, claims);
      return sendJson(res, 200, {
        access_token: randomToken('a.'),
        token_type: 'Bearer',
        expires_in: 3600,
        refresh_token: refreshToken,
        id_token: await mintIdToken({ aud: request.clientId, ...claims }),
      });
    }
    if (request.grantType === 'refresh_token') {
      const claims = request.refreshToken ? refreshTokens.get(request.refreshToken) : undefined;
      if (!claims) return sendJson(res, 400, { error: 'invalid_grant', error_description: 'The token has expired or has been revoked.' });
      // Apple does not rotate refresh tokens, so none is returned here.
      return sendJson(res, 200, {
        access_token: randomToken('a.'),
        token_type: 'Bearer',
        expires_in: 3600,
        id_token: await mintIdToken({ aud: request.clientId, ...claims }),
      });
    }
    sendJson(res, 400, { error: 'unsupported_grant_type' });
  }

  async function revoke(req: IncomingMessage, res: ServerResponse) {
    const form = await readForm(req);
    const clientId = form.get('client_id');
    if (!clientId || !clientIds.includes(clientId) || !isClientSecretFor(clientId, form.get('client_secret'))) {
      return sendJson(res, 400, { error: 'invalid_client' });
    }
    const token = form.get('token') ?? '';
    revokedTokens.push(token);
    refreshTokens.delete(token);
    res.writeHead(200).end();
  }

  const server = await startHttpServer(async (req, res, url) => {
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /auth/keys') return sendJson(res, 200, { keys: [signingKey.publicJwk] });
    if (route === 'POST /auth/token') return issueTokens(req, res);
    if (route === 'POST /auth/revoke') return revoke(req, res);
    sendJson(res, 404, { error: 'not_found', path: url.pathname });
  });

  return {
    url: server.url,
    kid: signingKey.kid,
    tokenRequests,
    revokedTokens,
    mintIdToken,
    registerAuthCode: (code, claims = {}) => void pendingCodes.set(code, claims),
    stop: server.stop,
  };
}

/** A fetch for apple-signin-auth's `_setFetch` that sends its appleid.apple.com requests to `baseUrl`. */
export function appleFetchRedirectingTo(baseUrl: string): typeof fetch {
  return (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!url.startsWith(APPLE_ORIGIN)) return fetch(input, init);
    const redirected = baseUrl + url.slice(APPLE_ORIGIN.length);
    return fetch(input instanceof Request ? new Request(redirected, input) : redirected, init);
  };
}

// The real client_secret is an ES256 JWT signed with the developer's key, which the fake cannot
// check; requiring a JWT whose subject is the client id still catches a wrongly built secret.
function isClientSecretFor(clientId: string, clientSecret: string | null): boolean {
  if (!clientSecret) return false;
  try {
    return decodeJwt(clientSecret).sub === clientId;
  } catch {
    return false;
  }
}

function randomAppleSubject(): string {
  // Apple subjects look like "001234.0123456789abcdef0123456789abcdef.0123".
  const digits = (length: number) => Array.from(randomBytes(length), (byte) => byte % 10).join('');
  return `${digits(6)}.${randomBytes(16).toString('hex')}.${digits(4)}`;
}
