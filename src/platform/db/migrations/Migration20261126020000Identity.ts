import { Migration } from '@mikro-orm/migrations';

/** Issue #3: the full customer record, its credentials, devices, autologin tokens and login attempts. */
export class Migration20261126020000Identity extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table customer
        add column external_id varchar(36) null,
        add column external_id_type varchar(50) null,
        add column cross_reference_code varchar(100) null,
        add column title varchar(50) null,
        add column gender varchar(20) null,
        add column date_of_birth date null,
        add column phone_number varchar(20) null,
        add column phone_verified_at timestamptz null,
        add column address_line1 varchar(200) null,
        add column address_line2 varchar(200) null,
        add column address_city varchar(100) null,
        add column address_zip varchar(20) null,
        add column address_country_iso char(2) null,
        add column email_opt_out boolean not null default false,
        add column sms_opt_out boolean not null default false,
        add column newsletters_subscribed boolean not null default false,
        add column service_acceptance_at timestamptz null,
        add column source varchar(100) null,
        add column referer varchar(500) null,
        add column note text null,
        add column unclaimed boolean not null default false,
        add column roles text[] not null default '{}',
        add column confirmed_at timestamptz null,
        add column registered_at timestamptz null,
        add column anonymized_at timestamptz null,
        add column referrer_code varchar(32) null,
        add column delete_protected boolean not null default false,
        add column email_invalidated_at timestamptz null;`);
    this.addSql('create unique index customer_external_id_uq on customer (external_id) where external_id is not null;');
    this.addSql('create unique index customer_phone_number_uq on customer (phone_number) where phone_number is not null;');
    this.addSql('create unique index customer_referrer_code_uq on customer (referrer_code) where referrer_code is not null;');
    this.addSql('create index customer_cross_reference_code_idx on customer (cross_reference_code) where cross_reference_code is not null;');

    this.addSql(`
      create table customer_phone (
        id uuid primary key,
        customer_id uuid not null references customer (id) on delete cascade,
        phone_number varchar(20) not null,
        phone_type varchar(20) not null default 'mobile',
        preference_flags text[] not null default '{}',
        verified_at timestamptz null,
        created_at timestamptz not null,
        unique (customer_id, phone_number)
      );`);
    this.addSql('create index customer_phone_number_idx on customer_phone (phone_number);');

    // Federated credentials: the provider's stable subject, so a changed e-mail still matches.
    this.addSql(`
      create table customer_identity (
        provider varchar(20) not null check (provider in ('google', 'apple', 'facebook')),
        subject varchar(255) not null,
        customer_id uuid not null references customer (id) on delete cascade,
        email varchar(254) null,
        created_at timestamptz not null,
        last_used_at timestamptz null,
        primary key (provider, subject)
      );`);
    this.addSql('create index customer_identity_customer_idx on customer_identity (customer_id);');

    this.addSql(`
      create table login_attempt (
        id bigserial primary key,
        customer_id uuid null references customer (id) on delete set null,
        method varchar(40) not null,
        result varchar(20) not null,
        source varchar(100) null,
        ip varchar(64) null,
        user_agent varchar(500) null,
        created_at timestamptz not null default now()
      );`);
    this.addSql('create index login_attempt_customer_idx on login_attempt (customer_id, created_at desc);');
    this.addSql('create index login_attempt_created_idx on login_attempt (created_at);');

    this.addSql(`
      create table device_token (
        id uuid primary key,
        token_hash varchar(64) not null unique,
        device_id varchar(255) not null,
        customer_id uuid null references customer (id) on delete cascade,
        created_at timestamptz not null,
        last_used_at timestamptz null,
        revoked_at timestamptz null
      );`);
    this.addSql(`
      create table device_grant (
        device_token_id uuid not null references device_token (id) on delete cascade,
        grant_id varchar(255) not null,
        created_at timestamptz not null,
        primary key (device_token_id, grant_id)
      );`);
    this.addSql('create index device_grant_grant_idx on device_grant (grant_id);');

    this.addSql(`
      create table autologin_token (
        id uuid primary key,
        token_hash varchar(64) not null unique,
        customer_id uuid not null references customer (id) on delete cascade,
        valid_from timestamptz not null,
        valid_to timestamptz not null,
        max_uses integer not null check (max_uses > 0),
        used_count integer not null default 0,
        created_at timestamptz not null,
        last_used_at timestamptz null
      );`);
    this.addSql('create index autologin_token_valid_to_idx on autologin_token (valid_to);');
  }

  override async down(): Promise<void> {
    for (const table of ['autologin_token', 'device_grant', 'device_token', 'login_attempt', 'customer_identity', 'customer_phone']) {
      this.addSql(`drop table if exists ${table};`);
    }
  }
}
