import type { EntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAutologinToken } from '../../src/identity/credentials/autologin/service.js';
import { passwordVerificationCount } from '../../src/platform/crypto/passwords.js';
import { startCrmWorld, type CrmWorld } from '../contacts/support.js';
import { codeIn, newEmail, newPhone, OTP_GRANT, sleep } from '../otp/support.js';
import { obtainAuthorizationCode, pkcePair } from '../support/code-flow.js';
import { postForm, startSecondInstance } from '../support/server.js';
import { getPasscode, postPasscode, readyTenant, serviceAdminToken, type ReadyTenant } from '../tenants/support.js';

// Issue #10 §1–2: every single-use item is consumed by one atomic statement, so of 20 concurrent
// redemptions split across two Gatehouse instances on one PostgreSQL exactly one succeeds, every
// time; and a limiter reserves its attempt before the credential is verified.
const REPETITIONS = 20;
const CONCURRENT = 20;
const REDIRECT_URI = 'https://app.example/callback';

let world: CrmWorld;
let second: { url: string; stop(): Promise<void> };
let app: { clientId: string; clientSecret?: string };
let user: { id: string; email: string; password: string };
let operator: string;

beforeAll(async () => {
  world = await startCrmWorld({ PASSCODE_LOOKUP_PER_KEY: '1000', PASSCODE_CREATE_PER_IP: '1000', PASSCODE_CREATE_PER_KEY: '1000' });
  second = await startSecondInstance(world.server);
  app = await world.server.createClient({
    name: 'Race app',
    redirectUris: [REDIRECT_URI],
    grantTypes: ['authorization_code', 'refresh_token', 'password', OTP_GRANT, 'urn:gatehouse:grant-type:autologin-token'],
    scope: 'openid email offline_access users:read',
  });
  user = await world.server.createUser();
  operator = await serviceAdminToken(world.server);
});
afterAll(async () => {
  await second?.stop();
  await world?.stop();
});

/** Alternates the two instances, so every race is also a race between nodes. */
const instance = (index: number) => (index % 2 === 0 ? world.server.url : second.url);
const basic = () => ({ basic: [app.clientId, app.clientSecret!] as [string, string] });
const tokenAt = (index: number, form: Record<string, string>) => postForm(`${instance(index)}/oauth/token`, form, basic());

/** Fires `CONCURRENT` copies of one redemption at once and returns their statuses. */
async function race(redeem: (index: number) => Promise<{ status: number }>): Promise<number[]> {
  const results = await Promise.all(Array.from({ length: CONCURRENT }, (_, index) => redeem(index)));
  return results.map((result) => result.status);
}

const successes = (statuses: number[]) => {
  const count = statuses.filter((status) => status >= 200 && status < 300).length;
  if (count !== 1) console.log('statuses', statuses.join(' '));
  return count;
};

