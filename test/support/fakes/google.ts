/**
 * Fake Google Sign-In: publishes signing keys and exchanges authorization codes.
 *
 * Point google-auth-library at it with:
 *
 *   new OAuth2Client({
 *     clientId, clientSecret, redirectUri,
 *     endpoints: {
 *       oauth2FederatedSignonPemCertsUrl: `${fake.url}/oauth2/v1/certs`, // what verifyIdToken fetches under Node
 *       oauth2FederatedSignonJwkCertsUrl: `${fake.url}/oauth2/v3/certs`, // only fetched when window.crypto exists
 *       oauth2TokenUrl: `${fake.url}/token`,                             // what getToken(code) posts to
 *     },
 *   });
 *
 * Leave `issuers` at the library default: tokens carry the real issuer https://accounts.google.com.
 *
 * Under Node the library always picks the PEM endpoint (the JWK one is browser-only) and hands each
 * value to node:crypto's createVerify().verify(), which accepts a bare SPKI public key as readily as
 * an X.509 certificate, so /oauth2/v1/certs serves public keys rather than self-signed certificates.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomInt } from 'node:crypto';
import { readForm, sendJson, startHttpServer } from './http-server.js';
import { createRs256SigningKey, nowInSeconds, randomToken } from './signing-key.js';

export const GOOGLE_ISSUER = 'https://accounts.google.com';

export interface GoogleIdTokenClaims {
  sub: string;
  email: string;
  email_verified: boolean;
  aud: string;
  iss: string;
  exp: number;
  iat: number;
  nonce: string;
  name: string;
  given_name: string;
  family_name: string;
}

export interface GoogleTokenRequest {
  grantType: string | null;
  code: string | null;
  clientId: string | null;
  clientSecret: string | null;
  redirectUri: string | null;
  codeVerifier: string | null;
}

export interface FakeGoogle {
  url: string;
  kid: string;
  /** Every POST /token received, in order, so tests can assert on redirect_uri, secrets, PKCE... */
  tokenRequests: GoogleTokenRequest[];
  mintIdToken(claims?: Partial<GoogleIdTokenClaims>, opts?: { signWithForeignKey?: boolean }): Promise<string>;
  /** Makes `code` redeemable once at POST /token; the issued id_token carries `claims`. */
  registerAuthCode(code: string, claims?: Partial<GoogleIdTokenClaims>): void;
  stop(): Promise<void>;
}

export async function startFakeGoogle({ clientIds }: { clientIds: string[] }): Promise<FakeGoogle> {
  const defaultClientId = clientIds[0];
  if (!defaultClientId) throw new Error('startFakeGoogle needs at least one client id');
  const signingKey = await createRs256SigningKey();
  const pendingCodes = new Map<string, Partial<GoogleIdTokenClaims>>();
  const tokenRequests: GoogleTokenRequest[] = [];

  function mintIdToken(claims: Partial<GoogleIdTokenClaims> = {}, opts: { signWithForeignKey?: boolean } = {}) {
    const now = nowInSeconds();
    const aud = claims.aud ?? defaultClientId;
    return signingKey.sign({ iss: GOOGLE_ISSUER, azp: aud, aud, sub: randomGoogleSubject(), iat: now, exp: now + 3600, ...claims }, opts);
  }

  async function exchangeCode(req: IncomingMessage, res: ServerResponse) {
    const form = await readForm(req);
    const request: GoogleTokenRequest = {
      grantType: form.get('grant_type'),
      code: form.get('code'),
      clientId: form.get('client_id'),
      clientSecret: form.get('client_secret'),
      redirectUri: form.get('redirect_uri'),
      codeVerifier: form.get('code_verifier'),
    };
    tokenRequests.push(request);

    if (request.grantType !== 'authorization_code') {
      return sendJson(res, 400, { error: 'unsupported_grant_type', error_description: `Invalid grant_type: ${request.grantType ?? ''}` });
    }
    if (!request.clientId || !clientIds.includes(request.clientId)) {
      return sendJson(res, 401, { error: 'invalid_client', error_description: 'The OAuth client was not found.' });
    }
    const claims = request.code ? pendingCodes.get(request.code) : undefined;
    if (!request.code || !claims) {
      return sendJson(res, 400, { error: 'invalid_grant', error_description: 'Malformed auth code.' });
    }
    pendingCodes.delete(request.code);
    sendJson(res, 200, {
      access_token: randomToken('ya29.'),
      id_token: await mintIdToken({ aud: request.clientId, ...claims }),
      expires_in: 3599,
      token_type: 'Bearer',
      scope: 'openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile',
    });
  }

  const server = await startHttpServer(async (req, res, url) => {
    const route = `${req.method} ${url.pathname}`;
    // No Cache-Control max-age: the library would then keep serving a cached key set, and a client
    // shared across tests would reject tokens from a fake restarted with a new kid.
    if (route === 'GET /oauth2/v3/certs') return sendJson(res, 200, { keys: [signingKey.publicJwk] });
    if (route === 'GET /oauth2/v1/certs') return sendJson(res, 200, { [signingKey.kid]: signingKey.publicPem });
    if (route === 'POST /token') return exchangeCode(req, res);
    sendJson(res, 404, { error: 'not_found', path: url.pathname });
  });

  return {
    url: server.url,
    kid: signingKey.kid,
    tokenRequests,
    mintIdToken,
    registerAuthCode: (code, claims = {}) => void pendingCodes.set(code, claims),
    stop: server.stop,
  };
}

function randomGoogleSubject(): string {
  // Google subjects are opaque decimal strings of about 21 digits.
  let digits = '1';
  while (digits.length < 21) digits += String(randomInt(10));
  return digits;
}
