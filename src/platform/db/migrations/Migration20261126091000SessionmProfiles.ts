import { Migration } from '@mikro-orm/migrations';

/**
 * Issue #4 §4: SessionM profile fields the shared customer record has no column for. SessionM
 * sends a `state` with the address (spec, Step 2); the rest of its profile maps onto `customer`
 * and `customer_phone`.
 */
export class Migration20261126091000SessionmProfiles extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table sessionm_profile (
        customer_id uuid primary key references customer (id) on delete cascade,
        state varchar(100) null,
        updated_at timestamptz not null
      );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists sessionm_profile;');
  }
}
