import { Migration } from '@mikro-orm/migrations';

/**
 * Issue #5 §1–2, CRM.COM contacts: B2B organisations, the persons joined to or shared with them,
 * and credentials requested for existing contacts until their one-time code is validated.
 * Persons themselves are `customer` rows (external_id is the caller-supplied contact id).
 */
export class Migration20261126100000Contacts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table organisation (
        id uuid primary key,
        external_id varchar(36) null,
        name varchar(200) not null,
        org_type varchar(30) not null,
        cross_reference_code varchar(100) null,
        email varchar(254) null,
        phone_number varchar(20) null,
        created_at timestamptz not null,
        updated_at timestamptz not null
      );`);
    this.addSql('create unique index organisation_external_id_uq on organisation (external_id) where external_id is not null;');
    this.addSql('create index organisation_cross_reference_code_idx on organisation (cross_reference_code) where cross_reference_code is not null;');
    this.addSql('create index organisation_name_idx on organisation (lower(name));');

    this.addSql(`
      create table contact_organisation (
        customer_id uuid not null references customer (id) on delete cascade,
        organisation_id uuid not null references organisation (id) on delete cascade,
        relation varchar(10) not null check (relation in ('JOINED', 'SHARED')),
        created_at timestamptz not null,
        primary key (customer_id, organisation_id)
      );`);
    this.addSql('create index contact_organisation_organisation_idx on contact_organisation (organisation_id);');

    // Back-office search by name (the other search keys already have indexes on customer).
    this.addSql('create index customer_last_name_idx on customer (lower(last_name));');

    this.addSql(`
      create table contact_pending_identity (
        id uuid primary key,
        customer_id uuid not null references customer (id) on delete cascade,
        provider varchar(10) not null check (provider in ('EMAIL', 'PHONE', 'FACEBOOK')),
        challenge_id uuid not null,
        email varchar(254) null,
        phone_number varchar(20) null,
        password_hash varchar(255) null,
        facebook_subject varchar(255) null,
        expires_at timestamptz not null,
        created_at timestamptz not null
      );`);
    this.addSql('create index contact_pending_identity_customer_idx on contact_pending_identity (customer_id);');
    this.addSql('create index contact_pending_identity_expires_idx on contact_pending_identity (expires_at);');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists contact_pending_identity;');
    this.addSql('drop index if exists customer_last_name_idx;');
    this.addSql('drop table if exists contact_organisation;');
    this.addSql('drop table if exists organisation;');
  }
}
