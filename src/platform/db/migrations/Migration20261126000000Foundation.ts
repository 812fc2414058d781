import { Migration } from '@mikro-orm/migrations';

export class Migration20261126000000Foundation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table oidc_model (
        model text not null,
        id text not null,
        payload jsonb not null,
        grant_id text null,
        uid text null,
        user_code text null,
        expires_at timestamptz null,
        consumed_at timestamptz null,
        primary key (model, id)
      );`);
    this.addSql('create index oidc_model_grant_id_idx on oidc_model (grant_id) where grant_id is not null;');
    this.addSql('create index oidc_model_uid_idx on oidc_model (uid) where uid is not null;');
    this.addSql('create index oidc_model_user_code_idx on oidc_model (user_code) where user_code is not null;');
    this.addSql('create index oidc_model_expires_at_idx on oidc_model (expires_at) where expires_at is not null;');

    this.addSql(`
      create table revoked_token (
        kind text not null check (kind in ('jti', 'grant')),
        value text not null,
        expires_at timestamptz not null,
        primary key (kind, value)
      );`);
    this.addSql('create index revoked_token_expires_at_idx on revoked_token (expires_at);');

    this.addSql(`
      create table signing_key (
        kid text primary key,
        alg text not null check (alg in ('RS256', 'ES256')),
        status text not null check (status in ('next', 'current', 'retired')),
        encrypted_jwk text not null,
        created_at timestamptz not null,
        activated_at timestamptz null,
        retired_at timestamptz null,
        remove_after timestamptz null
      );`);
    this.addSql(`create unique index signing_key_one_current_per_alg on signing_key (alg) where status = 'current';`);

    this.addSql(`
      create table oauth_client (
        client_id text primary key,
        name text not null,
        secret_hash text null,
        metadata jsonb not null,
        created_at timestamptz not null,
        updated_at timestamptz not null
      );`);

    this.addSql(`
      create table customer (
        id uuid primary key,
        email text null,
        email_normalized text null unique,
        email_verified_at timestamptz null,
        password_hash text null,
        first_name text null,
        last_name text null,
        locale text null,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        deactivated_at timestamptz null
      );`);

    // rate-limiter-flexible's PostgreSQL store; created here so the app never runs DDL at request time.
    this.addSql(`
      create table rate_limit (
        key varchar(255) primary key,
        points integer not null default 0,
        expire bigint
      );`);
  }

  override async down(): Promise<void> {
    for (const table of ['rate_limit', 'customer', 'oauth_client', 'signing_key', 'revoked_token', 'oidc_model']) {
      this.addSql(`drop table if exists ${table};`);
    }
  }
}
