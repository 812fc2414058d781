import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { decrypt, deriveKey, encrypt, hmac, sha256 } from '../../platform/crypto/secrets.js';
import { Conflict, Invalid, Locked } from '../../platform/errors.js';
import type { CredentialLimiter } from '../limits/credential-limiter.js';
import { countingUpsert, lockOrder, retryAfterSpent, withinBudgets, type Budget, type CounterRow } from '../../platform/db/window-counters.js';
import { queryPreparedText } from '../../platform/db/prepared.js';
import type { DeferredWrite } from '../../platform/db/companion-writes.js';
import { tenantIdParam } from '../tenants/schemas.js';
import { TenantAdminEntity } from '../tenants/entities.js';
import { fieldError } from '../tenants/service.js';
import { PasscodeConfigEntity, type LookupResult, type PasscodeConfigRow } from './entities.js';
import { normalizePassKey } from './pass-key.js';
import { generatePassPhrase, manualPhraseProblem } from './phrase.js';
import type { PasscodeBudgets } from './rate-limits.js';
import { DEFAULT_PASSCODE_CONFIG, type PasscodeConfigInput } from './schemas.js';

/** The tenant an API key belongs to, as the limiter's companion read returns it. */
interface KeyTenant {
  id: string;
  status: string;
}

/** A checked API key: its tenant, and for a known key the refund of its reservation, still to run. */
interface KeyCheck {
  tenant: KeyTenant | null;
  refund?: DeferredWrite;
}

/**
 * The agent's API key, checked under the limiter: reserved before the look-up, failed when the
 * key is unknown. The tenant is read in the reservation's own statement; a known key's refund
 * rides in the look-up's statement (or runs alone when there is none). Concurrent look-ups by one
 * agent (same IP, tenant and key) share one reservation and one check, so in-flight reservations
 * never crowd a valid key into 429; the first of them to reach its statement carries the refund.
 */
const keyChecks = new Map<string, Promise<KeyCheck>>();

function tenantOfApiKey(
  deps: Pick<LookUpPasscodeDependencies, 'apiKeyLimiter'>,
  limiterIdentity: string,
  ip: string,
  apiKey: string | undefined,
): Promise<KeyCheck> {
  const key = `${limiterIdentity}|${sha256(apiKey ?? '')}`;
  const pending = keyChecks.get(key);
  if (pending) return pending;
  const check = (async (): Promise<KeyCheck> => {
    // By hash over an index: timing reveals nothing about any stored key.
    const read = apiKey && apiKey.length <= 256 ? { sql: 'select id, status from tenant where api_key_hash = ?', bindings: [sha256(apiKey)] } : undefined;
    const limit = await deps.apiKeyLimiter.reserve<KeyTenant>(limiterIdentity, ip, read);
    if (!limit.allowed) throw new Locked(limit.retryAfterSeconds);
    const tenant = limit.found[0] ?? null;
    if (!tenant) {
      await limit.fail();
      return { tenant: null };
    }
    return { tenant, refund: limit.later('release') };
  })().finally(() => keyChecks.delete(key));
  keyChecks.set(key, check);
  return check;
}

/** Expired passcodes stay this long so agents get "Pass Key Expired" (410) rather than "not found". */
const EXPIRED_RETENTION = '1 day';

export interface PasscodeKeys {
  /** AES-256-GCM key for pass phrases. */
  phrase: Buffer;
  /** HMAC key for pass keys (phone numbers): a dump cannot be reversed without GATEHOUSE_SECRET. */
  passKey: Buffer;
}

export const derivePasscodeKeys = (secret: string): PasscodeKeys => ({
  phrase: deriveKey(secret, 'passcodes'),
  passKey: deriveKey(secret, 'passcode-keys'),
});

/** Bound to the tenant, so the same phone number hashes differently in two tenants' rows. */
export const passKeyHash = (keys: PasscodeKeys, tenantId: string, normalizedKey: string) => hmac(keys.passKey, `${tenantId}\n${normalizedKey}`);

