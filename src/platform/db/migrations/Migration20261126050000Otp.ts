import { Migration } from '@mikro-orm/migrations';

/** One-time codes by SMS and e-mail (issue #3 §3) and the development outbox of src/notify. */
export class Migration20261126050000Otp extends Migration {
  override async up(): Promise<void> {
    // identifier_hash and code_hash are HMACs (src/identity/credentials/otp/codes.ts): neither the contact nor the
    // code is stored. customer_id is null for identifiers nobody is registered with; those rows
    // exist so the resend throttle and the hourly caps answer the same as for real customers.
    this.addSql(`
      create table otp_challenge (
        id uuid primary key,
        channel varchar(10) not null check (channel in ('sms', 'email')),
        purpose varchar(10) not null check (purpose in ('login', 'verify')),
        identifier_hash varchar(64) not null,
        customer_id uuid null references customer (id) on delete cascade,
        code_hash varchar(64) not null,
        attempts integer not null default 0,
        max_attempts integer not null,
        expires_at timestamptz not null,
        consumed_at timestamptz null,
        ip_hash varchar(64) null,
        created_at timestamptz not null default now()
      );`);
    this.addSql('create index otp_challenge_identifier_idx on otp_challenge (identifier_hash, created_at desc);');
    this.addSql('create index otp_challenge_ip_idx on otp_challenge (ip_hash, created_at desc) where ip_hash is not null;');
    this.addSql('create index otp_challenge_created_idx on otp_challenge (created_at);');

    this.addSql(`
      create table dev_outbox_message (
        id uuid primary key,
        channel varchar(10) not null check (channel in ('sms', 'email')),
        recipient varchar(254) not null,
        subject text null,
        text text not null,
        html text null,
        created_at timestamptz not null default now()
      );`);
    this.addSql('create index dev_outbox_message_created_idx on dev_outbox_message (created_at desc);');
    this.addSql('create index dev_outbox_message_recipient_idx on dev_outbox_message (lower(recipient), created_at desc);');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists dev_outbox_message;');
    this.addSql('drop table if exists otp_challenge;');
  }
}
