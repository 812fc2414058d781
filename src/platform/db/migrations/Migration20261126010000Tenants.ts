import { Migration } from '@mikro-orm/migrations';

/** Tenant administration and the passcode (agent verification) service: issue #6. */
export class Migration20261126010000Tenants extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table tenant_admin (
        id uuid primary key,
        name text not null,
        email text not null,
        email_normalized text not null unique,
        password_hash text not null,
        created_at timestamptz not null,
        updated_at timestamptz not null
      );`);

    this.addSql(`
      create table tenant (
        id uuid primary key,
        name text not null,
        name_normalized text not null unique,
        status text not null check (status in ('INACTIVE', 'ACTIVE')),
        owner_id uuid not null references tenant_admin (id),
        api_key_hash text null unique,
        api_key_created_at timestamptz null,
        activated_at timestamptz null,
        created_at timestamptz not null,
        updated_at timestamptz not null
      );`);
    this.addSql('create index tenant_owner_id_idx on tenant (owner_id);');

    this.addSql(`
      create table passcode_config (
        id serial primary key,
        tenant_id uuid not null unique references tenant (id) on delete cascade,
        pass_key_expires integer not null check (pass_key_expires > 0),
        pass_phrase_mode text not null check (pass_phrase_mode in ('system', 'manual')),
        allowed_characters text not null check (allowed_characters in ('numeric', 'alphabets', 'alphanumeric')),
        pass_phrase_length integer not null check (pass_phrase_length > 0),
        created_by uuid not null references tenant_admin (id),
        created_at timestamptz not null,
        updated_at timestamptz not null
      );`);

    // key_hash is an HMAC of the normalised pass key and phrase_encrypted is AES-256-GCM bound to
    // (tenant, key_hash): a dump of this table reveals neither phone numbers nor passcodes.
    this.addSql(`
      create table passcode (
        tenant_id uuid not null references tenant (id) on delete cascade,
        key_hash text not null,
        phrase_encrypted text not null,
        expires_at timestamptz not null,
        created_at timestamptz not null,
        primary key (tenant_id, key_hash)
      );`);
    this.addSql('create index passcode_expires_at_idx on passcode (expires_at);');

    // tenant_id is the id as presented (not a foreign key): refused look-ups on unknown tenants are audited too.
    this.addSql(`
      create table passcode_lookup_audit (
        id bigserial primary key,
        tenant_id text not null,
        key_hash text null,
        result text not null,
        ip text not null,
        request_id text null,
        created_at timestamptz not null
      );`);
    this.addSql('create index passcode_lookup_audit_tenant_idx on passcode_lookup_audit (tenant_id, created_at);');
  }

  override async down(): Promise<void> {
    for (const table of ['passcode_lookup_audit', 'passcode', 'passcode_config', 'tenant', 'tenant_admin']) {
      this.addSql(`drop table if exists ${table};`);
    }
  }
}
