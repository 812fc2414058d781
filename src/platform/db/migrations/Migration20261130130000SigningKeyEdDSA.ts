import { Migration } from '@mikro-orm/migrations';

/** Issue 14 item 4: EdDSA (Ed25519) signing keys, for ACCESS_TOKEN_ALG=EdDSA. */
export class Migration20261130130000SigningKeyEdDSA extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table signing_key drop constraint if exists signing_key_alg_check;');
    this.addSql(`alter table signing_key add constraint signing_key_alg_check check (alg in ('RS256', 'ES256', 'EdDSA'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`delete from signing_key where alg = 'EdDSA';`);
    this.addSql('alter table signing_key drop constraint if exists signing_key_alg_check;');
    this.addSql(`alter table signing_key add constraint signing_key_alg_check check (alg in ('RS256', 'ES256'));`);
  }
}
