import type { EntityManager } from '@mikro-orm/postgresql';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Orm } from '../db/orm.js';
import type { ClientMetadataCache } from '../clients/cache.js';
import { sha256 } from '../crypto/secrets.js';

/**
 * Access tokens (and client-credentials tokens) are JWTs that oidc-provider never stores, so a
 * lookup of those models can only miss: answer without a query. oidc-provider tries them first
 * when introspecting or revoking an opaque (refresh) token.
 */
const NEVER_STORED = new Set(['AccessToken', 'ClientCredentials']);

/**
 * Models whose id is the bearer credential itself (the code or refresh token a client presents):
 * only its SHA-256 is stored, and the payload's copy of it is dropped, so a database dump yields
 * no usable code or refresh token. Lookups hash what is presented.
 */
const HASHED_ID_MODELS = new Set(['AuthorizationCode', 'RefreshToken']);

export function storedModelId(model: string, id: string): string {
  return HASHED_ID_MODELS.has(model) ? sha256(id) : id;
}

export interface AdapterOptions {
  orm: Orm;
  clients: ClientMetadataCache;
  /** How long a revoked grant must be remembered: the longest access-token lifetime. */
  accessTokenTtlSeconds: number;
}

/**
 * Builds the oidc-provider adapter class: every model in the single `oidc_model` table, clients
 * from `oauth_client`. Each call forks its own EntityManager because the provider's internal
 * calls run outside any Koa request context.
 */
export function createAdapterClass(options: AdapterOptions) {
  const { orm } = options;

  const run = async <T>(sql: string, params: unknown[]): Promise<T[]> => {
    const em = orm.em.fork() as EntityManager;
    return em.getConnection().execute<T[]>(sql, params as never[]);
  };

  const toPayload = (row: { payload: AdapterPayload; consumed_at: Date | null } | undefined): AdapterPayload | undefined => {
    if (!row) return undefined;
    return row.consumed_at ? { ...row.payload, consumed: Math.floor(new Date(row.consumed_at).getTime() / 1000) } : row.payload;
  };

  const findBy = async (model: string, column: 'id' | 'uid' | 'user_code', value: string) => {
    const [row] = await run<{ payload: AdapterPayload; consumed_at: Date | null }>(
      `select payload, consumed_at from oidc_model
        where model = ? and ${column} = ? and (expires_at is null or expires_at > now()) limit 1`,
      [model, value],
    );
    return toPayload(row);
  };

  return class PostgresAdapter implements Adapter {
    constructor(private readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const hashed = HASHED_ID_MODELS.has(this.model);
      const stored = hashed ? { ...payload, jti: undefined } : payload;
      const expiresAt = expiresIn ? new Date(Date.now() + expiresIn * 1000) : null;
      await run(
        `insert into oidc_model (model, id, payload, grant_id, uid, user_code, expires_at)
         values (?, ?, ?::jsonb, ?, ?, ?, ?)
         on conflict (model, id) do update set payload = excluded.payload, grant_id = excluded.grant_id,
           uid = excluded.uid, user_code = excluded.user_code, expires_at = excluded.expires_at`,
        [this.model, storedModelId(this.model, id), JSON.stringify(stored), payload.grantId ?? null, payload.uid ?? null, payload.userCode ?? null, expiresAt],
      );
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Client') return (await options.clients.get(id)) as AdapterPayload | undefined;
      if (NEVER_STORED.has(this.model)) return undefined;
      const found = await findBy(this.model, 'id', storedModelId(this.model, id));
      return found && HASHED_ID_MODELS.has(this.model) ? { ...found, jti: id } : found;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return findBy(this.model, 'uid', uid);
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return findBy(this.model, 'user_code', userCode);
    }

    async consume(id: string): Promise<void> {
      await run('update oidc_model set consumed_at = now() where model = ? and id = ?', [this.model, storedModelId(this.model, id)]);
    }

    async destroy(id: string): Promise<void> {
      await run('delete from oidc_model where model = ? and id = ?', [this.model, storedModelId(this.model, id)]);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      // JWT access tokens of the grant are not rows here: remember the grant as revoked until
      // the last of them would have expired, so introspection and resource servers refuse them.
      await run(
        `insert into revoked_token (kind, value, expires_at) values ('grant', ?, ?)
         on conflict (kind, value) do update set expires_at = excluded.expires_at`,
        [grantId, new Date(Date.now() + options.accessTokenTtlSeconds * 1000)],
      );
      await run('delete from oidc_model where grant_id = ?', [grantId]);
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
  return { models: models.affectedRows, revocations: revocations.affectedRows };
}
