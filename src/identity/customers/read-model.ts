import { isUuid } from '../../platform/uuid.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { CustomerRow } from './entities.js';
import { preparedStatement, queryPrepared } from '../../platform/db/prepared.js';
import { queryPreparedReadMostly } from '../../platform/db/read-replica.js';
import type { Orm } from '../../platform/db/orm.js';

export type CustomerSummary = Pick<
  CustomerRow,
  | 'id'
  | 'numericId'
  | 'email'
  | 'emailVerifiedAt'
  | 'phoneNumber'
  | 'phoneVerifiedAt'
  | 'firstName'
  | 'lastName'
  | 'locale'
  | 'roles'
  | 'confirmedAt'
  | 'createdAt'
  | 'updatedAt'
> & { publicMeta: Record<string, string> };

export interface CustomerSummaryRow {
  id: string;
  numeric_id: number;
  email: string | null;
  email_verified_at: Date | string | null;
  phone_number: string | null;
  phone_verified_at: Date | string | null;
  first_name: string | null;
  last_name: string | null;
  locale: string | null;
  roles: string[];
  confirmed_at: Date | string | null;
  created_at: Date | string;
  updated_at: Date | string;
  public_meta: Record<string, string> | null;
}

/**
 * The columns of a customer summary over the customer row `c`, for statements that read one
 * alongside something else: the account of a refresh token comes with the token (src/oauth/adapter.ts).
 */
export const CUSTOMER_SUMMARY_COLUMNS = `c.id, c.numeric_id, c.email, c.email_verified_at, c.phone_number, c.phone_verified_at, c.first_name, c.last_name,
          c.locale, c.roles, c.confirmed_at, c.created_at, c.updated_at,
          (select json_object_agg(m.key, m.value) from user_meta m where m.customer_id = c.id and m.is_public) as public_meta`;

/** Which customers are usable: not deactivated, not anonymised. */
export const USABLE_CUSTOMER = 'c.deactivated_at is null and c.anonymized_at is null';

const READ_CUSTOMER_SUMMARY = preparedStatement('customer_summary', `select ${CUSTOMER_SUMMARY_COLUMNS} from customer c where c.id = ? and ${USABLE_CUSTOMER}`);

/**
 * Read-only view of a usable customer and its public meta in one query, for the hot read paths
 * (user info, userinfo, ID-token claims). Going through the entity manager here cost several
 * times the query itself (bench/ profile of scenario d); writes still go through entities.
 */
export async function readCustomerSummary(em: EntityManager, id: string): Promise<CustomerSummary | null> {
  if (!isUuid(id)) return null;
  const [row] = await queryPrepared<CustomerSummaryRow>(em, READ_CUSTOMER_SUMMARY, [id]);
  return row ? customerSummaryFromRow(row) : null;
}

/**
 * User info (`GET /api/v1/user/info`, `/oauth/userinfo`): the same read, from the read replica when
 * one is configured and caught up, unless this customer's rows were written on this node since
 * (src/platform/db/read-replica.ts). ID-token claims at issuance keep reading the primary.
 */
export async function readCustomerSummaryReadMostly(orm: Orm, id: string): Promise<CustomerSummary | null> {
  if (!isUuid(id)) return null;
  const [row] = await queryPreparedReadMostly<CustomerSummaryRow>(orm, 'user_info', { customerId: id }, READ_CUSTOMER_SUMMARY, [id]);
  return row ? customerSummaryFromRow(row) : null;
}

/** A summary row as node-postgres returns it, or as JSON (timestamps as text) from a statement that nests it. */
export function customerSummaryFromRow(row: CustomerSummaryRow): CustomerSummary {
  const date = (value: Date | string | null) => (value === null ? null : new Date(value));
  return {
    id: row.id,
    numericId: row.numeric_id,
    email: row.email,
    emailVerifiedAt: date(row.email_verified_at),
    phoneNumber: row.phone_number,
    phoneVerifiedAt: date(row.phone_verified_at),
    firstName: row.first_name,
    lastName: row.last_name,
    locale: row.locale,
    roles: row.roles ?? [],
    confirmedAt: date(row.confirmed_at),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    publicMeta: row.public_meta ?? {},
  };
}
