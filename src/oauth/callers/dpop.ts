import { requestEntityManager } from '../../platform/db/orm.js';
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, jwtVerify, EmbeddedJWK, type JWTPayload } from 'jose';
import type { Orm } from '../../platform/db/orm.js';
import { constantTimeEqual, deriveKey, hmac } from '../../platform/crypto/secrets.js';

/** Proof algorithms accepted (RFC 9449 §5.1: asymmetric only), advertised in the `algs` challenge parameter. */
export const DPOP_ALGORITHMS = ['ES256', 'PS256', 'RS256', 'EdDSA'] as const;

/** Why a proof was refused; the resource server turns it into `WWW-Authenticate: DPoP error=…`. */
export class DpopProofError extends Error {
  constructor(
    message: string,
    readonly error: 'invalid_dpop_proof' | 'use_dpop_nonce' = 'invalid_dpop_proof',
  ) {
    super(message);
    this.name = 'DpopProofError';
  }
}

export interface DpopSettings {
  /** Only `iat` within this many seconds of now is accepted (RFC 9449 §11.1). */
  proofMaxAgeSeconds: number;
  /** Require a server-provided nonce (RFC 9449 §9), handed out in `DPoP-Nonce`. */
  requireNonce: boolean;
}

export interface DpopProofRequest {
  /** The `DPoP` header values; exactly one is allowed (RFC 9449 §4.3 check 1). */
  proofs: string[];
  method: string;
  /** The request URL as the client addressed it: ISSUER's origin + path, no query or fragment. */
  url: string;
  accessToken: string;
  /** `cnf.jkt` of the access token. */
  expectedThumbprint: string;
}

/**
 * RFC 9449 §7.1 proof verification at Gatehouse's own resource routes (oidc-provider only checks
 * proofs at its own endpoints). Replay of a proof's `jti` is refused through `replay_guard`,
 * shared by every instance, with one insert whose conflict is the replay.
 */
export function createDpopVerifier(deps: { orm: Orm; secret: string; settings: DpopSettings }) {
  const nonceKey = deriveKey(deps.secret, 'dpop-nonce');
  const NONCE_WINDOW_SECONDS = 60;
  const nonceFor = (window: number) => hmac(nonceKey, String(window)).slice(0, 32);
  const currentWindow = () => Math.floor(Date.now() / 1000 / NONCE_WINDOW_SECONDS);

  /** A stateless nonce valid for this window and the next; any instance can check it. */
  const currentNonce = () => nonceFor(currentWindow());
  const nonceIsCurrent = (nonce: unknown) =>
    typeof nonce === 'string' && [currentWindow(), currentWindow() - 1].some((window) => constantTimeEqual(nonce, nonceFor(window)));

  async function rememberOnce(thumbprint: string, jti: string): Promise<boolean> {
    const em = requestEntityManager(deps.orm);
    const rows = await em
      .getConnection()
      .execute<{ value: string }[]>(
        `insert into replay_guard (kind, value, expires_at) values ('dpop', ?, ?) on conflict (kind, value) do nothing returning value`,
        [createHash('sha256').update(`${thumbprint}:${jti}`).digest('base64url'), new Date(Date.now() + (deps.settings.proofMaxAgeSeconds * 2 + 60) * 1000)],
      );
    return rows.length === 1;
  }

  return {
    currentNonce,
    async verify(request: DpopProofRequest): Promise<void> {
      if (request.proofs.length !== 1 || !request.proofs[0]) throw new DpopProofError('exactly one DPoP proof is required');
      const proof = request.proofs[0];
      let header: ReturnType<typeof decodeProtectedHeader>;
      try {
        header = decodeProtectedHeader(proof);
      } catch {
        throw new DpopProofError('the DPoP proof is not a JWT');
      }
      if (header.typ !== 'dpop+jwt') throw new DpopProofError('the DPoP proof must have typ dpop+jwt');
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [...DPOP_ALGORITHMS] }));
      } catch {
        throw new DpopProofError('the DPoP proof signature is invalid');
      }
      if (header.jwk && 'd' in header.jwk) throw new DpopProofError('the DPoP proof carries a private key');
      if (typeof payload.jti !== 'string' || payload.jti.length < 8 || payload.jti.length > 256) throw new DpopProofError('the DPoP proof has no usable jti');
      if (payload.htm !== request.method) throw new DpopProofError('the DPoP proof is for another method');
      if (typeof payload.htu !== 'string' || stripQuery(payload.htu) !== request.url) throw new DpopProofError('the DPoP proof is for another URL');
      const now = Math.floor(Date.now() / 1000);
      if (typeof payload.iat !== 'number' || payload.iat > now + 5 || payload.iat < now - deps.settings.proofMaxAgeSeconds) {
        throw new DpopProofError('the DPoP proof is expired or not yet valid');
      }
      const ath = createHash('sha256').update(request.accessToken).digest('base64url');
      if (typeof payload.ath !== 'string' || !constantTimeEqual(payload.ath, ath)) throw new DpopProofError('the DPoP proof is for another access token');
      const thumbprint = await calculateJwkThumbprint(header.jwk!, 'sha256');
      if (!constantTimeEqual(thumbprint, request.expectedThumbprint)) throw new DpopProofError('the DPoP proof key is not the one the token is bound to');
      if (deps.settings.requireNonce && !nonceIsCurrent(payload.nonce)) throw new DpopProofError('a fresh DPoP nonce is required', 'use_dpop_nonce');
      if (!(await rememberOnce(thumbprint, payload.jti))) throw new DpopProofError('the DPoP proof was already used');
    },
  };
}

export type DpopVerifier = ReturnType<typeof createDpopVerifier>;

/** RFC 9449 §4.3 check 9: htu is compared without query and fragment. */
function stripQuery(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '';
  }
}
