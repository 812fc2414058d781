import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from 'koa';
import type { Orm } from '../db/orm.js';
import { clientSecretMatches, findClientMetadata } from '../clients/service.js';
import type { ClientMetadataCache } from '../clients/cache.js';
import { ApiError } from '../http/errors.js';

export interface AuthenticatedClient {
  clientId: string;
  isPublic: boolean;
}

const invalidClient = () =>
  new ApiError(401, 'invalid_client', 'client authentication failed', undefined, { 'WWW-Authenticate': 'Basic realm="gatehouse"' });

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  if (!header?.toLowerCase().startsWith('basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator < 0) return undefined;
  // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
  const decode = (part: string) => decodeURIComponent(part.replace(/\+/g, ' '));
  return { id: decode(decoded.slice(0, separator)), secret: decode(decoded.slice(separator + 1)) };
}

/**
 * Client authentication for the JWT paths of introspection and revocation, which Gatehouse
 * answers itself (oidc-provider refuses structured tokens there). Accepts the methods clients are
 * registered with: client_secret_basic, client_secret_post and none (public clients).
 */
export async function authenticateClient(
  orm: Orm,
  ctx: Context,
  body: Record<string, unknown>,
  clients?: Pick<ClientMetadataCache, 'get'>,
): Promise<AuthenticatedClient> {
  const basic = basicCredentials(ctx.get('authorization'));
  const clientId = basic?.id ?? (typeof body.client_id === 'string' ? body.client_id : undefined);
  const secret = basic?.secret ?? (typeof body.client_secret === 'string' ? body.client_secret : undefined);
  if (!clientId) throw invalidClient();
  const metadata = clients ? await clients.get(clientId) : await findClientMetadata(orm.em.fork() as EntityManager, clientId);
  if (!metadata) throw invalidClient();
  const method = metadata.token_endpoint_auth_method;
  if (method === 'none') {
    if (secret !== undefined) throw invalidClient();
    return { clientId, isPublic: true };
  }
  if (secret === undefined || typeof metadata.client_secret !== 'string') throw invalidClient();
  if ((method === 'client_secret_basic') !== Boolean(basic)) throw invalidClient();
  if (!clientSecretMatches(metadata.client_secret, secret)) throw invalidClient();
  return { clientId, isPublic: false };
}
