import type { Context, Next } from 'koa';

/**
 * Every URL Gatehouse and oidc-provider build (discovery, JWKS, redirects, DPoP `htu`) derives
 * from ISSUER, never from what the request says: the Host and X-Forwarded-* headers are rewritten
 * to ISSUER's host and scheme before anything reads them (issue #10 §6; `Host: evil.example`
 * used to move every endpoint in discovery). The client address honours X-Forwarded-For only with
 * TRUST_PROXY, and is handed on as the one forwarded address.
 */
export function pinRequestToIssuer(issuer: string, trustProxy: boolean) {
  const { host, protocol } = new URL(issuer);
  const scheme = protocol.slice(0, -1);
  return async (ctx: Context, next: Next) => {
    const headers = ctx.req.headers;
    const forwardedFor = typeof headers['x-forwarded-for'] === 'string' ? headers['x-forwarded-for'].split(',')[0]?.trim() : undefined;
    const ip = (trustProxy && forwardedFor) || ctx.req.socket.remoteAddress || '';
    headers.host = host;
    headers['x-forwarded-proto'] = scheme;
    headers['x-forwarded-for'] = ip;
    delete headers['x-forwarded-host'];
    delete headers.forwarded;
    ctx.request.ip = ip;
    await next();
  };
}
