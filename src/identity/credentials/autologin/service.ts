import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { randomToken, sha256 } from '../../../platform/crypto/secrets.js';
import { AutologinTokenEntity } from './entities.js';

export async function createAutologinToken(
  em: EntityManager,
  input: { customerId: string; validForSeconds: number; maxUses: number; validFrom?: Date },
): Promise<{ token: string; id: string; validTo: Date }> {
  const token = randomToken(24);
  const validFrom = input.validFrom ?? new Date();
  const validTo = new Date(validFrom.getTime() + input.validForSeconds * 1000);
  const id = randomUUID();
  em.create(AutologinTokenEntity, {
    id,
    tokenHash: sha256(token),
    customerId: input.customerId,
    validFrom,
    validTo,
    maxUses: input.maxUses,
    usedCount: 0,
    createdAt: new Date(),
  });
  await em.flush();
  return { token, id, validTo };
}

/**
 * Uses one of the token's allowed uses, atomically: two concurrent logins with a single-use token
 * cannot both succeed. Returns the customer, or null when unknown, expired or used up.
 */
export async function consumeAutologinToken(em: EntityManager, token: string): Promise<string | null> {
  const rows = await em.getConnection().execute<{ customer_id: string }[]>(
    `update autologin_token set used_count = used_count + 1, last_used_at = now()
      where token_hash = ? and used_count < max_uses and valid_from <= now() and valid_to > now()
      returning customer_id`,
    [sha256(token)],
  );
  return rows[0]?.customer_id ?? null;
}
