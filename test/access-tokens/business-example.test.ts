import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newEmail, sleep } from '../otp/support.js';
import { postForm } from '../support/server.js';
import { codeIn, count, startCrmWorld, type CrmWorld } from '../contacts/support.js';

let world: CrmWorld;
let loyaltyApp: { clientId: string; clientSecret?: string };

const ACCESS_TOKEN_CODE = 'urn:gatehouse:grant-type:access-token-code';

// The spec's communication template (crm-com-access-tokens, business example), tags and all.
const TEMPLATE = `Dear #accounts_receivable.name

Welcome to our family!

Please use the following code to activate your account: #access_token.verification_code

Once the account is activated please use the following information to access your personal account.

Access Token Number: #access_token.number
Access Token Identifier: #access_token.identifier
Access Token Pass Code: #access_token.pass_code`;

beforeAll(async () => {
  world = await startCrmWorld();
  loyaltyApp = await world.server.createClient({ name: 'Loyalty app', grantTypes: ['password', ACCESS_TOKEN_CODE], scope: 'openid profile email users:read' });
});
afterAll(() => world?.stop());

const passwordGrant = (username: string, password: string) =>
  postForm(
    `${world.server.url}/oauth/token`,
    { grant_type: 'password', username, password, scope: 'openid users:read' },
    { basic: [loyaltyApp.clientId, loyaltyApp.clientSecret!] },
  );

const definitions = '/backoffice/v1/access-token-definitions';
const tokens = '/backoffice/v1/access-tokens';

async function mailFor(to: string, already = 0, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mails = world.providers.smtp.mails.filter((mail) => mail.to.includes(to.toLowerCase()));
    if (mails.length > already) return mails[already]!;
    if (Date.now() > deadline) throw new Error(`no mail #${already + 1} to ${to}`);
    await sleep(25);
  }
}

async function tokenOf(email: string) {
  const listed = await world.backoffice('GET', `${tokens}?identifier=${encodeURIComponent(email)}`);
  expect(listed.body.content).toHaveLength(1);
  return listed.body.content[0];
}

describe('access token definitions', () => {
  it('refuses a template with an unknown tag at save time, and saves nothing', async () => {
    const response = await world.backoffice('POST', definitions, {
      name: 'Typo',
      identifier_format: 'EMAIL',
      communication: { channel: 'EMAIL', subject: 'Hi', template: 'Hello #accounts_receivable.nmae, code #access_token.verification_code' },
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      status: 'error',
      code: 'unknown_template_tag',
      message: 'communication.template: unknown template tag #accounts_receivable.nmae',
    });
    expect(await count(world.server, 'access_token_definition')).toBe(0);
  });

  it('refuses required verification without a template that carries the code', async () => {
    const response = await world.backoffice('POST', definitions, { name: 'No code', identifier_format: 'EMAIL', require_verification: true });
    expect(response.status).toBe(400);
    expect(await count(world.server, 'access_token_definition')).toBe(0);
  });
});

