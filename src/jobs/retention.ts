import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../platform/config.js';

export type RetentionSettings = Config['retention'];

/** Rows per statement: a long clean-up never holds one huge transaction or lock set. */
const BATCH = 5000;

/**
 * Change logs (REMP "changePasswordsLogs", "userActionsLog": `setRetentionThreshold('-12
 * months')`): histories kept for audit, deleted after RETENTION_CHANGE_LOGS_DAYS.
 */
export const CHANGE_LOG_TABLES = ['access_token_state_change', 'passcode_lookup_audit'] as const;

export interface CleanupCounts {
  login_attempts: number;
  oidc_models: number;
  revoked_tokens: number;
  autologin_tokens: number;
  outbox_events: number;
  webhook_deliveries: number;
  change_logs: Record<(typeof CHANGE_LOG_TABLES)[number], number>;
}

/** Deletes `table` rows matching `condition` (a constant SQL fragment with `?` parameters) in batches. */
async function deleteInBatches(em: EntityManager, table: string, condition: string, params: unknown[] = []): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await em
      .getConnection()
      .execute<{ affectedRows: number }>(
        `delete from ${table} where ctid = any(array(select ctid from ${table} where ${condition} limit ${BATCH}))`,
        params,
        'run',
      );
    total += result.affectedRows;
    if (result.affectedRows < BATCH) return total;
  }
}

/**
 * Outbox events older than the threshold go with their deliveries, unless a delivery to a
 * configured receiver is still pending: an event a receiver has not had yet is kept until it is
 * delivered or given up. Pending deliveries to URLs no longer in WEBHOOK_URLS will never be
 * sent (the dispatcher only claims configured URLs), so they do not hold their event back.
 */
async function deleteOldOutboxEvents(em: EntityManager, days: number, receiverUrls: readonly string[]): Promise<{ events: number; deliveries: number }> {
  const total = { events: 0, deliveries: 0 };
  for (;;) {
    const [counts] = await em.getConnection().execute<Array<{ events: number; deliveries: number }>>(
      `with doomed as (
         select e.id from outbox_event e
         where e.created_at < now() - make_interval(days => ?)
           and not exists (
             select 1 from webhook_delivery d
             where d.event_id = e.id and d.delivered_at is null and d.failed_at is null
               and d.url in (select jsonb_array_elements_text(?::jsonb))
           )
         limit ${BATCH}
       ), deliveries as (
         delete from webhook_delivery d using doomed where d.event_id = doomed.id returning 1
       ), events as (
         delete from outbox_event e using doomed where e.id = doomed.id returning 1
       )
       select (select count(*) from events)::int as events, (select count(*) from deliveries)::int as deliveries`,
      [days, JSON.stringify(receiverUrls)],
      'all',
    );
    total.events += counts?.events ?? 0;
    total.deliveries += counts?.deliveries ?? 0;
    if ((counts?.events ?? 0) < BATCH) return total;
  }
}

/**
 * REMP `application:cleanup` (users module, "Data retention configuration"): expired credentials
 * go as soon as they expire (REMP: autologin tokens at `now`), logs after their configured age.
 * Safe to run on several instances at once, and repeatedly.
 */
export async function runRetentionCleanup(em: EntityManager, settings: RetentionSettings, receiverUrls: readonly string[]): Promise<CleanupCounts> {
  const loginAttempts = await deleteInBatches(em, 'login_attempt', 'created_at < now() - make_interval(days => ?)', [settings.loginAttemptsDays]);
  const oidcModels = await deleteInBatches(em, 'oidc_model', 'expires_at < now()');
  const revokedTokens = await deleteInBatches(em, 'revoked_token', 'expires_at < now()');
  const autologinTokens = await deleteInBatches(em, 'autologin_token', 'valid_to < now()');
  const outbox = await deleteOldOutboxEvents(em, settings.outboxDays, receiverUrls);
  const changeLogs = {} as CleanupCounts['change_logs'];
  for (const table of CHANGE_LOG_TABLES) {
    changeLogs[table] = await deleteInBatches(em, table, 'created_at < now() - make_interval(days => ?)', [settings.changeLogsDays]);
  }
  return {
    login_attempts: loginAttempts,
    oidc_models: oidcModels,
    revoked_tokens: revokedTokens,
    autologin_tokens: autologinTokens,
    outbox_events: outbox.events,
    webhook_deliveries: outbox.deliveries,
    change_logs: changeLogs,
  };
}
