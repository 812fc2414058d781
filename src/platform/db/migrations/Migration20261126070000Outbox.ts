import { Migration } from '@mikro-orm/migrations';

export class Migration20261126070000Outbox extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table outbox_event (
        id uuid primary key,
        type varchar(100) not null,
        customer_id uuid null,
        payload jsonb not null,
        created_at timestamptz not null
      );`);
    this.addSql('create index outbox_event_created_idx on outbox_event (created_at);');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists outbox_event;');
  }
}
