/**
 * Baselines for (d): a bare Koa route that verifies a Gatehouse access token with jose, with the
 * checks Gatehouse's verifier makes (src/oauth/callers/access-tokens.ts: signature against the
 * published keys, issuer, audience, typ at+jwt, algorithm allow-list, required claims) and, with
 * DATABASE_URL, one prepared read of the customer the token names — the same row and public meta
 * that user info returns — answered as JSON. No revocation check, no middleware, no validation
 * beyond that: what "verify, read, answer" costs. Run as a child process.
 *
 * With VERIFIER=fast-jwt the token is checked by Gatehouse's own verifier instead (fast-jwt on the
 * calling thread, createAccessTokenVerifier), so (d) can be compared with a baseline that verifies
 * the way Gatehouse does as well as with the jose one the issue defines.
 *
 * Environment: PORT, ISSUER, AUDIENCE, JWKS (the JSON of Gatehouse's /oauth/jwks), DATABASE_URL (optional), VERIFIER (jose | fast-jwt).
 */
import Koa from 'koa';
import { createLocalJWKSet, jwtVerify } from 'jose';
import pg from 'pg';
import { createAccessTokenVerifier } from '../../src/oauth/callers/access-tokens.js';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const jwks = JSON.parse(env('JWKS'));
const keySet = createLocalJWKSet(jwks);
const issuer = env('ISSUER');
const audience = env('AUDIENCE');
const gatehouseVerifier = process.env.VERIFIER === 'fast-jwt' ? createAccessTokenVerifier({ issuer, audience, publicJwks: () => jwks }) : undefined;

/** The subject of a valid access token, by the verifier chosen. */
async function verifiedSubject(token: string): Promise<string> {
  if (gatehouseVerifier) return (await gatehouseVerifier(token)).sub;
  const { payload } = await jwtVerify(token, keySet, {
    issuer,
    audience,
    algorithms: ['RS256', 'ES256', 'EdDSA'],
    typ: 'at+jwt',
    requiredClaims: ['exp', 'iat', 'jti', 'sub', 'client_id'],
    clockTolerance: 5,
  });
  return payload.sub!;
}
const pool = process.env.DATABASE_URL ? new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 }) : undefined;

const READ_CUSTOMER = {
  name: 'read-customer',
  text: `select c.id, c.email, c.email_verified_at, c.phone_number, c.first_name, c.last_name, c.locale, c.created_at,
                (select json_object_agg(m.key, m.value) from user_meta m where m.customer_id = c.id and m.is_public) as public_meta
           from customer c
          where c.id = $1 and c.deactivated_at is null and c.anonymized_at is null`,
};

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
  let subject: string;
  try {
    subject = await verifiedSubject(match[1]!);
  } catch {
    ctx.status = 401;
    return;
  }
  if (!pool) {
    ctx.body = { sub: subject };
    return;
  }
  const { rows } = await pool.query({ ...READ_CUSTOMER, values: [subject] });
  if (!rows[0]) {
    ctx.status = 404;
    return;
  }
  ctx.body = { status: 'ok', user: rows[0] };
});
app.listen(Number(env('PORT')), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