describe('single use under concurrency, across two instances', () => {
  it('lets one of 20 concurrent refreshes with one refresh token win, every time, and then revokes the grant', async () => {
    for (let round = 0; round < REPETITIONS; round += 1) {
      const issued = await tokenAt(round, { grant_type: 'password', username: user.email, password: user.password, scope: 'openid offline_access users:read' });
      expect(issued.status).toBe(200);
      const results = await Promise.all(
        Array.from({ length: CONCURRENT }, (_, index) => tokenAt(index, { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token })),
      );
      expect(successes(results.map((result) => result.status))).toBe(1);
      for (const lost of results.filter((result) => result.status !== 200)) expect(lost.body.error).toBe('invalid_grant');
      // The loser was a replay: the grant is gone, the winner's new refresh token with it, and
      // its access token is refused by introspection and userinfo.
      const winner = results.find((result) => result.status === 200)!;
      expect((await tokenAt(round + 1, { grant_type: 'refresh_token', refresh_token: winner.body.refresh_token })).body.error).toBe('invalid_grant');
      expect((await postForm(`${instance(round)}/oauth/introspect`, { token: winner.body.access_token }, basic())).body.active).toBe(false);
      const userinfo = await fetch(`${instance(round + 1)}/oauth/userinfo`, { headers: { authorization: `Bearer ${winner.body.access_token}` } });
      expect(userinfo.status).toBe(401);
    }
  });

  it('lets one of 20 concurrent redemptions of an authorization code win, every time', async () => {
    for (let round = 0; round < REPETITIONS; round += 1) {
      const pkce = pkcePair();
      const code = await obtainAuthorizationCode(instance(round), {
        clientId: app.clientId,
        redirectUri: REDIRECT_URI,
        scope: 'openid offline_access',
        challenge: pkce.challenge,
        user,
      });
      const statuses = await race((index) =>
        tokenAt(index, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: pkce.verifier }),
      );
      expect(successes(statuses)).toBe(1);
    }
  });

  it('lets one of 20 concurrent OTP grants with the right code win, every time', async () => {
    for (let round = 0; round < REPETITIONS; round += 1) {
      const email = newEmail('race');
      await world.server.createUser({ email });
      const requested = await fetch(`${instance(round)}/api/v1/otp/request`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email }),
      });
      expect(requested.status).toBeLessThan(300);
      const code = codeIn((await world.providers.smtp.waitForMail(email)).text);
      const statuses = await race((index) => tokenAt(index, { grant_type: OTP_GRANT, email, code }));
      expect(successes(statuses)).toBe(1);
    }
  });

  it('lets one of 20 concurrent autologin-token grants win, every time', async () => {
    for (let round = 0; round < REPETITIONS; round += 1) {
      const { token } = await createAutologinToken(world.server.em() as EntityManager, { customerId: user.id, validForSeconds: 600, maxUses: 1 });
      const device = await postForm(`${instance(round)}/api/v1/users/get-device-token`, { device_id: `race-${round}` });
      const statuses = await race((index) =>
        tokenAt(index, { grant_type: 'urn:gatehouse:grant-type:autologin-token', autologin_token: token, device_token: device.body.device_token }),
      );
      expect(successes(statuses)).toBe(1);
    }
  });

  it('lets one of 20 concurrent CRM.COM validate-otp calls with the right code win, every time', async () => {
    for (let round = 0; round < REPETITIONS; round += 1) {
      const phone = newPhone();
      const registered = await world.selfService('/self-service/v1/contacts/register', {
        first_name: 'Race',
        last_name: 'Condition',
        identity: { provider: 'PHONE', phone_number: phone.e164 },
      });
      expect(registered.status).toBe(201);
      const code = codeIn((await nextSms(phone.e164)).body);
      const statuses = await race((index) =>
        fetch(`${instance(index)}/self-service/v1/contacts/validate-otp`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', api_key: world.apiKey },
          body: JSON.stringify({ credentials: [{ name: 'PHONE', value: phone.e164 }], code }),
        }),
      );
      expect(successes(statuses)).toBe(1);
    }
  });

  it('lets one of 20 concurrent CRM.COM contact refreshes with one refresh token win, every time', async () => {
    const email = newEmail('crm-race');
    const registered = await world.selfService('/self-service/v1/contacts/register', {
      first_name: 'Re',
      last_name: 'Fresh',
      identity: { provider: 'EMAIL', email, password: 'a long enough password' },
    });
    expect(registered.status).toBe(201);
    for (let round = 0; round < REPETITIONS; round += 1) {
      const signedIn = await world.selfService('/self-service/v1/contacts/authenticate', {
        credentials: [
          { name: 'EMAIL', value: email },
          { name: 'PASSWORD', value: 'a long enough password' },
        ],
      });
      expect(signedIn.status).toBe(200);
      const statuses = await race((index) =>
        fetch(`${instance(index)}/self-service/v1/contacts/refresh`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', api_key: world.apiKey },
          body: JSON.stringify({ refresh_token: signedIn.body.refresh_token }),
        }),
      );
      expect(successes(statuses)).toBe(1);
    }
  });

  it('lets one of 20 concurrent agent look-ups hear a one-time passcode, every time', async () => {
    const tenant: ReadyTenant = await readyTenant(world.server, operator);
    for (let round = 0; round < REPETITIONS; round += 1) {
      const passKey = `55590${String(round).padStart(2, '0')}`;
      expect((await postPasscode(world.server, tenant.tenantId, { pass_key: passKey })).status).toBe(200);
      const statuses = await race((index) =>
        fetch(`${instance(index)}/api/v2/${tenant.tenantId}/identity/passcode/${passKey}`, { headers: { 'x-api-key': tenant.apiKey } }),
      );
      expect(successes(statuses)).toBe(1);
    }
    expect((await getPasscode(world.server, tenant.tenantId, '5559000', tenant.apiKey)).status).toBe(404);
  });
});

describe('limiters reserve before they verify', () => {
  it('verifies at most 5 of 40 concurrent wrong passwords for one account, across two instances, and answers the rest 429', async () => {
    const victim = await world.server.createUser();
    const before = passwordVerificationCount();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, index) => tokenAt(index, { grant_type: 'password', username: victim.email, password: `wrong-${index}` })),
    );
    const verified = passwordVerificationCount() - before;
    expect(verified).toBeLessThanOrEqual(5);
    const statuses = results.map((result) => result.status);
    expect(statuses.filter((status) => status === 400)).toHaveLength(verified);
    expect(statuses.filter((status) => status === 429)).toHaveLength(40 - verified);
    for (const locked of results.filter((result) => result.status === 429)) expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('answers correct passwords beyond the allowance in flight with Retry-After 1, never a lock-out, and lets the account in once they settle', async () => {
    const member = await world.server.createUser();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, index) => tokenAt(index, { grant_type: 'password', username: member.email, password: member.password })),
    );
    const statuses = results.map((result) => result.status);
    expect(statuses.filter((status) => status !== 200 && status !== 429)).toEqual([]);
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(1);
    // Refused because attempts were still being verified, not because of failures: no 15-minute wait.
    for (const crowded of results.filter((result) => result.status === 429)) expect(crowded.headers.get('retry-after')).toBe('1');
    expect((await tokenAt(0, { grant_type: 'password', username: member.email, password: member.password })).status).toBe(200);
  });
});

async function nextSms(to: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const message = world.providers.twilio.messages.find((each) => each.to === to);
    if (message) return message;
    if (Date.now() > deadline) throw new Error(`no SMS to ${to}`);
    await sleep(25);
  }
}
