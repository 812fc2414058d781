/**
 * Baseline for (d): a bare Koa route that only verifies a Gatehouse access token with jose, with
 * the checks Gatehouse's verifier makes (src/oauth/access-tokens.ts: signature against the
 * published keys, issuer, audience, typ at+jwt, algorithm allow-list, required claims) and
 * nothing else: no revocation check, no database, no middleware. Run as a child process.
 *
 * Environment: PORT, ISSUER, AUDIENCE, JWKS (the JSON of Gatehouse's /oauth/jwks).
 */
import Koa from 'koa';
import { createLocalJWKSet, jwtVerify } from 'jose';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const keySet = createLocalJWKSet(JSON.parse(env('JWKS')));
const issuer = env('ISSUER');
const audience = env('AUDIENCE');

const app = new Koa();
app.use(async (ctx) => {
  if (ctx.path === '/healthz') {
    ctx.body = { status: 'ok' };
    return;
  }
  const match = /^bearer +(\S+)$/i.exec(ctx.get('authorization'));
  if (!match) {
    ctx.status = 401;
    return;
  }
  try {
    const { payload } = await jwtVerify(match[1]!, keySet, {
      issuer,
      audience,
      algorithms: ['RS256', 'ES256'],
      typ: 'at+jwt',
      requiredClaims: ['exp', 'iat', 'jti', 'sub', 'client_id'],
      clockTolerance: 5,
    });
    ctx.body = { sub: payload.sub };
  } catch {
    ctx.status = 401;
  }
});
app.listen(Number(env('PORT')), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
