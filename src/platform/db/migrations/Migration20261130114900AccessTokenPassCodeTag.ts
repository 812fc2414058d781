import { Migration } from '@mikro-orm/migrations';

/**
 * Issue #13 §7: CRM.COM's communication template carries `#access_token.pass_code`
 * (crm-com-access-tokens, business example). Sending a pass code in clear by e-mail or SMS is a
 * security trade-off, so a definition opts in to it; existing definitions keep the pass code out.
 */
export class Migration20261130114900AccessTokenPassCodeTag extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table access_token_definition add column communicate_pass_code boolean not null default false;');
  }

  override async down(): Promise<void> {
    this.addSql('alter table access_token_definition drop column communicate_pass_code;');
  }
}