describe('the business example: verification of an access token created on registration', () => {
  it('mails the code in the rendered template, refuses sign-in while pending, accepts it once verified, and refuses it after unlinking', async () => {
    const definition = await world.backoffice('POST', definitions, {
      name: 'Loyalty app',
      identifier_format: 'EMAIL',
      pass_code_rules: { min_length: 8, require_digit: true },
      require_verification: true,
      allow_without_credentials: true,
      assign_on_registration: true,
      communication: { channel: 'EMAIL', subject: 'Welcome, #contact.first_name', template: TEMPLATE },
    });
    expect(definition.status).toBe(201);
    expect(definition.body).toMatchObject({
      active: true,
      classification: null,
      require_verification: true,
      communication: { channel: 'EMAIL', template: TEMPLATE },
    });

    const email = newEmail('loyal');
    const password = 'loyal customer 1';
    // A pass code that breaks the definition's rules is refused before anything is created.
    const customers = await count(world.server, 'customer');
    const weak = await world.selfService('/self-service/v1/contacts/register', {
      first_name: 'Ada',
      last_name: 'Lovelace',
      identity: { provider: 'EMAIL', email, password: 'no digits here' },
    });
    expect(weak.status).toBe(400);
    expect(weak.body.code).toBe('invalid_pass_code');
    expect(await count(world.server, 'customer')).toBe(customers);

    const registered = await world.selfService('/self-service/v1/contacts/register', {
      first_name: 'Ada',
      last_name: 'Lovelace & <Byron>',
      identity: { provider: 'EMAIL', email, password },
    });
    expect(registered.status).toBe(201);
    expect(registered.body).toEqual({ id: expect.any(String), next_step: 'VERIFY_ACCESS_TOKEN' });

    const token = await tokenOf(email);
    expect(token).toMatchObject({
      identifier: email,
      has_pass_code: true,
      state: 'PENDING_VERIFICATION',
      entities: [{ entity_type: 'REWARDS_PARTICIPANT', contact_id: registered.body.id }],
    });

    const mail = await mailFor(email);
    expect(mail.subject).toBe('Welcome, Ada');
    const code = codeIn(mail.text);
    expect(mail.text).toContain('Dear Ada Lovelace & <Byron>\n');
    expect(mail.text).toContain(`Access Token Number: ${token.number}\n`);
    expect(mail.text).toContain(`Access Token Identifier: ${email}\n`);
    expect(mail.text).toContain('Access Token Pass Code: (not shown)');
    expect(mail.text).not.toContain(password);
    expect(mail.text).not.toMatch(/#[a-z_]+\.[a-z_]+/);
    expect(mail.html).toContain('Dear Ada Lovelace &amp; &lt;Byron&gt;');
    expect(mail.html).not.toContain('<Byron>');
    const stored: any[] = await world.server.em().getConnection().execute('select * from access_token where id = ?', [token.id]);
    expect(JSON.stringify(stored)).not.toContain(code);
    expect(JSON.stringify(stored)).not.toContain(password);
    expect(stored[0].pass_code_hash).toMatch(/^\$argon2id\$/);

    // Pending: neither sign-in accepts it, and the contact is not reachable through the token.
    expect((await passwordGrant(email, password)).body).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
    expect(
      (
        await world.selfService('/self-service/v1/contacts/authenticate', {
          credentials: [
            { name: 'EMAIL', value: email },
            { name: 'PASSWORD', value: password },
          ],
        })
      ).status,
    ).toBe(401);
    expect((await world.backoffice('GET', `/backoffice/v1/contacts?access_token=${encodeURIComponent(email)}`)).body.content).toEqual([]);

    const wrong = await world.selfService('/self-service/v1/access-tokens/verify', {
      identifier: email,
      verification_code: code === '000000' ? '111111' : '000000',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toEqual({ status: 'error', code: 'invalid_verification_code', message: 'The verification code is invalid or expired' });
    expect((await tokenOf(email)).state).toBe('PENDING_VERIFICATION');

    const verified = await world.selfService('/self-service/v1/access-tokens/verify', { identifier: email, verification_code: code });
    expect(verified.status).toBe(200);
    expect(verified.body).toEqual({ id: token.id, number: token.number, state: 'EFFECTIVE' });

    const signedIn = await passwordGrant(email, password);
    expect(signedIn.status).toBe(200);
    expect(decodeJwt(signedIn.body.access_token).sub).toBe(registered.body.id);
    expect(
      (
        await world.selfService('/self-service/v1/contacts/authenticate', {
          credentials: [
            { name: 'EMAIL', value: email },
            { name: 'PASSWORD', value: password },
          ],
        })
      ).status,
    ).toBe(200);
    expect(
      (await world.backoffice('GET', `/backoffice/v1/contacts?access_token=${encodeURIComponent(email)}`)).body.content.map((each: { id: string }) => each.id),
    ).toEqual([registered.body.id]);

    const unlinked = await world.backoffice('DELETE', `${tokens}/${token.id}/entities/REWARDS_PARTICIPANT`);
    expect(unlinked.status).toBe(200);
    expect(unlinked.body).toMatchObject({ state: 'NOT_EFFECTIVE', entities: [] });
    const refused = await passwordGrant(email, password);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_grant');

    const changes = await world.backoffice('GET', `${tokens}/${token.id}/state-changes`);
    expect(changes.body.content.map((change: any) => [change.from_state, change.to_state, change.reason, change.actor])).toEqual([
      [null, 'PENDING_VERIFICATION', 'CREATED', 'self-service'],
      ['PENDING_VERIFICATION', 'EFFECTIVE', 'VERIFIED', 'self-service'],
      ['EFFECTIVE', 'NOT_EFFECTIVE', 'UNLINKED', `client:${world.backofficeClient.clientId}`],
    ]);
  });

  it('limits verification attempts per code; a resent code works', async () => {
    const email = newEmail('limits');
    const registered = await world.selfService('/self-service/v1/contacts/register', {
      first_name: 'Lim',
      last_name: 'Its',
      identity: { provider: 'EMAIL', email, password: 'limited tries 5' },
    });
    expect(registered.body.next_step).toBe('VERIFY_ACCESS_TOKEN');
    const code = codeIn((await mailFor(email)).text);
    const token = await tokenOf(email);
    const wrongCode = code === '000000' ? '111111' : '000000';
    for (let attempt = 0; attempt < 5; attempt += 1) {
      expect((await world.backoffice('POST', `${tokens}/${token.id}/verify`, { verification_code: wrongCode })).status).toBe(400);
    }
    const exhausted = await world.backoffice('POST', `${tokens}/${token.id}/verify`, { verification_code: code });
    expect(exhausted.status).toBe(400);
    expect((await tokenOf(email)).state).toBe('PENDING_VERIFICATION');

    expect((await world.backoffice('POST', `${tokens}/${token.id}/resend-verification`)).status).toBe(200);
    const newCode = codeIn((await mailFor(email, 1)).text);
    const verified = await world.backoffice('POST', `${tokens}/${token.id}/verify`, { verification_code: newCode });
    expect(verified.status).toBe(200);
    expect(verified.body.state).toBe('EFFECTIVE');
    expect((await passwordGrant(email, 'limited tries 5')).status).toBe(200);
  });

  it('refuses a registration whose identifier another access token holds, creating nothing', async () => {
    const email = newEmail('taken');
    const created = await world.backoffice('POST', tokens, { identifier: email, pass_code: 'held by the back office 1' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ identifier: email, state: 'NOT_EFFECTIVE', has_pass_code: true });
    const customers = await count(world.server, 'customer');
    const response = await world.selfService('/self-service/v1/contacts/register', {
      first_name: 'T',
      last_name: 'Aken',
      identity: { provider: 'EMAIL', email, password: 'taken password 1' },
    });
    expect(response.status).toBe(409);
    expect(response.body.code).toBe('identifier_taken');
    expect(await count(world.server, 'customer')).toBe(customers);
  });
});

describe('authentication codes and pass codes', () => {
  it('refuses an identifier without a pass code ("If an Identifier is used then the Pass Code is mandatory")', async () => {
    const tokensBefore = await count(world.server, 'access_token');
    const refused = await world.backoffice('POST', tokens, { identifier: newEmail('no-pass-code') });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ status: 'error', code: 'invalid_request', message: 'pass_code: required with an identifier' });
    expect(await count(world.server, 'access_token')).toBe(tokensBefore);
  });

  it('signs in with an authentication code through its own grant, only while the token is Effective', async () => {
    const classified = await world.backoffice('POST', definitions, {
      name: 'Kiosk cards',
      classification: 'KIOSK',
      identifier_format: 'ANY',
      allow_without_credentials: true,
    });
    expect(classified.status).toBe(201);
    const contact = await world.backoffice('POST', '/backoffice/v1/contacts', {
      id: 'KIOSK-42',
      first_name: 'Kiosk',
      last_name: 'User',
      email: newEmail('kiosk'),
    });
    expect(contact.status).toBe(201);
    const created = await world.backoffice('POST', tokens, { classification: 'KIOSK', contact_id: 'KIOSK-42' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      definition_id: classified.body.id,
      state: 'EFFECTIVE',
      identifier: null,
      has_authentication_code: true,
      entities: [{ contact_id: 'KIOSK-42', entity_type: 'REWARDS_PARTICIPANT' }],
    });
    const code = created.body.authentication_code as string;
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await world.backoffice('GET', `${tokens}/${created.body.id}`)).body.authentication_code).toBeUndefined();

    const grant = (authentication_code: string) =>
      postForm(
        `${world.server.url}/oauth/token`,
        { grant_type: ACCESS_TOKEN_CODE, authentication_code, scope: 'users:read' },
        { basic: [loyaltyApp.clientId, loyaltyApp.clientSecret!] },
      );
    const signedIn = await grant(code);
    expect(signedIn.status).toBe(200);
    const [customer] = (await world.server.em().getConnection().execute('select id from customer where external_id = ?', ['KIOSK-42'])) as Array<{
      id: string;
    }>;
    expect(decodeJwt(signedIn.body.access_token).sub).toBe(customer!.id);
    const attempts = await world.server
      .em()
      .getConnection()
      .execute(`select result from login_attempt where method = 'access_token' and customer_id = ?`, [customer!.id]);
    expect(attempts).toEqual([{ result: 'success' }]);
    expect((await grant('not-a-code')).body.error).toBe('invalid_grant');

    await world.backoffice('DELETE', `${tokens}/${created.body.id}/entities/REWARDS_PARTICIPANT`);
    expect((await grant(code)).body.error).toBe('invalid_grant');
  });

  it('resets a pass code: the new one signs in, the old one no longer does', async () => {
    await world.backoffice('POST', '/backoffice/v1/contacts', { id: 'RESET-1', first_name: 'Re', last_name: 'Set', email: newEmail('reset') });
    const identifier = `member-${Date.now()}`;
    const created = await world.backoffice('POST', tokens, { classification: 'KIOSK', identifier, pass_code: 'first-pass-1', contact_id: 'RESET-1' });
    expect(created.status).toBe(201);
    expect(created.body.pass_code).toBeUndefined();
    expect((await passwordGrant(identifier, 'first-pass-1')).status).toBe(200);

    const reset = await world.backoffice('POST', `${tokens}/${created.body.id}/reset-pass-code`);
    expect(reset.status).toBe(200);
    expect(reset.body.pass_code).toMatch(/^.{12,}$/);
    expect((await passwordGrant(identifier, 'first-pass-1')).status).toBe(400);
    expect((await passwordGrant(identifier.toUpperCase(), reset.body.pass_code)).status).toBe(200);
  });

  it('makes a token Not Effective when its customer row goes away (database trigger)', async () => {
    await world.backoffice('POST', '/backoffice/v1/contacts', { id: 'GONE-1', last_name: 'Gone' });
    const created = await world.backoffice('POST', tokens, { classification: 'KIOSK', contact_id: 'GONE-1' });
    expect(created.body.state).toBe('EFFECTIVE');
    await world.server.em().getConnection().execute('delete from customer where external_id = ?', ['GONE-1']);
    const after = await world.backoffice('GET', `${tokens}/${created.body.id}`);
    expect(after.body).toMatchObject({ state: 'NOT_EFFECTIVE', entities: [] });
    const changes = await world.backoffice('GET', `${tokens}/${created.body.id}/state-changes`);
    expect(changes.body.content.at(-1)).toMatchObject({ from_state: 'EFFECTIVE', to_state: 'NOT_EFFECTIVE', reason: 'NO_LINKED_ENTITY', actor: null });
  });
});
