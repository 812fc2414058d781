import { AsyncLocalStorage } from 'node:async_hooks';
import type { EntityManager } from '@mikro-orm/postgresql';
import Provider, { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import { poolConnection, type Orm } from '../platform/db/orm.js';
import type { ClientMetadataCache } from './clients/cache.js';
import { decrypt, deriveKey, encrypt, sha256 } from '../platform/crypto/secrets.js';
import { preparedStatement, queryPreparedOnPool, queryPreparedText, type PreparedStatement } from '../platform/db/prepared.js';
import { withLeadingWrites, type DeferredWrite } from '../platform/db/companion-writes.js';
import { noteReplicatedWrite } from '../platform/db/read-replica.js';
import {
  CUSTOMER_SUMMARY_COLUMNS,
  customerSummaryFromRow,
  USABLE_CUSTOMER,
  type CustomerSummary,
  type CustomerSummaryRow,
} from '../identity/customers/read-model.js';

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
 * What one token request has already read or still owes the database (issue 14 item 1). A refresh
 * rotation is find refresh token → find grant → find account → consume → save the new token; the
 * grant and the account come back with the refresh token (one statement), and the consumption is
 * written with the new token (one statement, one commit), so a rotation is two statements in all.
 */
interface RequestState {
  /** Grant payloads read together with a refresh token, by grant id. */
  grants: Map<string, AdapterPayload>;
  /** The account of a refresh token read with it, by customer id (null: gone or deactivated). */
  accounts: Map<string, CustomerSummary | null>;
  /** A refresh token whose consumption travels with the insert of its successor. */
  pendingConsume?: string;
}

/**
 * Kept on the request's own context, not in a module-level WeakMap keyed by it: V8's young-generation
 * collections keep a WeakMap's entries alive until the next full collection, so every rotation's
 * rows were promoted to the old generation as garbage (README, Benchmarks, Memory).
 */
const REQUEST_STATE = Symbol('gatehouse adapter request state');
type WithRequestState = { [REQUEST_STATE]?: RequestState };

/**
 * The state of the oidc-provider request this call belongs to (`Provider.ctx`, the library's
 * public AsyncLocalStorage accessor); none for calls made outside a provider request.
 */
function currentRequest(): { state: RequestState; grantType?: unknown } | undefined {
  const ctx = Provider.ctx;
  if (!ctx) return undefined;
  const holder = ctx as unknown as WithRequestState;
  let state = holder[REQUEST_STATE];
  if (!state) {
    state = { grants: new Map(), accounts: new Map() };
    holder[REQUEST_STATE] = state;
  }
  return { state, grantType: ctx.oidc?.params?.grant_type };
}

/**
 * The customer a refresh token of this request named, as read with the token: undefined when
 * none was (another grant, or outside a provider request), null when the customer is not usable.
 */
export function prefetchedAccount(accountId: string): CustomerSummary | null | undefined {
  return currentRequest()?.state.accounts.get(accountId);
}

/**
 * Model writes held back to be stored together, in one multi-row statement, when the block given
 * to withBatchedModelWrites ends: issuing a customer's tokens saves a Grant and a RefreshToken
 * (issue 14 item 2). Any other adapter call inside the block stores what is held first, so a
 * read always sees the writes before it.
 */
interface ModelWriteBatch {
  rows: unknown[][];
  run?: (statement: PreparedStatement, params: unknown[]) => Promise<unknown>;
  runText?: (sql: string, bindings: unknown[]) => Promise<unknown>;
  /** Another layer's writes to store in the same statement (a sign-in's settlement, src/identity/sign-in.ts). */
  companion?: DeferredWrite;
}

const writeBatches = new AsyncLocalStorage<ModelWriteBatch>();

const UPSERT_COLUMNS = '(model, id, payload, grant_id, uid, user_code, expires_at, sealed_id)';
const UPSERT_ROW = '(?, ?, ?::jsonb, ?, ?, ?, ?::timestamptz, ?)';
const UPSERT_CONFLICT = `on conflict (model, id) do update set payload = excluded.payload, grant_id = excluded.grant_id,
  uid = excluded.uid, user_code = excluded.user_code, expires_at = excluded.expires_at, sealed_id = excluded.sealed_id`;

/** The upsert of n models in one statement, prepared once per n (a block saves a handful at most). */
const upsertStatements = new Map<number, PreparedStatement>();
function upsertOf(rowCount: number): PreparedStatement {
  let statement = upsertStatements.get(rowCount);
  if (!statement) {
    statement = preparedStatement(
      `oidc_model_upsert_${rowCount}`,
      `insert into oidc_model ${UPSERT_COLUMNS} values ${Array.from({ length: rowCount }, () => UPSERT_ROW).join(', ')} ${UPSERT_CONFLICT}`,
    );
    upsertStatements.set(rowCount, statement);
  }
  return statement;
}

async function flushBatch(batch: ModelWriteBatch): Promise<void> {
  // A model saved twice in the block is stored once, as last saved (one statement cannot upsert a row twice).
  const byKey = new Map<string, unknown[]>();
  for (const row of batch.rows.splice(0)) byKey.set(`${String(row[0])} ${String(row[1])}`, row);
  const rows = [...byKey.values()];
  if (rows.length === 0 || !batch.run) return;
  const companion = batch.companion?.claim();
  if (companion && batch.runText) {
    const { sql, bindings } = withLeadingWrites(companion, { sql: upsertOf(rows.length).knexText, bindings: rows.flat() });
    await batch.runText(sql, bindings);
    return;
  }
  await batch.run(upsertOf(rows.length), rows.flat());
}

/**
 * Runs `work` with every oidc-provider model write it makes stored in one statement at its end
 * (or earlier, when it reads). If `work` throws, nothing it held back is stored. A `companion`
 * write rides in the first of those statements; with none (or when `work` throws) it runs alone.
 */
export async function withBatchedModelWrites<T>(work: () => Promise<T>, companion?: DeferredWrite): Promise<T> {
  const batch: ModelWriteBatch = { rows: [], companion };
  let result: T;
  try {
    result = await writeBatches.run(batch, work);
    await flushBatch(batch);
  } catch (error) {
    // The work's own error is the one to report.
    await companion?.runAlone().catch(() => undefined);
    throw error;
  }
  await companion?.runAlone();
  return result;
}

/** Stores what the current batch holds before any other adapter call (reads see earlier writes). */
async function flushPending(): Promise<void> {
  const batch = writeBatches.getStore();
  if (batch?.rows.length) await flushBatch(batch);
}

/**
 * The stored id of a grant (storedModelId: base64url SHA-256) computed in SQL, so a refresh token's
 * grant row is joined on the primary key rather than found through the grant_id index, which also
 * lists every rotated-away token of the grant.
 */
const STORED_GRANT_ID_SQL = `rtrim(translate(encode(sha256(convert_to(t.grant_id, 'UTF8')), 'base64'), '+/', '-_'), '=')`;

/**
 * A refresh token and, in the same statement, what oidc-provider asks for next: its grant, and its
 * account (findAccount, for the ID token's claims and to refuse a deactivated customer). A
 * rotation is then this read and the rotating write.
 */
const FIND_REFRESH_TOKEN_WITH_GRANT = preparedStatement(
  'oidc_refresh_token_with_grant_and_account',
  `select t.payload, t.consumed_at, t.sealed_id, t.grant_id, g.payload as grant_payload,
          (select to_json(account) from (
             select ${CUSTOMER_SUMMARY_COLUMNS} from customer c
              where c.id = case when t.payload->>'accountId' ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then (t.payload->>'accountId')::uuid end
                and ${USABLE_CUSTOMER}) account) as account
     from oidc_model t
     left join oidc_model g on g.model = 'Grant' and t.grant_id is not null and g.id = ${STORED_GRANT_ID_SQL}
          and (g.expires_at is null or g.expires_at > now())
    where t.model = 'RefreshToken' and t.id = ? and (t.expires_at is null or t.expires_at > now()) limit 1`,
);

/** A model by its (hashed) id, uid or user code, one prepared statement per column. */
const findModelBy = (column: 'id' | 'uid' | 'user_code') =>
  preparedStatement(
    `oidc_model_by_${column}`,
    `select payload, consumed_at, sealed_id from oidc_model where model = ? and ${column} = ? and (expires_at is null or expires_at > now()) limit 1`,
  );
const FIND_MODEL_BY = { id: findModelBy('id'), uid: findModelBy('uid'), user_code: findModelBy('user_code') };

/** The rotated refresh token consumed by the same conditional statement that stores its successor. */
const ROTATE_REFRESH_TOKEN = preparedStatement(
  'oidc_refresh_token_rotate',
  `with spent as (
     update oidc_model set consumed_at = now()
      where model = 'RefreshToken' and id = ? and consumed_at is null
     returning grant_id
   )
   insert into oidc_model ${UPSERT_COLUMNS}
   select ?::text, ?::text, ?::jsonb, ?::text, ?::text, ?::text, ?::timestamptz, ?::text from spent
   returning id`,
);

const CONSUME_MODEL = preparedStatement(
  'oidc_model_consume',
  'update oidc_model set consumed_at = now() where model = ? and id = ? and consumed_at is null returning grant_id',
);

const DESTROY_MODEL = preparedStatement('oidc_model_destroy', 'delete from oidc_model where model = ? and id = ?');

/**
 * Revokes a whole grant (RFC 6749 §4.1.2, RFC 9700 §4.14.2): every stored model of it (the grant
 * row too, unless `keepGrantRow`: oidc-provider destroys that one itself after revokeByGrantId)
 * and, since JWT access tokens are not rows, a record that resource servers and introspection
 * consult until the last of its access tokens would have expired.
 */
export async function revokeGrantEverywhere(orm: Orm, grantId: string, rememberSeconds: number, keepGrantRow = false): Promise<void> {
  await poolConnection(orm).execute(
    `with remembered as (
       insert into revoked_token (kind, value, expires_at) values ('grant', ?, ?)
       on conflict (kind, value) do update set expires_at = greatest(revoked_token.expires_at, excluded.expires_at)
     )
     delete from oidc_model where grant_id = ?${keepGrantRow ? " and model <> 'Grant'" : ''}`,
    [grantId, new Date(Date.now() + rememberSeconds * 1000), grantId],
    'run',
  );
  noteReplicatedWrite(orm, 'revocations');
}

/**
 * Builds the oidc-provider adapter class: every model in the single `oidc_model` table, clients
 * from `oauth_client`. Its statements run on a pooled connection of their own (prepared, see
 * src/platform/db/prepared.ts), apart from the request's unit of work: the provider calls the
 * adapter for its own models, whatever the request's services are doing.
 */
export function createAdapterClass(options: AdapterOptions) {
  const { orm } = options;
  const sealKey = deriveKey(options.secret, 'oidc-model-ids');

  // The statements of every token request, prepared (src/platform/db/prepared.ts); on a pooled
  // connection of their own, outside whatever unit of work the request has.
  const runPrepared = <T>(statement: PreparedStatement, params: unknown[]): Promise<T[]> => queryPreparedOnPool<T>(orm.em as EntityManager, statement, params);
  const runText = (sql: string, bindings: unknown[]) => queryPreparedText(poolConnection(orm).getKnex(), sql, bindings);

  const toPayload = (model: string, row: Row | undefined, presentedId?: string): AdapterPayload | undefined => {
    if (!row) return undefined;
    // The id and user code are not in the stored payload: a lookup by uid or user code gets
    // them back from their sealed copy; a lookup by id knows the id.
    const sealed = row.sealed_id ? (JSON.parse(decrypt(sealKey, row.sealed_id, model)) as { jti: string; userCode?: string }) : undefined;
    const jti = presentedId ?? sealed?.jti;
    const payload: AdapterPayload = { ...row.payload, ...(jti ? { jti } : {}), ...(sealed?.userCode ? { userCode: sealed.userCode } : {}) };
    return row.consumed_at ? { ...payload, consumed: Math.floor(new Date(row.consumed_at).getTime() / 1000) } : payload;
  };

  const findRefreshTokenWithGrant = async (id: string, state: RequestState) => {
    const [row] = await runPrepared<Row & { grant_id: string | null; grant_payload: AdapterPayload | null; account: CustomerSummaryRow | null }>(
      FIND_REFRESH_TOKEN_WITH_GRANT,
      [storedModelId('RefreshToken', id)],
    );
    if (row?.grant_id && row.grant_payload)
      state.grants.set(row.grant_id, toPayload('Grant', { payload: row.grant_payload, consumed_at: null, sealed_id: null }, row.grant_id)!);
    const accountId = row?.payload.accountId;
    if (typeof accountId === 'string') state.accounts.set(accountId, row?.account ? customerSummaryFromRow(row.account) : null);
    return toPayload('RefreshToken', row, id);
  };

  const findBy = async (model: string, column: 'id' | 'uid' | 'user_code', value: string, presentedId?: string) => {
    const [row] = await runPrepared<Row>(FIND_MODEL_BY[column], [model, storedModelId(model, value)]);
    return toPayload(model, row, presentedId);
  };

  /**
   * A redemption that found its row already consumed: for a code or a refresh token that is reuse,
   * and the whole grant goes (RFC 9700 §4.14, RFC 6749 §4.1.2).
   */
  const lostTheRace = async (model: string, storedId: string): Promise<never> => {
    if (!GRANT_SOURCES.has(model)) throw new errors.InvalidRequestUri('request_uri already used');
    const [lost] = await poolConnection(orm).execute<Array<{ grant_id: string | null }>>('select grant_id from oidc_model where model = ? and id = ?', [
      model,
      storedId,
    ]);
    if (lost?.grant_id) await revokeGrantEverywhere(orm, lost.grant_id, options.accessTokenTtlSeconds);
    throw new errors.InvalidGrant('grant already used');
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
      const values = [
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
      ];
      const request = currentRequest();
      if (this.model === 'Grant') request?.state.grants.delete(id);
      const spentRefreshTokenId = this.model === 'RefreshToken' ? request?.state.pendingConsume : undefined;
      const batch = writeBatches.getStore();
      if (batch && spentRefreshTokenId === undefined) {
        batch.run ??= runPrepared;
        batch.runText ??= runText;
        batch.rows.push(values);
        return;
      }
      if (spentRefreshTokenId === undefined) {
        await runPrepared(upsertOf(1), values);
        return;
      }
      // The rotated token is consumed by the same conditional statement that stores its successor:
      // of concurrent redemptions exactly one updates the old row, and only that one inserts.
      request!.state.pendingConsume = undefined;
      const inserted = await runPrepared<{ id: string }>(ROTATE_REFRESH_TOKEN, [storedModelId('RefreshToken', spentRefreshTokenId), ...values]);
      if (inserted.length === 1) return;
      await lostTheRace('RefreshToken', storedModelId('RefreshToken', spentRefreshTokenId));
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Client') return (await options.clients.get(id)) as AdapterPayload | undefined;
      if (NEVER_STORED.has(this.model)) return undefined;
      await flushPending();
      const request = currentRequest();
      if (request && this.model === 'Grant') {
        const prefetched = request.state.grants.get(id);
        if (prefetched) return prefetched;
      }
      if (request && this.model === 'RefreshToken') return findRefreshTokenWithGrant(id, request.state);
      return findBy(this.model, 'id', id, id);
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      await flushPending();
      return findBy(this.model, 'uid', uid);
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      await flushPending();
      return findBy(this.model, 'user_code', userCode);
    }

    /**
     * Single use as one conditional statement: of any number of concurrent redemptions, across
     * instances, exactly one updates the row. oidc-provider checks `consumed` on what it read
     * earlier and ignores this method's result, so the loser is refused here: for a code or a
     * refresh token that is reuse, and the whole grant goes (RFC 9700 §4.14, RFC 6749 §4.1.2).
     */
    async consume(id: string): Promise<void> {
      // In a refresh_token grant oidc-provider stores the rotated token right after consuming the
      // old one (lib/actions/grants/refresh_token.js): the consumption waits for that insert. Should
      // the request fail in between, the old token stays unspent, and nothing was issued for it.
      await flushPending();
      const request = currentRequest();
      if (this.model === 'RefreshToken' && request?.grantType === 'refresh_token' && request.state.pendingConsume === undefined) {
        request.state.pendingConsume = id;
        return;
      }
      const storedId = storedModelId(this.model, id);
      const won = await runPrepared<{ grant_id: string | null }>(CONSUME_MODEL, [this.model, storedId]);
      if (won.length === 1) return;
      await lostTheRace(this.model, storedId);
    }

    async destroy(id: string): Promise<void> {
      if (this.model === 'Grant') currentRequest()?.state.grants.delete(id);
      await flushPending();
      await runPrepared(DESTROY_MODEL, [this.model, storedModelId(this.model, id)]);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await flushPending();
      await revokeGrantEverywhere(orm, grantId, options.accessTokenTtlSeconds, true);
    }
  };
}

/** Deletes expired provider rows and revocation records; safe to run on every instance. */
export async function purgeExpired(orm: Orm): Promise<{ models: number; revocations: number }> {
  const connection = poolConnection(orm);
  const models = await connection.execute<{ affectedRows: number }>('delete from oidc_model where expires_at < now()', [], 'run');
  const revocations = await connection.execute<{ affectedRows: number }>('delete from revoked_token where expires_at < now()', [], 'run');
  await connection.execute('delete from rate_limit where expire < ?', [Date.now()], 'run');
  await connection.execute('delete from replay_guard where expires_at < now()', [], 'run');
  return { models: models.affectedRows, revocations: revocations.affectedRows };
}
