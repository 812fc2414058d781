import { createHash, randomBytes } from 'node:crypto';

/** A minimal cookie jar over fetch, for driving the sign-in and consent pages without a browser. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  values(): string[] {
    return [...this.cookies.values()];
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const separator = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, separator).trim(), pair!.slice(separator + 1));
    }
  }

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: this.header() } });
    this.store(response);
    return response;
  }
}

export function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

/**
 * Authorization code + PKCE through Gatehouse's real sign-in and consent pages (fetch, cookies,
 * CSRF tokens), returning the code that reaches the client's redirect URI.
 */
export async function obtainAuthorizationCode(
  baseUrl: string,
  request: { clientId: string; redirectUri: string; scope: string; challenge: string; user: { email: string; password: string } },
): Promise<string> {
  const callback = await obtainAuthorizationCallback(baseUrl, { ...request, state: randomBytes(8).toString('hex') });
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`no code in ${callback}`);
  return code;
}

/** The same flow, answering the whole callback URL (code, state, iss) for a client library to validate. */
export async function obtainAuthorizationCallback(
  baseUrl: string,
  request: {
    clientId: string;
    redirectUri: string;
    scope: string;
    challenge: string;
    state: string;
    user: { email: string; password: string };
    extra?: Record<string, string>;
  },
  jar = new CookieJar(),
): Promise<URL> {
  const query = new URLSearchParams({
    client_id: request.clientId,
    redirect_uri: request.redirectUri,
    response_type: 'code',
    scope: request.scope,
    code_challenge: request.challenge,
    code_challenge_method: 'S256',
    state: request.state,
    prompt: 'consent',
    ...request.extra,
  });
  let location = `${baseUrl}/oauth/authorize?${query}`;
  for (let step = 0; step < 12; step += 1) {
    if (location.startsWith(request.redirectUri)) return new URL(location);
    const response = await jar.fetch(new URL(location, baseUrl).toString());
    if (response.status >= 300 && response.status < 400) {
      location = new URL(response.headers.get('location')!, baseUrl).toString();
      continue;
    }
    const html = await response.text();
    const path = new URL(response.url || location).pathname;
    const form = /name="password"/.test(html)
      ? { action: `${path}/login`, fields: { email: request.user.email, password: request.user.password } as Record<string, string> }
      : { action: `${path}/confirm`, fields: {} as Record<string, string> };
    const posted = await jar.fetch(`${baseUrl}${form.action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...form.fields, csrf: csrfOf(html) }).toString(),
    });
    if (posted.status !== 303) throw new Error(`${form.action} answered ${posted.status}: ${(await posted.text()).slice(0, 300)}`);
    location = new URL(posted.headers.get('location')!, baseUrl).toString();
  }
  throw new Error('the authorization flow did not reach the redirect URI');
}