/** AES-GCM associated data: a ciphertext copied to another tenant's or key's row fails to decrypt. */
const phraseContext = (tenantId: string, keyHash: string) => `passcode:${tenantId}:${keyHash}`;

export const invalidTenant = () => new Invalid('invalid_tenant', 'The tenant id is invalid.');

// ---------------------------------------------------------------------------------------------
// Configuration

export type EffectivePasscodeConfig = Pick<PasscodeConfigRow, 'passKeyExpires' | 'passPhraseMode' | 'allowedCharacters' | 'passPhraseLength'> &
  Partial<Pick<PasscodeConfigRow, 'id' | 'createdBy' | 'createdAt' | 'updatedAt'>>;

export async function getPasscodeConfig(em: EntityManager, tenantId: string): Promise<EffectivePasscodeConfig> {
  return (await em.findOne(PasscodeConfigEntity, { tenantId })) ?? { ...DEFAULT_PASSCODE_CONFIG };
}

/**
 * The spec's `created_by` is an integer (`"created_by": 1400`): the numeric id of the tenant
 * admin who created the configuration; null for the defaults of a tenant that never saved one.
 */
export async function configCreatorNumber(em: EntityManager, config: Pick<EffectivePasscodeConfig, 'createdBy'>): Promise<number | null> {
  if (!config.createdBy) return null;
  const admin = await em.findOne(TenantAdminEntity, { id: config.createdBy }, { fields: ['numericId'] });
  return admin?.numericId ?? null;
}

/**
 * Creates the tenant's configuration, or replaces it: the spec has no separate update call. Two
 * first saves racing: the loser's insert fails on the unique tenant and is retried as an update of
 * the winner's row. Each attempt runs in a transaction with an identity map of its own (merged into
 * the request's on success), so the failed insert does not stay pending in the request's unit.
 */
export async function savePasscodeConfig(
  em: EntityManager,
  input: { tenantId: string; adminId: string; config: PasscodeConfigInput },
): Promise<{ row: PasscodeConfigRow; created: boolean }> {
  const attempt = () => em.transactional((tx) => upsertPasscodeConfig(tx, input), { clear: true });
  try {
    return await attempt();
  } catch (error) {
    if (!(error instanceof UniqueConstraintViolationException)) throw error;
    return attempt();
  }
}

async function upsertPasscodeConfig(
  em: EntityManager,
  input: { tenantId: string; adminId: string; config: PasscodeConfigInput },
): Promise<{ row: PasscodeConfigRow; created: boolean }> {
  const now = new Date();
  const existing = await em.findOne(PasscodeConfigEntity, { tenantId: input.tenantId });
  if (existing) {
    Object.assign(existing, input.config, { updatedAt: now });
    return { row: existing, created: false };
  }
  const row = em.create(PasscodeConfigEntity, { tenantId: input.tenantId, ...input.config, createdBy: input.adminId, createdAt: now, updatedAt: now });
  return { row, created: true };
}

// ---------------------------------------------------------------------------------------------
// Customer: create a passcode

export interface SubmitPasscodeDependencies {
  em: EntityManager;
  keys: PasscodeKeys;
  budgets: PasscodeBudgets;
}

/** The tenant a submission names, with its passcode configuration (columns null when it saved none). */
interface SubmissionTenant {
  id: string;
  status: string;
  pass_key_expires: number | null;
  pass_phrase_mode: EffectivePasscodeConfig['passPhraseMode'] | null;
  allowed_characters: EffectivePasscodeConfig['allowedCharacters'] | null;
  pass_phrase_length: number | null;
}

/**
 * A submission's budgets, its tenant and the tenant's configuration, in one statement. The
 * address is counted first; only within its budget, for an active tenant and a well-formed key
 * are the tenant's and the key's budgets counted, so a flood from one address, at a tenant that
 * does not exist or with garbage keys, spends no tenant's budget.
 */
