import { Migration } from '@mikro-orm/migrations';

/** base64url(SHA-256(text)), as `sha256()` in src/platform/crypto/secrets.ts computes it. */
const HASHED = (column: string) => `rtrim(translate(encode(sha256(convert_to(${column}, 'UTF8')), 'base64'), '+/', '-_'), '=')`;

/**
 * Issue #10: nothing usable in a dump, and single-use proofs shared by every instance.
 * - Every oidc-provider model except Client is stored under the hash of its id (codes and
 *   refresh tokens already were). Grants and replay records are re-keyed in place so refresh
 *   tokens keep working; sessions, interactions, device codes and pushed requests are short-lived
 *   and keyed by uid / user code lookups that need a sealed id, so they are dropped (users sign
 *   in again).
 * - `replay_guard`: one row per single-use proof (DPoP `jti`, client assertion `jti`), inserted
 *   with ON CONFLICT DO NOTHING so a replay across instances is refused atomically.
 */
export class Migration20261130000000TokenIntegrity extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table oidc_model add column sealed_id text null;`);
    this.addSql(
      `delete from oidc_model where model in ('Session', 'Interaction', 'DeviceCode', 'PushedAuthorizationRequest', 'BackchannelAuthenticationRequest');`,
    );
    this.addSql(`update oidc_model set grant_id = id where model = 'Grant';`);
    this.addSql(`
      update oidc_model
         set id = ${HASHED('id')}, payload = payload - 'jti',
             uid = case when uid is null then null else ${HASHED('uid')} end,
             user_code = case when user_code is null then null else ${HASHED('user_code')} end
       where model not in ('Client', 'AuthorizationCode', 'RefreshToken');`);
    this.addSql(`
      create table replay_guard (
        kind varchar(40) not null,
        value varchar(128) not null,
        expires_at timestamptz not null,
        primary key (kind, value)
      );`);
    this.addSql(`create index replay_guard_expires_at_idx on replay_guard (expires_at);`);
    // A tenant passcode is a ONE TIME PASSCODE: the agent look-up that reveals it spends it.
    this.addSql(`alter table passcode add column consumed_at timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql('alter table passcode drop column if exists consumed_at;');
    this.addSql('drop table if exists replay_guard;');
    this.addSql('alter table oidc_model drop column if exists sealed_id;');
  }
}
