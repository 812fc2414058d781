import type { Middleware } from 'koa';
import type { Authenticator, Caller } from './authenticator.js';

/**
 * CRM.COM back-office endpoints (`/backoffice/v1/...`): a client-credentials token with the
 * scope, or an API key whitelisted for the endpoint id (e.g. `backoffice.contacts.write`).
 * Customers' own tokens are refused: the back office acts on any contact.
 */
export function backofficeEndpoint(auth: Authenticator, endpoint: string, scope: 'contacts:read' | 'contacts:write'): Middleware {
  return auth.authenticate({ scopes: [scope], allowApiKey: { endpoint }, allowUser: false });
}

/**
 * CRM.COM self-service endpoints called by an application with its `api_key` header before any
 * customer is signed in (e.g. `contacts.register`); only API keys whitelisted for the id.
 */
export function selfServiceEndpoint(auth: Authenticator, endpoint: string): Middleware {
  return auth.authenticate({ allowApiKey: { endpoint }, allowUser: false, allowClient: false });
}

/** Who asked, as recorded with access-token state changes. */
export function actorOf(caller: Caller): string {
  if (caller.kind === 'client') return `client:${caller.clientId}`;
  if (caller.kind === 'api_key') return `api_key:${caller.keyId}`;
  return `user:${caller.customerId}`;
}