async function countSubmission(deps: SubmitPasscodeDependencies, tenantId: string | null, ip: string, keyBudgets: Budget[]) {
  const now = Date.now();
  const byIp = deps.budgets.creationByIp(ip);
  const counted = countingUpsert([byIp.key], deps.budgets.windowSeconds, now);
  const tenantRead = `select t.id, t.status, c.pass_key_expires, c.pass_phrase_mode, c.allowed_characters, c.pass_phrase_length
                        from tenant t left join passcode_config c on c.tenant_id = t.id where t.id = ?::uuid`;
  const withinIp = withinBudgets('by_ip', [byIp]);
  const forKeys =
    keyBudgets.length > 0
      ? countingUpsert(lockOrder(keyBudgets.map((budget) => budget.key)), deps.budgets.windowSeconds, now, {
          sql: `${withinIp.sql} and exists (select 1 from submitted_tenant where status = 'ACTIVE')`,
          bindings: withinIp.bindings,
        })
      : undefined;
  // The address's key sorts before the tenant's and the key's (create-ip < create-key < create-tenant):
  // rows are locked in one order, as the credential limiter's are.
  const [row] = await queryPreparedText<{ counters: CounterRow[] | null; tenant: SubmissionTenant | null }>(
    deps.em.getKnex(),
    `with by_ip as (${counted.sql}),
          submitted_tenant as (${tenantRead})${
            forKeys
              ? `,
          by_key as (${forKeys.sql})`
              : ''
          }
     select (select json_agg(counted) from (select * from by_ip${forKeys ? ' union all select * from by_key' : ''}) as counted) as counters,
            (select to_json(submitted_tenant) from submitted_tenant) as tenant`,
    [...counted.bindings, tenantId, ...(forKeys?.bindings ?? [])],
  );
  return { counters: row?.counters ?? [], tenant: row?.tenant ?? null, now, byIp };
}

export async function submitPasscode(
  deps: SubmitPasscodeDependencies,
  input: { tenantId: string; passKey: string; passPhrase?: string; ip: string },
): Promise<{ passPhrase: string; expiresIn: number }> {
  // Tenant ids are UUIDs, hashed into the key in their canonical (lower-case) form.
  const tenantId = tenantIdParam.safeParse(input.tenantId).success ? input.tenantId.toLowerCase() : null;
  const normalizedKey = normalizePassKey(input.passKey);
  const keyIsValid = Boolean(normalizedKey) && normalizedKey !== '+';
  const keyHash = tenantId && keyIsValid ? passKeyHash(deps.keys, tenantId, normalizedKey) : undefined;
  const keyBudgets = tenantId && keyHash ? deps.budgets.creation(tenantId, keyHash) : [];

  const { counters, tenant, now, byIp } = await countSubmission(deps, tenantId, input.ip, keyBudgets);
  const addressWait = retryAfterSpent([byIp], counters, now);
  if (addressWait !== undefined) throw new Locked(addressWait);
  if (!tenant || tenant.status !== 'ACTIVE' || !tenantId) throw invalidTenant();
  if (!keyHash) throw fieldError('pass_key', 'The pass key format is invalid.');
  const budgetWait = retryAfterSpent(keyBudgets, counters, now);
  if (budgetWait !== undefined) throw new Locked(budgetWait);

  const config: EffectivePasscodeConfig =
    tenant.pass_key_expires === null
      ? { ...DEFAULT_PASSCODE_CONFIG }
      : {
          passKeyExpires: tenant.pass_key_expires,
          passPhraseMode: tenant.pass_phrase_mode ?? DEFAULT_PASSCODE_CONFIG.passPhraseMode,
          allowedCharacters: tenant.allowed_characters ?? DEFAULT_PASSCODE_CONFIG.allowedCharacters,
          passPhraseLength: tenant.pass_phrase_length ?? DEFAULT_PASSCODE_CONFIG.passPhraseLength,
        };
  let passPhrase: string;
  if (config.passPhraseMode === 'manual') {
    if (!input.passPhrase) throw fieldError('pass_phrase', 'The pass phrase field is required.');
    const problem = manualPhraseProblem(input.passPhrase, config.allowedCharacters, config.passPhraseLength);
    if (problem) throw fieldError('pass_phrase', problem);
    passPhrase = input.passPhrase;
  } else {
    // Spec: in system mode the phrase is generated; one sent by the customer is ignored.
    passPhrase = generatePassPhrase(config.allowedCharacters, config.passPhraseLength);
  }

  // Expired rows are removed by the server's purge timer (purgeExpiredPasscodes), not here: a
  // per-request delete scanned the tenant's rows on every submission.
  // One statement decides, so two customers racing for one key cannot both win: a row whose
  // passcode is still valid is left alone and nothing is returned.
  const stored = await queryPreparedText<{ expires_at: Date }>(
    deps.em.getKnex(),
    `insert into passcode (tenant_id, key_hash, phrase_encrypted, expires_at, created_at)
     values (?, ?, ?, now() + make_interval(secs => ?), now())
     on conflict (tenant_id, key_hash) do update
       set phrase_encrypted = excluded.phrase_encrypted, expires_at = excluded.expires_at, created_at = excluded.created_at, consumed_at = null
       where passcode.expires_at <= now() or passcode.consumed_at is not null
     returning expires_at`,
    [tenant.id, keyHash, encrypt(deps.keys.phrase, passPhrase, phraseContext(tenant.id, keyHash)), config.passKeyExpires],
  );
  if (stored.length === 0) throw new Conflict('pass_key_taken', 'Key already taken by another user');
  return { passPhrase, expiresIn: config.passKeyExpires };
}

