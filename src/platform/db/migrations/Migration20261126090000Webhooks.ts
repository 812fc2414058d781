import { Migration } from '@mikro-orm/migrations';

/**
 * Issue #4 §5: webhook delivery state, one row per (outbox event, receiver URL). It lives in
 * PostgreSQL so a restart never loses an event and several instances share the work.
 */
export class Migration20261126090000Webhooks extends Migration {
  override async up(): Promise<void> {
    // Set when the dispatcher has created the event's delivery rows; only unset rows are scanned.
    this.addSql('alter table outbox_event add column fanned_out_at timestamptz null;');
    this.addSql('create index outbox_event_pending_fan_out_idx on outbox_event (created_at) where fanned_out_at is null;');

    this.addSql(`
      create table webhook_delivery (
        id uuid primary key,
        event_id uuid not null references outbox_event (id) on delete cascade,
        url text not null,
        attempts integer not null default 0,
        next_attempt_at timestamptz not null,
        delivered_at timestamptz null,
        failed_at timestamptz null,
        last_status integer null,
        last_error varchar(500) null,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        unique (event_id, url)
      );`);
    this.addSql('create index webhook_delivery_due_idx on webhook_delivery (next_attempt_at) where delivered_at is null and failed_at is null;');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists webhook_delivery;');
    this.addSql('drop index if exists outbox_event_pending_fan_out_idx;');
    this.addSql('alter table outbox_event drop column if exists fanned_out_at;');
  }
}
