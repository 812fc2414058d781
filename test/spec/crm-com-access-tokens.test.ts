import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeIn, count, startCrmWorld, type CrmWorld } from '../contacts/support.js';
import { sleep } from '../otp/support.js';
import { postForm } from '../support/server.js';
import { sql } from './support.js';

/**
 * crm-com-access-tokens.txt prints no HTTP request: it describes the rules (glossary, life
 * cycle, communication) and a business example. This file replays the business example as
 * written — the definition's five configuration points, the communication template verbatim,
 * registration by e-mail, the verification code in the inbox, verification, sign-in — and checks
 * each rule the text states, on Gatehouse's documented endpoints (README, CRM.COM).
 *
 * Deliberately different (README, Compatibility): a token created with no entity starts Not
 * Effective (it identifies nobody, and there is no one to send a verification code to); it
 * takes Pending Verification or Effective when it is assigned, which is the moment the spec's
 * "created in Pending Verification" describes (a token created *for* a participant).
 */

let world: CrmWorld;
let app: { clientId: string; clientSecret?: string };

const definitions = '/backoffice/v1/access-token-definitions';
const tokens = '/backoffice/v1/access-tokens';

// The business example's communication template, as the spec prints it (double spaces and all).
const TEMPLATE = `Dear  #accounts_receivable.name  

Welcome to our family!

Please use the following code to activate your account:  #access_token.verification_code  

Once the account is activated please use the following information to access your personal account.

 

Access Token Number: #access_token.number

Access Token Identifier: #access_token.identifier

Access Token Pass Code: #access_token.pass_code`;

beforeAll(async () => {
  world = await startCrmWorld();
  app = await world.server.createClient({
    name: 'Company ZX mobile app',
    grantTypes: ['password', 'urn:gatehouse:grant-type:access-token-code'],
    scope: 'openid users:read',
  });
});
afterAll(() => world?.stop());

async function mailTo(to: string, already = 0) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const mails = world.providers.smtp.mails.filter((mail) => mail.to.includes(to.toLowerCase()));
    if (mails.length > already) return mails[already]!;
    if (Date.now() > deadline) throw new Error(`no mail #${already + 1} to ${to}`);
    await sleep(25);
  }
}

const signIn = (identifier: string, passCode: string) =>
  postForm(
    `${world.server.url}/oauth/token`,
    { grant_type: 'password', username: identifier, password: passCode, scope: 'openid users:read' },
    { basic: [app.clientId, app.clientSecret!] },
  );

async function tokenOf(identifier: string) {
  const listed = await world.backoffice('GET', `${tokens}?identifier=${encodeURIComponent(identifier)}`);
  expect(listed.body.content).toHaveLength(1);
  return listed.body.content[0];
}

