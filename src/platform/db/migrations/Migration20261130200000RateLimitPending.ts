import { Migration } from '@mikro-orm/migrations';

/**
 * The credential limiter counts attempts still being verified (`pending`) apart from settled
 * failures (`points`): a refusal because too many attempts are in flight is answered with a short
 * Retry-After, a lock-out with the lock's end (src/identity/limits/credential-limiter.ts).
 * Request budgets (window-counters.ts) leave it at 0.
 */
export class Migration20261130200000RateLimitPending extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table rate_limit add column if not exists pending integer not null default 0;');
  }

  override async down(): Promise<void> {
    this.addSql('alter table rate_limit drop column if exists pending;');
  }
}
