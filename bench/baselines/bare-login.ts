/**
 * Baseline for (c), like with like: the least a password grant with Gatehouse's guarantees does,
 * on bare Koa and node-postgres, with nothing else around it. Per request:
 * 1. one statement reserves the attempt on the account's and the IP's counters (before the
 *    password is checked, so parallel guesses are bounded) and reads the account's hash;
 * 2. one argon2id verification, with Gatehouse's parameters and concurrency bound
 *    (verifyPassword of src/platform/crypto/passwords.ts);
 * 3. an ES256 access token and an RS256 ID token signed on the libuv pool (node:crypto, as
 *    src/oauth/keys/local-signing-key.ts signs), while one statement settles both counters,
 *    records the attempt and stores the grant and its refresh token, committed before the answer.
 * No client authentication, no scope or claim rules, no events, no error handling beyond the
 * limiter's refusal: what it costs is a floor under the issue's own list for the password grant
 * (issue 14 item 2), measured the same way as Gatehouse (16 connections, the server's CPU and the
 * PostgreSQL cluster's from /proc).
 *
 * Environment: PORT, DATABASE_URL (an empty database of the bench's cluster), PASSWORD, USERS (how
 * many accounts: bench-login-<n>@example.com, all with PASSWORD).
 */
import { generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import Koa from 'koa';
import pg from 'pg';
import { hashPassword, verifyPassword } from '../../src/platform/crypto/passwords.js';

const port = Number(process.env.PORT);
const password = process.env.PASSWORD ?? 'correct horse battery staple';
const users = Number(process.env.USERS ?? 16);
const issuer = `http://127.0.0.1:${port}`;
const signOnPool = promisify(sign);

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
await pool.query(
  `create table if not exists login_counter (key text primary key, points integer not null default 0, pending integer not null default 0, expire bigint not null)`,
);
await pool.query(`create table if not exists login_account (id uuid primary key, email text not null unique, password_hash text not null)`);
await pool.query(
  `create table if not exists login_attempt (id bigserial primary key, account_id uuid, ip text not null, succeeded boolean not null, at timestamptz not null default now())`,
);
await pool.query(
  `create table if not exists login_token (id text primary key, kind text not null, grant_id text not null, payload jsonb not null, expires_at timestamptz not null)`,
);
await pool.query('create index if not exists login_token_grant_id on login_token (grant_id)');
for (let index = 0; index < users; index += 1) {
  await pool.query('insert into login_account (id, email, password_hash) values ($1, $2, $3) on conflict (email) do nothing', [
    randomUUID(),
    `bench-login-${index}@example.com`,
    await hashPassword(password),
  ]);
}

const accessKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const idTokenKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
async function jwt(alg: 'ES256' | 'RS256', key: KeyObject, claims: Record<string, unknown>) {
  const input = `${encode({ alg, typ: 'JWT', kid: alg })}.${encode(claims)}`;
  const signature =
    alg === 'ES256' ? await signOnPool('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }) : await signOnPool('sha256', Buffer.from(input), key);
  return `${input}.${signature.toString('base64url')}`;
}

const WINDOW_MS = 15 * 60 * 1000;
const ALLOWANCE = { id: 5, ip: 100 };

const app = new Koa();
app.use(async (ctx) => {
  if (ctx.path === '/healthz') {
    ctx.body = { status: 'ok' };
    return;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
  const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  const email = form.get('username') ?? '';
  const idKey = `login:id:${email}`;
  const ipKey = `login:ip:${ctx.ip}`;
  const now = Date.now();
  const reserved = await pool.query<{
    counters: Array<{ key: string; points: number; pending: number }>;
    account: { id: string; password_hash: string } | null;
  }>({
    name: 'reserve',
    text: `with counters as (
             insert into login_counter (key, points, pending, expire) values ($1, 0, 1, $3), ($2, 0, 1, $3)
             on conflict (key) do update set pending = login_counter.pending + 1
             returning key, points, pending)
           select (select json_agg(counters) from counters) as counters,
                  (select row_to_json(a) from (select id, password_hash from login_account where email = $4) a) as account`,
    // 'login:id:…' sorts before 'login:ip:…': rows are locked in one order here and when settled.
    values: [idKey, ipKey, now + WINDOW_MS, email],
  });
  const { counters, account } = reserved.rows[0]!;
  if (counters.some((row) => row.points + row.pending > (row.key === idKey ? ALLOWANCE.id : ALLOWANCE.ip))) {
    await pool.query({
      name: 'refund',
      text: `with first as (update login_counter set pending = greatest(pending - 1, 0) where key = $1 returning 1)
             update login_counter set pending = greatest(pending - 1, 0) where key = $2 and (select count(*) from first) >= 0`,
      values: [idKey, ipKey],
    });
    ctx.status = 429;
    ctx.body = { error: 'slow_down' };
    return;
  }
  if (!account || !(await verifyPassword(account.password_hash, form.get('password') ?? ''))) {
    await pool.query({
      name: 'fail',
      text: `with first as (update login_counter set points = points + 1, pending = greatest(pending - 1, 0) where key = $1 returning 1),
                  second as (update login_counter set points = points + 1, pending = greatest(pending - 1, 0) where key = $2 and (select count(*) from first) >= 0 returning 1)
             insert into login_attempt (account_id, ip, succeeded) select $3, $4, false where (select count(*) from second) >= 0`,
      values: [idKey, ipKey, account?.id ?? null, ctx.ip],
    });
    ctx.status = 400;
    ctx.body = { error: 'invalid_grant' };
    return;
  }
  const iat = Math.floor(now / 1000);
  const grantId = randomBytes(32).toString('base64url');
  const refreshToken = randomBytes(32).toString('base64url');
  const scope = form.get('scope') ?? 'openid';
  const [, accessToken, idToken] = await Promise.all([
    pool.query({
      name: 'store',
      text: `with cleared as (update login_counter set points = 0, pending = greatest(pending - 1, 0) where key = $1 returning 1),
                  refunded as (update login_counter set pending = greatest(pending - 1, 0) where key = $2 and (select count(*) from cleared) >= 0 returning 1),
                  attempt as (insert into login_attempt (account_id, ip, succeeded) values ($3, $4, true)),
                  grant_row as (insert into login_token (id, kind, grant_id, payload, expires_at) values ($5, 'Grant', $5, $6, now() + interval '14 days')),
                  refresh_row as (insert into login_token (id, kind, grant_id, payload, expires_at) values ($7, 'RefreshToken', $5, $8, now() + interval '14 days'))
             select (select count(*) from refunded) as settled`,
      values: [
        idKey,
        ipKey,
        account.id,
        ctx.ip,
        grantId,
        { accountId: account.id, clientId: 'bench', openid: { scope }, iat },
        refreshToken,
        { accountId: account.id, clientId: 'bench', grantId, scope, iat, exp: iat + 14 * 86400 },
      ],
    }),
    jwt('ES256', accessKey, { iss: issuer, sub: account.id, aud: `${issuer}/api`, client_id: 'bench', scope, iat, exp: iat + 3600, jti: randomUUID() }),
    jwt('RS256', idTokenKey, { iss: issuer, sub: account.id, aud: 'bench', iat, exp: iat + 3600, auth_time: iat, email, email_verified: true }),
  ]);
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { access_token: accessToken, token_type: 'Bearer', expires_in: 3600, refresh_token: refreshToken, id_token: idToken, scope };
});
app.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
