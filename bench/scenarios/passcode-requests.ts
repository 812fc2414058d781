import { randomBytes } from 'node:crypto';
import type autocannon from 'autocannon';

/**
 * (f) The passcode trust flow, as a pair: the customer submits a new pass_key (public endpoint),
 * then the agent looks it up with the tenant's API key. Each pair uses a key never used before.
 * The key travels from the first request to the second in autocannon's per-connection context.
 */
export function passcodeRequests(tenant: { id: string; apiKey: string }): () => autocannon.Request[] {
  const run = randomBytes(3).toString('hex');
  let counter = 0;
  return () => [
    {
      method: 'POST',
      path: `/api/v2/${tenant.id}/identity/passcode`,
      headers: { 'content-type': 'application/json' },
      setupRequest: (request, context) => {
        const passKey = `bench ${run} ${(counter++).toString(36)}`;
        (context as { passKey?: string }).passKey = passKey;
        return { ...request, body: JSON.stringify({ pass_key: passKey }) };
      },
    },
    {
      method: 'GET',
      headers: { 'x-api-key': tenant.apiKey },
      setupRequest: (request, context) => ({
        ...request,
        path: `/api/v2/${tenant.id}/identity/passcode/${encodeURIComponent((context as { passKey?: string }).passKey ?? 'missing')}`,
      }),
    },
  ];
}
