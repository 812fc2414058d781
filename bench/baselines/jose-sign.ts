import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { CompactSign, jwtVerify } from 'jose';
import { closedLoop } from '../lib/closed-loop.js';

export type TokenAlgorithm = 'RS256' | 'ES256' | 'EdDSA';
export const TOKEN_ALGORITHMS: readonly TokenAlgorithm[] = ['RS256', 'ES256', 'EdDSA'];

/** Key types as src/oauth/keys/service.ts generates them: 2048-bit RSA, P-256, Ed25519. */
function keyPair(alg: TokenAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  if (alg === 'ES256') return generateKeyPairSync('ec', { namedCurve: 'P-256' });
  if (alg === 'EdDSA') return generateKeyPairSync('ed25519');
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

const encoder = new TextEncoder();
const accessTokenPayload = () => {
  const now = Math.floor(Date.now() / 1000);
  return {
    jti: randomUUID(),
    sub: 'client',
    iat: now,
    exp: now + 3600,
    scope: 'users:read',
    client_id: 'client',
    iss: 'http://localhost',
    aud: 'http://localhost/api',
  };
};

/**
 * Ceiling for (a): signatures per second with jose, the way oidc-provider signs a JWT access token
 * (CompactSign over a KeyObject), with `inFlight` signatures outstanding as the connections would
 * keep them. Every token issued costs at least one of these; nothing else is done.
 */
export async function measureJoseSign(seconds: number, inFlight: number, alg: TokenAlgorithm = 'RS256') {
  const { privateKey } = keyPair(alg);
  const sign = () =>
    new CompactSign(encoder.encode(JSON.stringify(accessTokenPayload()))).setProtectedHeader({ alg, typ: 'at+jwt', kid: 'bench' }).sign(privateKey);
  await closedLoop(Math.min(1, seconds / 4), inFlight, sign);
  const result = await closedLoop(seconds, inFlight, sign);
  return { alg, signsPerSecond: result.perSecond, cpuMsPerSign: result.cpuMsPerOperation };
}

/**
 * Issue 14 item 4, the raw crypto side: CPU per signature and per verification (jwtVerify with
 * the checks a resource server makes) for each algorithm, in this process, `inFlight` at a time.
 * "Issue once, verify k times" costs sign + k × verify.
 */
export async function measureTokenAlgorithms(seconds: number, inFlight: number) {
  const results: Array<{ alg: TokenAlgorithm; signCpuMs: number; verifyCpuMs: number; signsPerSecond: number; verifiesPerSecond: number }> = [];
  for (const alg of TOKEN_ALGORITHMS) {
    const { privateKey, publicKey } = keyPair(alg);
    const sign = () =>
      new CompactSign(encoder.encode(JSON.stringify(accessTokenPayload()))).setProtectedHeader({ alg, typ: 'at+jwt', kid: 'bench' }).sign(privateKey);
    const token = await sign();
    const verify = () =>
      jwtVerify(token, publicKey, {
        issuer: 'http://localhost',
        audience: 'http://localhost/api',
        algorithms: [alg],
        typ: 'at+jwt',
        requiredClaims: ['exp', 'iat', 'jti', 'sub', 'client_id'],
      });
    await closedLoop(Math.min(1, seconds / 4), inFlight, sign);
    const signed = await closedLoop(seconds, inFlight, sign);
    await closedLoop(Math.min(1, seconds / 4), inFlight, verify);
    const verified = await closedLoop(seconds, inFlight, verify);
    results.push({
      alg,
      signCpuMs: Math.round(signed.cpuMsPerOperation * 1000) / 1000,
      verifyCpuMs: Math.round(verified.cpuMsPerOperation * 1000) / 1000,
      signsPerSecond: Math.round(signed.perSecond),
      verifiesPerSecond: Math.round(verified.perSecond),
    });
  }
  return results;
}
