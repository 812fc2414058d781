import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { randomToken, sha256 } from '../../../platform/crypto/secrets.js';
import { DeviceGrantEntity, DeviceTokenEntity, type DeviceTokenRow } from './entities.js';

/** REMP `get-device-token`: a new random token for a device id; only its hash is kept. */
export async function createDeviceToken(em: EntityManager, deviceId: string, customerId?: string): Promise<{ token: string; row: DeviceTokenRow }> {
  const token = randomToken(24);
  const row = em.create(DeviceTokenEntity, {
    id: randomUUID(),
    tokenHash: sha256(token),
    deviceId,
    customerId: customerId ?? null,
    createdAt: new Date(),
  });
  await em.flush();
  return { token, row };
}

export async function findActiveDeviceToken(em: EntityManager, token: string): Promise<DeviceTokenRow | null> {
  return em.findOne(DeviceTokenEntity, { tokenHash: sha256(token), revokedAt: null });
}

/**
 * Pairs a grant with a device. A device belongs to the first customer that pairs with it; another
 * customer presenting the same device token is refused so logging out one cannot touch the other.
 */
export async function pairDeviceWithGrant(em: EntityManager, token: string, grantId: string, customerId: string): Promise<boolean> {
  const device = await findActiveDeviceToken(em, token);
  if (!device) return false;
  if (device.customerId && device.customerId !== customerId) return false;
  device.customerId = customerId;
  device.lastUsedAt = new Date();
  em.create(DeviceGrantEntity, { deviceTokenId: device.id, grantId, createdAt: new Date() });
  await em.flush();
  return true;
}

export async function pairedGrantIds(em: EntityManager, deviceTokenId: string): Promise<string[]> {
  const rows = await em.find(DeviceGrantEntity, { deviceTokenId });
  return rows.map((row) => row.grantId);
}

/** Marks the device token revoked and returns the grants whose tokens must be revoked with it. */
export async function revokeDeviceToken(em: EntityManager, device: DeviceTokenRow): Promise<string[]> {
  const grantIds = await pairedGrantIds(em, device.id);
  device.revokedAt = new Date();
  await em.nativeDelete(DeviceGrantEntity, { deviceTokenId: device.id });
  await em.flush();
  return grantIds;
}
