import type autocannon from 'autocannon';
import type { BenchUser, ClientCredentials, TokenResponse } from '../lib/fixtures.js';
import { basicAuth, FORM_HEADERS, form } from '../lib/load.js';

type Requests = () => autocannon.Request[];

const tokenRequest = (client: ClientCredentials) => ({
  method: 'POST' as const,
  path: '/oauth/token',
  headers: { ...FORM_HEADERS, authorization: basicAuth(client.clientId, client.clientSecret) },
});

/** (a) One client, the same request every time: no state on the server, one signature per token. */
export function clientCredentialsRequests(client: ClientCredentials, scope: string): Requests {
  const body = form({ grant_type: 'client_credentials', scope });
  return () => [{ ...tokenRequest(client), body }];
}

/**
 * Refresh tokens rotate (each is accepted once), so every request needs one nobody used. The pool
 * circulates: a request takes the oldest unused token and a successful response puts the new one
 * back, so a few times `connections` tokens (from password grants) sustain a run of any length
 * and every token is presented exactly once. A failed request loses its chain, like a client
 * would; if the pool ever ran dry the request carries an unusable token and counts as an error.
 */
export class RefreshTokenPool {
  private readonly tokens: string[];
  private head = 0;

  constructor(initial: readonly string[]) {
    this.tokens = [...initial];
  }

  take(): string | undefined {
    if (this.head >= this.tokens.length) return undefined;
    const token = this.tokens[this.head]!;
    this.head += 1;
    if (this.head > 4096) {
      this.tokens.splice(0, this.head);
      this.head = 0;
    }
    return token;
  }

  give(token: string) {
    this.tokens.push(token);
  }

  get size() {
    return this.tokens.length - this.head;
  }

  /** Tokens not yet presented (the two-instance check introspects these after the kill). */
  remaining(): string[] {
    return this.tokens.slice(this.head);
  }
}

export function refreshTokenRequests(client: ClientCredentials, pool: RefreshTokenPool, onIssued?: (tokens: TokenResponse) => void): Requests {
  return () => [
    {
      ...tokenRequest(client),
      setupRequest: (request) => ({ ...request, body: form({ grant_type: 'refresh_token', refresh_token: pool.take() ?? 'pool-exhausted' }) }),
      onResponse: (status, body) => {
        if (status !== 200) return;
        const tokens = JSON.parse(body) as TokenResponse;
        if (tokens.refresh_token) pool.give(tokens.refresh_token);
        onIssued?.(tokens);
      },
    },
  ];
}

/** (c) The resource-owner password grant, cycling over the seeded customers. */
export function passwordRequests(client: ClientCredentials, users: readonly BenchUser[], scope: string): Requests {
  let next = 0;
  return () => [
    {
      ...tokenRequest(client),
      setupRequest: (request) => {
        const user = users[next++ % users.length]!;
        return { ...request, body: form({ grant_type: 'password', username: user.email, password: user.password, scope }) };
      },
    },
  ];
}

/** (e) RFC 7662 introspection of one token by a confidential client (a resource server). */
export function introspectionRequests(client: ClientCredentials, token: string): Requests {
  const body = form({ token });
  return () => [
    { method: 'POST', path: '/oauth/introspect', headers: { ...FORM_HEADERS, authorization: basicAuth(client.clientId, client.clientSecret) }, body },
  ];
}

/** (d) A resource request authorised by a JWT access token. */
export function bearerRequests(path: string, accessToken: string): Requests {
  return () => [{ method: 'GET', path, headers: { authorization: `Bearer ${accessToken}` } }];
}
