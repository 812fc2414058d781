import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm, startTestServer, type TestServer } from '../support/server.js';

/**
 * A grant's sign-in settles its limiter reservation and records the attempt in the statement that
 * stores the tokens (src/oauth/adapter.ts withBatchedModelWrites, issue 14 item 2), or on its own
 * when no tokens are stored. Either way the settlement must happen exactly as before: a success
 * clears the account's failures and is recorded with its customer.
 */
let server: TestServer;
let app: { clientId: string; clientSecret?: string };

beforeAll(async () => {
  server = await startTestServer({ LOGIN_FAILURES_PER_IP: '100' });
  app = await server.createClient({ name: 'Settlement app', grantTypes: ['password', 'refresh_token'], scope: 'openid email offline_access users:read' });
});
afterAll(() => server?.stop());

const passwordGrant = (form: Record<string, string>) =>
  postForm(`${server.url}/oauth/token`, { grant_type: 'password', ...form }, { basic: [app.clientId, app.clientSecret!] });

async function failFourTimes(email: string) {
  for (let attempt = 0; attempt < 4; attempt += 1) {
    expect((await passwordGrant({ username: email, password: `wrong-${attempt}` })).status).toBe(400);
  }
}

async function attemptsOf(customerId: string): Promise<string[]> {
  const rows: Array<{ result: string }> = await server
    .em()
    .getConnection()
    .execute(`select result from login_attempt where customer_id = ? and method = 'password' order by id`, [customerId]);
  return rows.map((row) => row.result);
}

describe("a grant's sign-in settled with its tokens", () => {
  it("clears the account's failures and records the success, in the statement storing the tokens", async () => {
    const user = await server.createUser();
    await failFourTimes(user.email);
    const signedIn = await passwordGrant({ username: user.email, password: user.password, scope: 'openid offline_access users:read' });
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.refresh_token).toEqual(expect.any(String));
    // Cleared: four more failures are allowed before the lock (five in a row lock it).
    await failFourTimes(user.email);
    expect((await passwordGrant({ username: user.email, password: user.password })).status).toBe(200);
    expect(await attemptsOf(user.id)).toEqual(['success', 'success']);
    const refreshed = await postForm(
      `${server.url}/oauth/token`,
      { grant_type: 'refresh_token', refresh_token: signedIn.body.refresh_token },
      { basic: [app.clientId, app.clientSecret!] },
    );
    expect(refreshed.status).toBe(200);
  });

  it('settles a success whose tokens are refused (a scope the client may not have) on its own', async () => {
    const user = await server.createUser();
    await failFourTimes(user.email);
    const refused = await passwordGrant({ username: user.email, password: user.password, scope: 'users:admin' });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_scope');
    await failFourTimes(user.email);
    expect((await passwordGrant({ username: user.email, password: user.password })).status).toBe(200);
    expect(await attemptsOf(user.id)).toEqual(['success', 'success']);
  });

  it('still locks after five failures in a row, and records the lock', async () => {
    const user = await server.createUser();
    await failFourTimes(user.email);
    expect((await passwordGrant({ username: user.email, password: 'wrong-5' })).status).toBe(400);
    expect((await passwordGrant({ username: user.email, password: user.password })).status).toBe(429);
  });
});
