/**
 * The smallest PostgreSQL adapter oidc-provider can run on, for the bare-provider baseline: one
 * table, one prepared statement per method, a pool of 10 connections (Gatehouse's default
 * DATABASE_POOL_MAX). It is what "oidc-provider on PostgreSQL" costs before anything Gatehouse
 * adds: no hashed ids, no sealed uids, no atomic single use (consume is an unconditional update,
 * so it would let two concurrent redemptions both win), no grant-revocation records.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';
import pg from 'pg';

export async function createMinimalPostgresAdapter(databaseUrl: string) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  await pool.query(`
    create table if not exists bare_oidc_model (
      model text not null,
      id text not null,
      payload jsonb not null,
      grant_id text,
      uid text,
      user_code text,
      expires_at timestamptz,
      primary key (model, id)
    )`);
  await pool.query('create index if not exists bare_oidc_model_grant_id on bare_oidc_model (grant_id)');
  await pool.query('create index if not exists bare_oidc_model_uid on bare_oidc_model (uid)');

  const one = async (name: string, text: string, values: unknown[]) => {
    const { rows } = await pool.query<{ payload: AdapterPayload }>({ name, text, values });
    return rows[0]?.payload;
  };

  return class MinimalPostgresAdapter implements Adapter {
    constructor(private readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number) {
      await pool.query({
        name: 'upsert',
        text: `insert into bare_oidc_model (model, id, payload, grant_id, uid, user_code, expires_at)
               values ($1, $2, $3, $4, $5, $6, $7)
               on conflict (model, id) do update set payload = excluded.payload, grant_id = excluded.grant_id,
                 uid = excluded.uid, user_code = excluded.user_code, expires_at = excluded.expires_at`,
        values: [
          this.model,
          id,
          payload,
          payload.grantId ?? null,
          payload.uid ?? null,
          payload.userCode ?? null,
          expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
        ],
      });
    }

    find(id: string) {
      return one('find', 'select payload from bare_oidc_model where model = $1 and id = $2', [this.model, id]);
    }

    findByUid(uid: string) {
      return one('find-by-uid', 'select payload from bare_oidc_model where model = $1 and uid = $2', [this.model, uid]);
    }

    findByUserCode(userCode: string) {
      return one('find-by-user-code', 'select payload from bare_oidc_model where model = $1 and user_code = $2', [this.model, userCode]);
    }

    async consume(id: string) {
      await pool.query({
        name: 'consume',
        text: `update bare_oidc_model set payload = payload || jsonb_build_object('consumed', floor(extract(epoch from now()))::int)
                where model = $1 and id = $2`,
        values: [this.model, id],
      });
    }

    async destroy(id: string) {
      await pool.query({ name: 'destroy', text: 'delete from bare_oidc_model where model = $1 and id = $2', values: [this.model, id] });
    }

    async revokeByGrantId(grantId: string) {
      await pool.query({ name: 'revoke-by-grant', text: 'delete from bare_oidc_model where grant_id = $1', values: [grantId] });
    }
  };
}
