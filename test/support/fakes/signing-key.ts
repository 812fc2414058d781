import { randomBytes } from 'node:crypto';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK, type JWTPayload, type CryptoKey } from 'jose';

export interface Rs256SigningKey {
  kid: string;
  publicJwk: JWK;
  publicPem: string;
  sign(payload: JWTPayload, opts?: { signWithForeignKey?: boolean }): Promise<string>;
}

/**
 * An RS256 key published by a fake identity provider, plus an unpublished "foreign" key that
 * reuses the same kid, so tests can produce tokens whose signature must fail verification.
 */
export async function createRs256SigningKey(): Promise<Rs256SigningKey> {
  const kid = randomBytes(10).toString('hex');
  const published = await generateKeyPair('RS256', { extractable: true });
  let foreignPrivateKey: CryptoKey | undefined;

  const publicJwk: JWK = { ...(await exportJWK(published.publicKey)), kid, alg: 'RS256', use: 'sig' };
  const publicPem = await exportSPKI(published.publicKey);

  async function sign(payload: JWTPayload, opts: { signWithForeignKey?: boolean } = {}): Promise<string> {
    let privateKey = published.privateKey;
    if (opts.signWithForeignKey) {
      foreignPrivateKey ??= (await generateKeyPair('RS256')).privateKey;
      privateKey = foreignPrivateKey;
    }
    return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(privateKey);
  }

  return { kid, publicJwk, publicPem, sign };
}

export function randomToken(prefix = ''): string {
  return prefix + randomBytes(24).toString('base64url');
}

export function nowInSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
