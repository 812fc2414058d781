import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { CompactSign } from 'jose';
import { closedLoop } from '../lib/closed-loop.js';

/**
 * Ceiling for (a): signatures per second with jose, the way oidc-provider signs a JWT access token
 * (CompactSign over a KeyObject: 2048-bit RSA or P-256, as src/oauth/keys/service.ts generates), with
 * `inFlight` signatures outstanding as the connections would keep them. Every token issued costs
 * at least one of these; nothing else is done.
 */
export async function measureJoseSign(seconds: number, inFlight: number, alg: 'RS256' | 'ES256' = 'RS256') {
  const { privateKey } = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const encoder = new TextEncoder();
  const sign = () => {
    const now = Math.floor(Date.now() / 1000);
    const payload = { jti: randomUUID(), sub: 'client', iat: now, exp: now + 3600, scope: 'users:read', client_id: 'client', iss: 'http://localhost', aud: 'http://localhost/api' };
    return new CompactSign(encoder.encode(JSON.stringify(payload))).setProtectedHeader({ alg, typ: 'at+jwt', kid: 'bench' }).sign(privateKey);
  };
  await closedLoop(Math.min(1, seconds / 4), inFlight, sign);
  const result = await closedLoop(seconds, inFlight, sign);
  return { alg, signsPerSecond: result.perSecond, cpuMsPerSign: result.cpuMsPerOperation };
}
