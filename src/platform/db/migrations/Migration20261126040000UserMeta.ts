import { Migration } from '@mikro-orm/migrations';

export class Migration20261126040000UserMeta extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table user_meta (
        customer_id uuid not null references customer (id) on delete cascade,
        key varchar(255) not null,
        value text not null,
        is_public boolean not null default false,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        primary key (customer_id, key)
      );`);
    this.addSql('create index user_meta_key_value_idx on user_meta (key, value);');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists user_meta;');
  }
}