// ---------------------------------------------------------------------------------------------
// Agent: read a passcode

export interface LookUpPasscodeDependencies extends SubmitPasscodeDependencies {
  /** Failed API keys, per presented tenant and address. */
  apiKeyLimiter: CredentialLimiter;
}

export type AgentLookup = { result: 'found'; passPhrase: string } | { result: Exclude<LookupResult, 'found' | 'rate_limited'> };

interface LookupAuditRow {
  /** As presented in the path: refused look-ups on unknown tenants are kept too. */
  tenantId: string;
  keyHash: string;
  ip: string;
  requestId: string | null;
}

/** The one writer of `passcode_lookup_audit`: alone for an early refusal, or as a CTE of the look-up's statement. */
function lookupAuditInsert(row: LookupAuditRow, result: { sql: string; bindings: unknown[] }) {
  return {
    sql: `insert into passcode_lookup_audit (tenant_id, key_hash, result, ip, request_id, created_at) select ?, ?, ${result.sql}, ?, ?, now()`,
    bindings: [row.tenantId, row.keyHash, ...result.bindings, row.ip, row.requestId],
  };
}

/**
 * The agent's look-up, audited whatever its outcome. The API key alone decides which tenant the
 * caller is; a key used on any other tenant's path (existing or not, active or not) gets the one
 * answer `invalid_tenant`, so a key never reveals anything about another tenant (issue #6 §4).
 */
export async function lookUpPasscode(
  deps: LookUpPasscodeDependencies,
  input: { tenantId: string; apiKey: string; passKey: string; ip: string; requestId?: string },
): Promise<AgentLookup> {
  const presentedTenant = input.tenantId.slice(0, 64);
  const keyHash = passKeyHash(deps.keys, presentedTenant, normalizePassKey(input.passKey));
  const auditRow = { tenantId: presentedTenant, keyHash, ip: input.ip || 'unknown', requestId: input.requestId ?? null };
  const audit = async (result: LookupResult) => {
    const insert = lookupAuditInsert(auditRow, { sql: '?', bindings: [result] });
    await queryPreparedText(deps.em.getKnex(), insert.sql, insert.bindings);
  };
  const limiterIdentity = `${input.ip}|${presentedTenant}`;

  let checked: KeyCheck;
  try {
    checked = await tenantOfApiKey(deps, limiterIdentity, input.ip, input.apiKey);
  } catch (error) {
    if (error instanceof Locked) await audit('rate_limited');
    throw error;
  }
  const { tenant, refund } = checked;
  try {
    return await lookUpForTenant(deps, { tenant, presentedTenant, keyHash, auditRow, audit, refund });
  } finally {
    // Unless the look-up's statement carried it (then this does nothing).
    await refund?.runAlone();
  }
}

