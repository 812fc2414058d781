import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261126000000Foundation } from './Migration20261126000000Foundation.js';
import { Migration20261126010000Tenants } from './Migration20261126010000Tenants.js';
import { Migration20261126020000Identity } from './Migration20261126020000Identity.js';
import { Migration20261126030000ApiKeys } from './Migration20261126030000ApiKeys.js';
import { Migration20261126040000UserMeta } from './Migration20261126040000UserMeta.js';
import { Migration20261126050000Otp } from './Migration20261126050000Otp.js';
import { Migration20261126070000Outbox } from './Migration20261126070000Outbox.js';
import { Migration20261126080000UsersApi } from './Migration20261126080000UsersApi.js';
import { Migration20261126090000Webhooks } from './Migration20261126090000Webhooks.js';
import { Migration20261126091000SessionmProfiles } from './Migration20261126091000SessionmProfiles.js';
import { Migration20261126100000Contacts } from './Migration20261126100000Contacts.js';
import { Migration20261126110000AccessTokens } from './Migration20261126110000AccessTokens.js';
import { Migration20261130000000TokenIntegrity } from './Migration20261130000000TokenIntegrity.js';
import { Migration20261130114859NumericIds } from './Migration20261130114859NumericIds.js';
import { Migration20261130114900AccessTokenPassCodeTag } from './Migration20261130114900AccessTokenPassCodeTag.js';
import { Migration20261130130000SigningKeyEdDSA } from './Migration20261130130000SigningKeyEdDSA.js';
import { Migration20261130200000RateLimitPending } from './Migration20261130200000RateLimitPending.js';

/** Every committed migration, in order. Listed explicitly so they run the same from tsx, tests and Docker. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261126000000Foundation', class: Migration20261126000000Foundation },
  { name: 'Migration20261126010000Tenants', class: Migration20261126010000Tenants },
  { name: 'Migration20261126020000Identity', class: Migration20261126020000Identity },
  { name: 'Migration20261126030000ApiKeys', class: Migration20261126030000ApiKeys },
  { name: 'Migration20261126040000UserMeta', class: Migration20261126040000UserMeta },
  { name: 'Migration20261126050000Otp', class: Migration20261126050000Otp },
  { name: 'Migration20261126070000Outbox', class: Migration20261126070000Outbox },
  { name: 'Migration20261126080000UsersApi', class: Migration20261126080000UsersApi },
  { name: 'Migration20261126090000Webhooks', class: Migration20261126090000Webhooks },
  { name: 'Migration20261126091000SessionmProfiles', class: Migration20261126091000SessionmProfiles },
  { name: 'Migration20261126100000Contacts', class: Migration20261126100000Contacts },
  { name: 'Migration20261126110000AccessTokens', class: Migration20261126110000AccessTokens },
  { name: 'Migration20261130000000TokenIntegrity', class: Migration20261130000000TokenIntegrity },
  { name: 'Migration20261130114859NumericIds', class: Migration20261130114859NumericIds },
  { name: 'Migration20261130114900AccessTokenPassCodeTag', class: Migration20261130114900AccessTokenPassCodeTag },
  { name: 'Migration20261130130000SigningKeyEdDSA', class: Migration20261130130000SigningKeyEdDSA },
  { name: 'Migration20261130200000RateLimitPending', class: Migration20261130200000RateLimitPending },
];
