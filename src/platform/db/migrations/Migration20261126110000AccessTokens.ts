import { Migration } from '@mikro-orm/migrations';

/**
 * Issue #5 §3, CRM.COM access tokens: customer credentials (not OAuth tokens), their definitions,
 * the entities they identify and every life-cycle state change (crm-com-access-tokens).
 */
export class Migration20261126110000AccessTokens extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table access_token_definition (
        id uuid primary key,
        name varchar(100) not null,
        classification varchar(50) null,
        active boolean not null default false,
        identifier_format varchar(10) not null check (identifier_format in ('EMAIL', 'PHONE', 'ANY')),
        pass_code_rules jsonb not null,
        require_verification boolean not null default false,
        verification_code_length integer not null default 6 check (verification_code_length between 4 and 10),
        allow_without_credentials boolean not null default false,
        assign_on_registration boolean not null default false,
        communication_channel varchar(10) null check (communication_channel in ('EMAIL', 'SMS')),
        communication_subject varchar(200) null,
        communication_template text null,
        created_at timestamptz not null,
        updated_at timestamptz not null
      );`);
    // "One active definition"; a classification may have its own active one that overrides it.
    this.addSql(`create unique index access_token_definition_active_uq on access_token_definition (coalesce(classification, '')) where active;`);

    this.addSql('create sequence access_token_number_seq;');
    this.addSql(`
      create table access_token (
        id uuid primary key,
        number varchar(20) not null unique,
        definition_id uuid not null references access_token_definition (id),
        classification varchar(50) null,
        identifier varchar(254) null,
        identifier_normalized varchar(254) null,
        pass_code_hash varchar(255) null,
        authentication_code_hash varchar(64) null,
        state varchar(30) not null check (state in ('PENDING_VERIFICATION', 'EFFECTIVE', 'NOT_EFFECTIVE')),
        verified_at timestamptz null,
        verification_code_hash varchar(64) null,
        verification_expires_at timestamptz null,
        verification_attempts integer not null default 0,
        verification_max_attempts integer not null default 0,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        -- "If an Identifier is used then the Pass Code is mandatory"; without both, an authentication code.
        check ((identifier is null) = (pass_code_hash is null)),
        check (identifier is not null or authentication_code_hash is not null)
      );`);
    this.addSql('create unique index access_token_identifier_uq on access_token (identifier_normalized) where identifier_normalized is not null;');
    this.addSql(
      'create unique index access_token_authentication_code_uq on access_token (authentication_code_hash) where authentication_code_hash is not null;',
    );

    this.addSql(`
      create table access_token_entity (
        access_token_id uuid not null references access_token (id) on delete cascade,
        entity_type varchar(30) not null check (entity_type in ('REWARDS_PARTICIPANT', 'ACCOUNTS_RECEIVABLE')),
        customer_id uuid not null references customer (id) on delete cascade,
        created_at timestamptz not null,
        primary key (access_token_id, entity_type)
      );`);
    this.addSql('create index access_token_entity_customer_idx on access_token_entity (customer_id);');

    this.addSql(`
      create table access_token_state_change (
        id bigserial primary key,
        access_token_id uuid not null references access_token (id) on delete cascade,
        from_state varchar(30) null,
        to_state varchar(30) not null,
        reason varchar(30) not null,
        actor varchar(100) null,
        created_at timestamptz not null
      );`);
    this.addSql('create index access_token_state_change_token_idx on access_token_state_change (access_token_id, id);');

    // "If there is no longer any entity related to it, the Life Cycle State is automatically set to
    // Not Effective." The service does this itself when it unlinks (and records who asked); the
    // trigger covers links removed any other way, e.g. by a customer row being deleted.
    this.addSql(`
      create function access_token_entity_unlinked() returns trigger language plpgsql as $$
      declare
        previous varchar(30);
      begin
        if exists (select 1 from access_token_entity where access_token_id = old.access_token_id) then
          return null;
        end if;
        select state into previous from access_token where id = old.access_token_id for update;
        if previous is null or previous = 'NOT_EFFECTIVE' then
          return null;
        end if;
        update access_token set state = 'NOT_EFFECTIVE', updated_at = now() where id = old.access_token_id;
        insert into access_token_state_change (access_token_id, from_state, to_state, reason, actor, created_at)
          values (old.access_token_id, previous, 'NOT_EFFECTIVE', 'NO_LINKED_ENTITY', null, now());
        return null;
      end $$;`);
    this.addSql(`
      create trigger access_token_entity_unlinked after delete on access_token_entity
        for each row execute function access_token_entity_unlinked();`);
  }

  override async down(): Promise<void> {
    this.addSql('drop trigger if exists access_token_entity_unlinked on access_token_entity;');
    this.addSql('drop function if exists access_token_entity_unlinked();');
    for (const table of ['access_token_state_change', 'access_token_entity', 'access_token', 'access_token_definition']) {
      this.addSql(`drop table if exists ${table};`);
    }
    this.addSql('drop sequence if exists access_token_number_seq;');
  }
}