async function lookUpForTenant(
  deps: LookUpPasscodeDependencies,
  context: {
    tenant: KeyTenant | null;
    presentedTenant: string;
    keyHash: string;
    auditRow: LookupAuditRow;
    audit: (result: LookupResult) => Promise<void>;
    refund?: DeferredWrite;
  },
): Promise<AgentLookup> {
  const { tenant, presentedTenant, keyHash, audit } = context;
  if (!tenant) {
    await audit('unauthorized');
    return { result: 'unauthorized' };
  }
  if (tenant.id !== presentedTenant || tenant.status !== 'ACTIVE') {
    await audit('invalid_tenant');
    return { result: 'invalid_tenant' };
  }

  // A ONE TIME PASSCODE (spec, trust flow): the look-up that reveals it also spends it, in one
  // conditional update, so of two agents asking at once only one hears it. A spent passcode
  // answers as an unknown one until it expires, then as expired. The same statement counts the
  // look-up against the tenant's and the key's budgets (the passcode is spent only within them)
  // and records the audit line, whatever the outcome.
  const now = Date.now();
  const budgets = deps.budgets.lookup(tenant.id, keyHash);
  const counted = countingUpsert(lockOrder(budgets.map((budget) => budget.key)), deps.budgets.windowSeconds, now);
  const within = withinBudgets('counted', budgets);
  // The API key's refund, when no concurrent look-up has carried it yet, commits with this statement.
  const leading = context.refund?.claim() ?? { ctes: [], bindings: [] };
  const audited = lookupAuditInsert(context.auditRow, {
    sql: `case when not (select ok from allowed) then 'rate_limited' when exists (select 1 from taken) then 'found'
               when (select expired from present) then 'expired' else 'not_found' end`,
    bindings: [],
  });
  const [row] = await queryPreparedText<{ counters: CounterRow[] | null; phrase: string | null; expired: boolean | null }>(
    deps.em.getKnex(),
    `with ${leading.ctes.map((cte) => `${cte},\n          `).join('')}counted as (${counted.sql}),
          allowed as (select ${within.sql} as ok),
          present as (select expires_at <= now() as expired from passcode where tenant_id = ? and key_hash = ?),
          taken as (update passcode set consumed_at = now()
                     where tenant_id = ? and key_hash = ? and consumed_at is null and expires_at > now() and (select ok from allowed)
                     returning phrase_encrypted),
          audited as (${audited.sql})
     select (select json_agg(counted) from counted) as counters, (select phrase_encrypted from taken) as phrase, (select expired from present) as expired`,
    [...leading.bindings, ...counted.bindings, ...within.bindings, tenant.id, keyHash, tenant.id, keyHash, ...audited.bindings],
  );
  const wait = retryAfterSpent(budgets, row?.counters ?? [], now);
  if (wait !== undefined) throw new Locked(wait);
  return row?.phrase
    ? { result: 'found', passPhrase: decrypt(deps.keys.phrase, row.phrase, phraseContext(tenant.id, keyHash)) }
    : row?.expired
      ? { result: 'expired' }
      : { result: 'not_found' };
}

/** For an operator's schedule: drop passcodes long expired, in every tenant. */
export async function purgeExpiredPasscodes(em: EntityManager): Promise<number> {
  const result = await em.getConnection().execute(`delete from passcode where expires_at < now() - interval '${EXPIRED_RETENTION}'`, [], 'run');
  return (result as { affectedRows?: number }).affectedRows ?? 0;
}
