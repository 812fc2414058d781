import type { EntityManager } from '@mikro-orm/postgresql';
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { Orm } from '../platform/db/orm.js';
import type { ClientMetadataCache } from './clients/cache.js';
import { decrypt, deriveKey, encrypt, sha256 } from '../platform/crypto/secrets.js';

/**
 * Access tokens (and client-credentials tokens) are JWTs that oidc-provider never stores, so a
 * lookup of those models can only miss: answer without a query. oidc-provider tries them first
 * when introspecting or revoking an opaque (refresh) token.
 */
const NEVER_STORED = new Set(['AccessToken', 'ClientCredentials']);

/**
 * Every stored model is kept under the SHA-256 of its id (and of its uid and user code): the id of
 * a code, refresh token, session, interaction or device code is the bearer credential itself, so
 * a database dump must yield none of them. Clients are the exception: their id is public.
 */
export function storedModelId(model: string, id: string): string {
  return model === 'Client' ? id : sha256(id);
}

/** Models whose single use decides who gets tokens: losing the race is reuse (RFC 9700 §4.14). */
const GRANT_SOURCES = new Set(['AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

export interface AdapterOptions {
  orm: Orm;
  clients: ClientMetadataCache;
  /** How long a revoked grant must be remembered: the longest access-token lifetime. */
  accessTokenTtlSeconds: number;
  /** GATEHOUSE_SECRET: seals the ids that lookups by uid or user code must give back. */
  secret: string;
}

type Row = { payload: AdapterPayload; consumed_at: Date | null; sealed_id: string | null };

/**
 * Revokes a whole grant (RFC 6749 §4.1.2, RFC 9700 §4.14.2): every stored model of it, the grant
 * itself, and — since JWT access tokens are not rows — a record that resource servers and
 * introspection consult until the last of its access tokens would have expired.
 */
export async function revokeGrantEverywhere(orm: Orm, grantId: string, rememberSeconds: number): Promise<void> {
  const connection = (orm.em.fork() as EntityManager).getConnection();
  await connection.execute(
    `with remembered as (
       insert into revoked_token (kind, value, expires_at) values ('grant', ?, ?)
       on conflict (kind, value) do update set expires_at = greatest(revoked_token.expires_at, excluded.expires_at)
     )
     delete from oidc_model where grant_id = ?`,
    [grantId, new Date(Date.now() + rememberSeconds * 1000), grantId],
    'run',
  );
}

/**
 * Builds the oidc-provider adapter class: every model in the single `oidc_model` table, clients
 * from `oauth_client`. Each call forks its own EntityManager because the provider's internal
 * calls run outside any Koa request context.
 */
export function createAdapterClass(options: AdapterOptions) {
  const { orm } = options;
  const sealKey = deriveKey(options.secret, 'oidc-model-ids');

  const run = async <T>(sql: string, params: unknown[]): Promise<T[]> => {
    const em = orm.em.fork() as EntityManager;
    return em.getConnection().execute<T[]>(sql, params as never[]);
  };

  const toPayload = (model: string, row: Row | undefined, presentedId?: string): AdapterPayload | undefined => {
    if (!row) return undefined;
    // The id and user code are not in the stored payload: a lookup by uid or user code gets
    // them back from their sealed copy; a lookup by id knows the id.
    const sealed = row.sealed_id ? (JSON.parse(decrypt(sealKey, row.sealed_id, model)) as { jti: string; userCode?: string }) : undefined;
    const jti = presentedId ?? sealed?.jti;
    const payload: AdapterPayload = { ...row.payload, ...(jti ? { jti } : {}), ...(sealed?.userCode ? { userCode: sealed.userCode } : {}) };
    return row.consumed_at ? { ...payload, consumed: Math.floor(new Date(row.consumed_at).getTime() / 1000) } : payload;
  };

  const findBy = async (model: string, column: 'id' | 'uid' | 'user_code', value: string, presentedId?: string) => {
    const [row] = await run<Row>(
      `select payload, consumed_at, sealed_id from oidc_model
        where model = ? and ${column} = ? and (expires_at is null or expires_at > now()) limit 1`,
      [model, storedModelId(model, value)],
    );
    return toPayload(model, row, presentedId);
  };

  /** The payload as stored: no credential in it (id and user code sealed apart; the interaction's copy of the session id hashed). */
  const storedPayload = (payload: AdapterPayload): AdapterPayload => {
    const { jti: _jti, userCode: _userCode, ...rest } = payload;
    const session = rest.session as { cookie?: string } | undefined;
    if (session?.cookie) rest.session = { ...session, cookie: sha256(session.cookie) } as AdapterPayload['session'];
    return rest;
  };

  return class PostgresAdapter implements Adapter {
    constructor(private readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const expiresAt = expiresIn ? new Date(Date.now() + expiresIn * 1000) : null;
      const needsSealedId = Boolean(payload.uid || payload.userCode);
      await run(
        `insert into oidc_model (model, id, payload, grant_id, uid, user_code, expires_at, sealed_id)
         values (?, ?, ?::jsonb, ?, ?, ?, ?, ?)
         on conflict (model, id) do update set payload = excluded.payload, grant_id = excluded.grant_id,
           uid = excluded.uid, user_code = excluded.user_code, expires_at = excluded.expires_at, sealed_id = excluded.sealed_id`,
        [
          this.model,
          storedModelId(this.model, id),
          JSON.stringify(storedPayload(payload)),
          // A grant row carries its own id here: revocations and account deletion find grants by it
          // (a grant id alone yields no token; it is the `gid` claim of every access token).
          payload.grantId ?? (this.model === 'Grant' ? id : null),
          payload.uid ? storedModelId(this.model, payload.uid) : null,
          payload.userCode ? storedModelId(this.model, payload.userCode) : null,
          expiresAt,
          needsSealedId ? encrypt(sealKey, JSON.stringify({ jti: id, userCode: payload.userCode }), this.model) : null,
        ],
      );
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Client') return (await options.clients.get(id)) as AdapterPayload | undefined;
      if (NEVER_STORED.has(this.model)) return undefined;
      return findBy(this.model, 'id', id, id);
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return findBy(this.model, 'uid', uid);
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return findBy(this.model, 'user_code', userCode);
    }

    /**
     * Single use as one conditional statement: of any number of concurrent redemptions, across
     * instances, exactly one updates the row. oidc-provider checks `consumed` on what it read
     * earlier and ignores this method's result, so the loser is refused here: for a code or a
     * refresh token that is reuse, and the whole grant goes (RFC 9700 §4.14, RFC 6749 §4.1.2).
     */
    async consume(id: string): Promise<void> {
      const storedId = storedModelId(this.model, id);
      const won = await run<{ grant_id: string | null }>(
        'update oidc_model set consumed_at = now() where model = ? and id = ? and consumed_at is null returning grant_id',
        [this.model, storedId],
      );
      if (won.length === 1) return;
      if (!GRANT_SOURCES.has(this.model)) throw new errors.InvalidRequestUri('request_uri already used');
      const [lost] = await run<{ grant_id: string | null }>('select grant_id from oidc_model where model = ? and id = ?', [this.model, storedId]);
      if (lost?.grant_id) await revokeGrantEverywhere(orm, lost.grant_id, options.accessTokenTtlSeconds);
      throw new errors.InvalidGrant('grant already used');
    }

    async destroy(id: string): Promise<void> {
      await run('delete from oidc_model where model = ? and id = ?', [this.model, storedModelId(this.model, id)]);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      // JWT access tokens of the grant are not rows here: remember the grant as revoked until
      // the last of them would have expired, so introspection and resource servers refuse them.
      await run(
        `with remembered as (
           insert into revoked_token (kind, value, expires_at) values ('grant', ?, ?)
           on conflict (kind, value) do update set expires_at = greatest(revoked_token.expires_at, excluded.expires_at)
         )
         delete from oidc_model where grant_id = ? and model <> 'Grant'`,
        [grantId, new Date(Date.now() + options.accessTokenTtlSeconds * 1000), grantId],
      );
    }
  };
}

/** Deletes expired provider rows and revocation records; safe to run on every instance. */
export async function purgeExpired(orm: Orm): Promise<{ models: number; revocations: number }> {
  const em = orm.em.fork() as EntityManager;
  const connection = em.getConnection();
  const models = await connection.execute<{ affectedRows: number }>('delete from oidc_model where expires_at < now()', [], 'run');
  const revocations = await connection.execute<{ affectedRows: number }>('delete from revoked_token where expires_at < now()', [], 'run');
  await connection.execute('delete from rate_limit where expire < ?', [Date.now()], 'run');
  await connection.execute('delete from replay_guard where expires_at < now()', [], 'run');
  return { models: models.affectedRows, revocations: revocations.affectedRows };
}