describe('Business example: Company ZX’s loyalty app (Creating and Verifying an Access Token)', () => {
  let definitionId: string;

  it('sets up the Access Token Definition with the five configuration points and the template', async () => {
    const created = await world.backoffice('POST', definitions, {
      name: 'Company ZX loyalty',
      // 1. Identifier: format email address
      identifier_format: 'EMAIL',
      // 2. Pass Code: define required restriction
      pass_code_rules: { min_length: 8, require_digit: true },
      // 3. Automation: Allow Creating Access Tokens with No Identifier and Pass Code
      allow_without_credentials: true,
      // 4. Rewards Participant: Require Verification
      require_verification: true,
      // 5. Communication Settings > Rewards Participants: enabled on assignment, with the template
      assign_on_registration: true,
      communication: { channel: 'EMAIL', subject: 'Welcome to Company ZX', template: TEMPLATE },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      identifier_format: 'EMAIL',
      require_verification: true,
      allow_without_credentials: true,
      communicate_pass_code: false,
      communication: { template: TEMPLATE },
    });
    definitionId = created.body.id;
  });

  it('registers a customer by e-mail: the token is Pending Verification and the code arrives in the inbox', async () => {
    const email = 'ada@companyzx.example';
    const registered = await world.selfService('/self-service/v1/contacts/register', {
      first_name: 'Ada',
      last_name: 'Lovelace',
      identity: { provider: 'EMAIL', email, password: 'loyal customer 1' },
    });
    expect(registered.status).toBe(201);
    expect(registered.body).toEqual({ id: expect.any(String), next_step: 'VERIFY_ACCESS_TOKEN' });
    const token = await tokenOf(email);
    expect(token).toMatchObject({
      state: 'PENDING_VERIFICATION',
      identifier: email,
      has_pass_code: true,
      entities: [{ entity_type: 'REWARDS_PARTICIPANT', contact_id: registered.body.id }],
    });

    const mail = await mailTo(email);
    const code = codeIn(mail.text);
    expect(mail.text).toContain('Dear  Ada Lovelace  \n');
    expect(mail.text).toContain(`Please use the following code to activate your account:  ${code}  \n`);
    expect(mail.text).toContain(`Access Token Number: ${token.number}\n`);
    expect(mail.text).toContain(`Access Token Identifier: ${email}\n`);
    // Off by default: the pass code stays out of the e-mail (the definition opts in below).
    expect(mail.text).toContain('Access Token Pass Code: (not shown)');
    expect(mail.text).not.toContain('loyal customer 1');

    // "Access tokens which are in Pending Verification … The related entities … cannot be retrieved … if that access token is used as an identifier".
    expect((await world.backoffice('GET', `/backoffice/v1/contacts?access_token=${encodeURIComponent(email)}`)).body.content).toEqual([]);
    // "Only 'Effective' Access Tokens will allow customers to be logged-in".
    expect((await signIn(email, 'loyal customer 1')).status).toBe(400);

    const verified = await world.selfService('/self-service/v1/access-tokens/verify', { identifier: email, verification_code: code });
    expect(verified.status).toBe(200);
    expect(verified.body).toEqual({ id: token.id, number: token.number, state: 'EFFECTIVE' });
    const signedIn = await signIn(email, 'loyal customer 1');
    expect(signedIn.status).toBe(200);
    expect(decodeJwt(signedIn.body.access_token).sub).toBe(registered.body.id);
  });

  it('fills #access_token.pass_code with the pass code when the definition opts in (communicate_pass_code)', async () => {
    const updated = await world.backoffice('PUT', `${definitions}/${definitionId}`, { communicate_pass_code: true });
    expect(updated.status).toBe(200);
    expect(updated.body.communicate_pass_code).toBe(true);
    const email = 'grace@companyzx.example';
    const registered = await world.selfService('/self-service/v1/contacts/register', {
      first_name: 'Grace',
      last_name: 'Hopper',
      identity: { provider: 'EMAIL', email, password: 'cobol forever 1' },
    });
    expect(registered.status).toBe(201);
    const mail = await mailTo(email);
    expect(mail.text).toContain('Access Token Pass Code: cobol forever 1');
    // Stored only as a hash all the same.
    const [row] = await sql(world.server, 'select pass_code_hash from access_token where identifier = ?', [email]);
    expect(row.pass_code_hash).toMatch(/^\$argon2id\$/);
    await world.backoffice('PUT', `${definitions}/${definitionId}`, { communicate_pass_code: false });
  });
});

