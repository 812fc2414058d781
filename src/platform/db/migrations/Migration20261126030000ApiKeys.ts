import { Migration } from '@mikro-orm/migrations';

/** API keys (REMP "API tokens", CRM.COM `api_key`) and the incremental revocation feed: issue #4. */
export class Migration20261126030000ApiKeys extends Migration {
  override async up(): Promise<void> {
    // key_hash is sha256 of the whole key (256 bits of randomness, so a fast hash is enough);
    // prefix is the first characters only, so an operator can tell keys apart in a list.
    // endpoints is the per-endpoint whitelist: empty means no endpoint (REMP: "By default the API
    // key has access to no endpoint"); '*' must be granted explicitly.
    this.addSql(`
      create table api_key (
        id uuid primary key,
        name text not null,
        key_hash text not null,
        prefix text not null,
        endpoints text[] not null default '{}',
        scopes text[] not null default '{}',
        created_at timestamptz not null default now(),
        last_used_at timestamptz null,
        revoked_at timestamptz null
      );`);
    this.addSql('create unique index api_key_key_hash_idx on api_key (key_hash);');

    // Resource servers keep revoked jti/grant ids in memory and poll only the rows added since
    // their last poll (src/oauth/callers/revocation-cache.ts); existing rows get the migration time.
    this.addSql('alter table revoked_token add column created_at timestamptz not null default now();');
    this.addSql('create index revoked_token_created_at_idx on revoked_token (created_at);');
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists revoked_token_created_at_idx;');
    this.addSql('alter table revoked_token drop column if exists created_at;');
    this.addSql('drop table if exists api_key;');
  }
}
