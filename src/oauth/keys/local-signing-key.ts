import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { JWK } from 'jose';
import { ExternalSigningKey } from 'oidc-provider';
import { KEY_ALGORITHMS, type SigningAlgorithm } from './service.js';

const signOnPool = promisify(sign);

/**
 * A current Gatehouse signing key, handed to oidc-provider as an ExternalSigningKey (its
 * `externalSigningSupport` feature, meant for KMS and HSM signers) so that the signature is made
 * by node:crypto's callback API rather than by jose through WebCrypto. Both run the signature on
 * the libuv pool; WebCrypto's per-call machinery (algorithm normalisation, WebIDL conversions,
 * CryptoKey checks, buffer copies, its promise job) is what cost. In paired quick runs of the
 * bench (README Benchmarks) client credentials went 0.19–0.20 → 0.17 ms of CPU per token and
 * 6,000 → 7,300/s, a refresh rotation 0.99–1.07 → 0.89 ms.
 *
 * Signing on the calling thread instead (node:crypto's synchronous sign) was tried: it saved no
 * CPU under load and, with the event loop doing every signature, cut client credentials to
 * about 5,100/s. The private key never leaves this object: oidc-provider gets the public half
 * from keyObject() (its JWKS and its own verifications) and the signature from sign().
 */
export class LocalSigningKey extends ExternalSigningKey {
  readonly #privateKey: KeyObject;
  readonly #publicKey: KeyObject;
  readonly #kid: string;
  readonly #alg: SigningAlgorithm;

  constructor(jwk: JWK) {
    super();
    const alg = KEY_ALGORITHMS.find((known) => known === jwk.alg);
    if (!jwk.kid || !alg) throw new Error(`signing key ${jwk.kid ?? '(no kid)'}: unsupported algorithm ${jwk.alg}`);
    this.#kid = jwk.kid;
    this.#alg = alg;
    this.#privateKey = createPrivateKey({ key: jwk as Record<string, unknown>, format: 'jwk' });
    this.#publicKey = createPublicKey(this.#privateKey);
  }

  override get kid(): string {
    return this.#kid;
  }

  override get alg(): string {
    return this.#alg;
  }

  override keyObject(): KeyObject {
    return this.#publicKey;
  }

  override async sign(data: Uint8Array): Promise<Uint8Array> {
    switch (this.#alg) {
      // JWS ECDSA signatures are R || S (RFC 7518 §3.4), not DER.
      case 'ES256':
        return signOnPool('sha256', data, { key: this.#privateKey, dsaEncoding: 'ieee-p1363' });
      case 'EdDSA':
        return signOnPool(null, data, this.#privateKey);
      case 'RS256':
        return signOnPool('sha256', data, this.#privateKey);
    }
  }
}