describe('Glossary and life cycle rules', () => {
  it('"If an Identifier is used then the Pass Code is mandatory": an identifier alone is refused', async () => {
    const before = await count(world.server, 'access_token');
    const refused = await world.backoffice('POST', tokens, { identifier: 'no-pass-code@companyzx.example' });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ status: 'error', code: 'invalid_request', message: 'pass_code: required with an identifier' });
    expect(await count(world.server, 'access_token')).toBe(before);
  });

  it('"If an Authentication Code is used, then an Identifier and Pass Code are not mandatory"', async () => {
    const contact = await world.backoffice('POST', '/backoffice/v1/contacts', {
      id: 'ZX-APP-1',
      first_name: 'Kiosk',
      last_name: 'App',
      email: 'kiosk@companyzx.example',
    });
    expect(contact.status).toBe(201);
    const created = await world.backoffice('POST', tokens, { contact_id: 'ZX-APP-1' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ identifier: null, has_pass_code: false, has_authentication_code: true, state: 'PENDING_VERIFICATION' });
    expect(created.body.authentication_code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const code = codeIn((await mailTo('kiosk@companyzx.example')).text);
    expect((await world.backoffice('POST', `${tokens}/${created.body.id}/verify`, { verification_code: code })).body.state).toBe('EFFECTIVE');
    const signedIn = await postForm(
      `${world.server.url}/oauth/token`,
      { grant_type: 'urn:gatehouse:grant-type:access-token-code', authentication_code: created.body.authentication_code, scope: 'users:read' },
      { basic: [app.clientId, app.clientSecret!] },
    );
    expect(signedIn.status).toBe(200);
  });

  it('"set to Not Effective, if there is no longer any entity related to it"; a token created for no one starts Not Effective', async () => {
    const created = await world.backoffice('POST', tokens, { identifier: 'member-7@companyzx.example', pass_code: 'member pass 7' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ state: 'NOT_EFFECTIVE', entities: [] });
    await world.backoffice('POST', '/backoffice/v1/contacts', { id: 'ZX-MEMBER-7', first_name: 'Mem', last_name: 'Ber', email: 'member-7@companyzx.example' });
    const linked = await world.backoffice('POST', `${tokens}/${created.body.id}/entities`, { contact_id: 'ZX-MEMBER-7' });
    expect(linked.status).toBe(200);
    expect(linked.body.state).toBe('PENDING_VERIFICATION');
    const code = codeIn((await mailTo('member-7@companyzx.example')).text);
    expect((await world.backoffice('POST', `${tokens}/${created.body.id}/verify`, { verification_code: code })).body.state).toBe('EFFECTIVE');
    expect((await signIn('member-7@companyzx.example', 'member pass 7')).status).toBe(200);
    const unlinked = await world.backoffice('DELETE', `${tokens}/${created.body.id}/entities/REWARDS_PARTICIPANT`);
    expect(unlinked.body).toMatchObject({ state: 'NOT_EFFECTIVE', entities: [] });
    expect((await signIn('member-7@companyzx.example', 'member pass 7')).status).toBe(400);
  });

  it('"If not configured, then Access Tokens will be directly created in an Effective Life Cycle State"', async () => {
    const plain = await world.backoffice('POST', definitions, { name: 'No verification', classification: 'PLAIN', identifier_format: 'ANY' });
    expect(plain.status).toBe(201);
    await world.backoffice('POST', '/backoffice/v1/contacts', { id: 'ZX-PLAIN-1', last_name: 'Plain' });
    const created = await world.backoffice('POST', tokens, {
      classification: 'PLAIN',
      identifier: 'plain-card-1',
      pass_code: 'plain pass 1',
      contact_id: 'ZX-PLAIN-1',
    });
    expect(created.status).toBe(201);
    expect(created.body.state).toBe('EFFECTIVE');
    expect((await signIn('plain-card-1', 'plain pass 1')).status).toBe(200);
  });

  it('"Resetting the Pass Code": a new pass code without the old one', async () => {
    const created = await world.backoffice('POST', tokens, {
      classification: 'PLAIN',
      identifier: 'plain-card-2',
      pass_code: 'plain pass 2',
      contact_id: 'ZX-PLAIN-1',
    });
    const reset = await world.backoffice('POST', `${tokens}/${created.body.id}/reset-pass-code`);
    expect(reset.status).toBe(200);
    expect((await signIn('plain-card-2', 'plain pass 2')).status).toBe(400);
    expect((await signIn('plain-card-2', reset.body.pass_code)).status).toBe(200);
  });
});
