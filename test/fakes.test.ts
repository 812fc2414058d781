import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuth2Client } from 'google-auth-library';
import * as appleSignin from 'apple-signin-auth';
import twilio from 'twilio';
import nodemailer from 'nodemailer';
import { createHmac } from 'node:crypto';
import { exportPKCS8, generateKeyPair } from 'jose';
import {
  appleFetchRedirectingTo,
  startFakeApple,
  startFakeFacebook,
  startFakeGoogle,
  startFakeSmtp,
  startFakeTwilio,
  twilioHttpClientFor,
  type FakeApple,
  type FakeFacebook,
  type FakeGoogle,
  type FakeSmtp,
  type FakeTwilio,
} from './support/fakes/index.js';

const HOUR = 3600;
const now = () => Math.floor(Date.now() / 1000);

describe('fake Google', () => {
  const clientId = 'gatehouse-web.apps.googleusercontent.com';
  let google: FakeGoogle;
  let client: OAuth2Client;

  beforeAll(async () => {
    google = await startFakeGoogle({ clientIds: [clientId, 'gatehouse-ios.apps.googleusercontent.com'] });
    client = new OAuth2Client({
      clientId,
      clientSecret: 'google-secret',
      redirectUri: 'https://gatehouse.test/callback/google',
      endpoints: {
        oauth2FederatedSignonPemCertsUrl: `${google.url}/oauth2/v1/certs`,
        oauth2FederatedSignonJwkCertsUrl: `${google.url}/oauth2/v3/certs`,
        oauth2TokenUrl: `${google.url}/token`,
      },
    });
  });
  afterAll(() => google.stop());

  it('publishes its key as a JWKS too', async () => {
    const jwks = (await (await fetch(`${google.url}/oauth2/v3/certs`)).json()) as { keys: Array<{ kid: string; kty: string }> };
    expect(jwks.keys).toEqual([expect.objectContaining({ kid: google.kid, kty: 'RSA', alg: 'RS256' })]);
  });

  it('mints id tokens that verifyIdToken accepts', async () => {
    const idToken = await google.mintIdToken({ email: 'ada@example.com', email_verified: true, nonce: 'n-1', given_name: 'Ada' });
    const ticket = await client.verifyIdToken({ idToken, audience: clientId });
    expect(ticket.getPayload()).toMatchObject({
      iss: 'https://accounts.google.com',
      aud: clientId,
      email: 'ada@example.com',
      email_verified: true,
      nonce: 'n-1',
    });
    expect(ticket.getUserId()).toMatch(/^\d{21}$/);
  });

  it('accepts any of several audiences', async () => {
    const idToken = await google.mintIdToken({ aud: 'gatehouse-ios.apps.googleusercontent.com' });
    await expect(client.verifyIdToken({ idToken, audience: [clientId, 'gatehouse-ios.apps.googleusercontent.com'] })).resolves.toBeDefined();
  });

  it('rejects a token for another audience', async () => {
    const idToken = await google.mintIdToken({ aud: 'someone-else.apps.googleusercontent.com' });
    await expect(client.verifyIdToken({ idToken, audience: clientId })).rejects.toThrow(/Wrong recipient/);
  });

  it('rejects a token from another issuer', async () => {
    const idToken = await google.mintIdToken({ iss: 'https://evil.example' });
    await expect(client.verifyIdToken({ idToken, audience: clientId })).rejects.toThrow(/Invalid issuer/);
  });

  it('rejects an expired token', async () => {
    const idToken = await google.mintIdToken({ iat: now() - 2 * HOUR, exp: now() - HOUR });
    await expect(client.verifyIdToken({ idToken, audience: clientId })).rejects.toThrow(/Token used too late/);
  });

  it('rejects a token signed by a foreign key with the same kid', async () => {
    const idToken = await google.mintIdToken({}, { signWithForeignKey: true });
    await expect(client.verifyIdToken({ idToken, audience: clientId })).rejects.toThrow(/Invalid token signature/);
  });

  it('exchanges a registered code once through getToken', async () => {
    google.registerAuthCode('google-code-1', { email: 'grace@example.com', email_verified: true });
    const { tokens } = await client.getToken('google-code-1');
    expect(tokens).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String) });
    const ticket = await client.verifyIdToken({ idToken: tokens.id_token ?? '', audience: clientId });
    expect(ticket.getPayload()?.email).toBe('grace@example.com');
    expect(google.tokenRequests.at(-1)).toMatchObject({ clientId, clientSecret: 'google-secret', redirectUri: 'https://gatehouse.test/callback/google' });

    await expect(client.getToken('google-code-1')).rejects.toMatchObject({ response: { status: 400, data: { error: 'invalid_grant' } } });
  });

  it('refuses codes for unknown clients', async () => {
    google.registerAuthCode('google-code-2');
    const stranger = new OAuth2Client({ clientId: 'stranger', clientSecret: 'x', endpoints: { oauth2TokenUrl: `${google.url}/token` } });
    await expect(stranger.getToken('google-code-2')).rejects.toMatchObject({ response: { status: 401, data: { error: 'invalid_client' } } });
  });
});

describe('fake Apple', () => {
  const clientId = 'test.gatehouse.signin';
  let apple: FakeApple;
  let clientSecret: string;

  beforeAll(async () => {
    apple = await startFakeApple({ clientIds: [clientId] });
    appleSignin._setFetch(appleFetchRedirectingTo(apple.url));
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    clientSecret = appleSignin.getClientSecret({
      clientID: clientId,
      teamID: 'TEAM123456',
      keyIdentifier: 'KEY1234567',
      privateKey: await exportPKCS8(privateKey),
    });
  });
  afterAll(async () => {
    appleSignin._setFetch(globalThis.fetch);
    await apple.stop();
  });

  it('mints id tokens that verifyIdToken accepts, with Apple-style string booleans', async () => {
    const idToken = await apple.mintIdToken({ email: 'ada@privaterelay.appleid.com', email_verified: 'true', is_private_email: 'true', nonce: 'n-1' });
    const claims = await appleSignin.verifyIdToken(idToken, { audience: clientId, nonce: 'n-1' });
    expect(claims).toMatchObject({ iss: 'https://appleid.apple.com', aud: clientId, email_verified: 'true', is_private_email: 'true' });
  });

  it('rejects a token for another audience', async () => {
    const idToken = await apple.mintIdToken({ aud: 'other.app' });
    await expect(appleSignin.verifyIdToken(idToken, { audience: clientId })).rejects.toThrow(/jwt audience invalid/);
  });

  it('rejects a token from another issuer', async () => {
    const idToken = await apple.mintIdToken({ iss: 'https://evil.example' });
    await expect(appleSignin.verifyIdToken(idToken, { audience: clientId })).rejects.toThrow(/jwt issuer invalid/);
  });

  it('rejects an expired token unless told to ignore expiry', async () => {
    const idToken = await apple.mintIdToken({ iat: now() - 2 * HOUR, exp: now() - HOUR });
    await expect(appleSignin.verifyIdToken(idToken, { audience: clientId })).rejects.toThrow(/jwt expired/);
    await expect(appleSignin.verifyIdToken(idToken, { audience: clientId, ignoreExpiration: true })).resolves.toBeDefined();
  });

  it('rejects a token signed by a foreign key with the same kid', async () => {
    const idToken = await apple.mintIdToken({}, { signWithForeignKey: true });
    await expect(appleSignin.verifyIdToken(idToken, { audience: clientId })).rejects.toThrow(/invalid signature/);
  });

  it('rejects a wrong or missing nonce', async () => {
    const withNonce = await apple.mintIdToken({ nonce: 'n-1' });
    await expect(appleSignin.verifyIdToken(withNonce, { audience: clientId, nonce: 'n-2' })).rejects.toThrow(/jwt nonce invalid/);
    const withoutNonce = await apple.mintIdToken();
    await expect(appleSignin.verifyIdToken(withoutNonce, { audience: clientId, nonce: 'n-1' })).rejects.toThrow(/jwt nonce invalid/);
  });

  it('exchanges a registered code, then refreshes and revokes', async () => {
    apple.registerAuthCode('apple-code-1', { email: 'grace@example.com', email_verified: true });
    const tokens = await appleSignin.getAuthorizationToken('apple-code-1', {
      clientID: clientId,
      clientSecret,
      redirectUri: 'https://gatehouse.test/callback/apple',
    });
    expect(tokens).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String), refresh_token: expect.any(String) });
    expect(await appleSignin.verifyIdToken(tokens.id_token, { audience: clientId })).toMatchObject({ email: 'grace@example.com' });
    expect(apple.tokenRequests.at(-1)).toMatchObject({ clientSecret, redirectUri: 'https://gatehouse.test/callback/apple' });

    expect(await appleSignin.getAuthorizationToken('apple-code-1', { clientID: clientId, clientSecret, redirectUri: '' })).toEqual({
      error: 'invalid_grant',
      error_description: expect.any(String),
    });

    const refreshed = await appleSignin.refreshAuthorizationToken(tokens.refresh_token, { clientID: clientId, clientSecret });
    expect(refreshed.id_token).toEqual(expect.any(String));

    await appleSignin.revokeAuthorizationToken(tokens.refresh_token, { clientID: clientId, clientSecret, tokenTypeHint: 'refresh_token' });
    expect(apple.revokedTokens).toContain(tokens.refresh_token);
    expect(await appleSignin.refreshAuthorizationToken(tokens.refresh_token, { clientID: clientId, clientSecret })).toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses a client_secret that is not a JWT for the client', async () => {
    apple.registerAuthCode('apple-code-2');
    const reply = await appleSignin.getAuthorizationToken('apple-code-2', { clientID: clientId, clientSecret: 'not-a-jwt', redirectUri: '' });
    expect(reply).toEqual({ error: 'invalid_client' });
  });
});

describe('fake Facebook', () => {
  const appId = '1234567890';
  const appSecret = 'facebook-secret';
  const appToken = `${appId}|${appSecret}`;
  let facebook: FakeFacebook;

  beforeAll(async () => {
    facebook = await startFakeFacebook({ appId, appSecret });
  });
  afterAll(() => facebook.stop());

  async function graph(path: string, params: Record<string, string>) {
    const response = await fetch(`${facebook.url}${path}?${new URLSearchParams(params)}`);
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  }

  it('describes a valid user token at /debug_token', async () => {
    const token = facebook.issueUserToken({ id: '10150000000000001', email: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace' });
    const { status, body } = await graph('/debug_token', { input_token: token, access_token: appToken });
    expect(status).toBe(200);
    expect(body.data).toMatchObject({ app_id: appId, type: 'USER', is_valid: true, user_id: '10150000000000001', scopes: ['email', 'public_profile'] });
    expect(body.data.expires_at).toBeGreaterThan(now());
  });

  it('reports unknown, expired and other-app tokens', async () => {
    expect((await graph('/debug_token', { input_token: 'EAAnonsense', access_token: appToken })).body.data).toMatchObject({ is_valid: false });

    const expired = facebook.issueUserToken({ id: '2', expiresInSeconds: -60 });
    expect((await graph('/debug_token', { input_token: expired, access_token: appToken })).body.data).toMatchObject({ is_valid: false, error: { code: 190 } });

    const foreign = facebook.issueUserToken({ id: '3', appId: '999' });
    expect((await graph('/v21.0/debug_token', { input_token: foreign, access_token: appToken })).body.data).toMatchObject({ is_valid: true, app_id: '999' });
  });

  it('rejects a bad app access token with error 190', async () => {
    const token = facebook.issueUserToken({ id: '4' });
    const { status, body } = await graph('/debug_token', { input_token: token, access_token: `${appId}|wrong` });
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: 190, type: 'OAuthException' });
  });

  it('serves the requested profile fields at /me', async () => {
    const token = facebook.issueUserToken({ id: '5', email: 'grace@example.com', first_name: 'Grace', last_name: 'Hopper' });
    const appsecretProof = createHmac('sha256', appSecret).update(token).digest('hex');
    const { body } = await graph('/v21.0/me', { fields: 'id,email,first_name,last_name', access_token: token, appsecret_proof: appsecretProof });
    expect(body).toEqual({ id: '5', email: 'grace@example.com', first_name: 'Grace', last_name: 'Hopper' });

    const withoutEmail = facebook.issueUserToken({ id: '6', first_name: 'Alan' });
    expect((await graph('/me', { fields: 'id,email,first_name', access_token: withoutEmail })).body).toEqual({ id: '6', first_name: 'Alan' });
  });

  it('refuses /me for expired tokens and bad proofs', async () => {
    const expired = facebook.issueUserToken({ id: '7', expiresInSeconds: -1 });
    expect(await graph('/me', { fields: 'id', access_token: expired })).toMatchObject({ status: 400, body: { error: { code: 190, error_subcode: 463 } } });
    const token = facebook.issueUserToken({ id: '8' });
    expect(await graph('/me', { fields: 'id', access_token: token, appsecret_proof: 'bad' })).toMatchObject({ status: 400, body: { error: { code: 100 } } });
  });
});

describe('fake Twilio', () => {
  const accountSid = 'AC' + '0123456789abcdef'.repeat(2);
  const authToken = 'twilio-token';
  let fake: FakeTwilio;

  beforeAll(async () => {
    fake = await startFakeTwilio({ accountSid, authToken });
  });
  afterAll(() => fake.stop());

  it('receives an SMS sent by the real twilio client', async () => {
    const client = twilio(accountSid, authToken, { httpClient: twilioHttpClientFor(fake.url) });
    const waiting = fake.waitForMessage('+15558675310');
    const message = await client.messages.create({ to: '+15558675310', from: '+15557122661', body: 'Your code is 123456' });
    expect(message).toMatchObject({ sid: expect.stringMatching(/^SM[0-9a-f]{32}$/), status: 'queued', to: '+15558675310', accountSid });
    expect(message.dateCreated).toBeInstanceOf(Date);
    expect(await waiting).toMatchObject({ to: '+15558675310', from: '+15557122661', body: 'Your code is 123456' });
  });

  it('accepts a messaging service instead of a sender number', async () => {
    const client = twilio(accountSid, authToken, { httpClient: twilioHttpClientFor(fake.url) });
    await client.messages.create({ to: '+15550000001', messagingServiceSid: 'MG' + '0'.repeat(32), body: 'hi' });
    expect(await fake.waitForMessage('+15550000001')).toMatchObject({ from: null, messagingServiceSid: 'MG' + '0'.repeat(32) });
  });

  it('answers wrong credentials with a 401 RestException', async () => {
    const client = twilio(accountSid, 'wrong-token', { httpClient: twilioHttpClientFor(fake.url) });
    await expect(client.messages.create({ to: '+15550000002', from: '+15557122661', body: 'x' })).rejects.toMatchObject({ status: 401, code: 20003 });
  });

  it('can fail the next message on demand', async () => {
    const client = twilio(accountSid, authToken, { httpClient: twilioHttpClientFor(fake.url) });
    fake.rejectNextMessage();
    await expect(client.messages.create({ to: '+1555', from: '+15557122661', body: 'x' })).rejects.toMatchObject({ status: 400, code: 21211 });
    expect(fake.messages.some((message) => message.to === '+1555')).toBe(false);
  });

  it('times out waiting for a message that never comes', async () => {
    await expect(fake.waitForMessage('+15559999999', 50)).rejects.toThrow(/No SMS to \+15559999999/);
  });
});

describe('fake SMTP', () => {
  let smtp: FakeSmtp;

  beforeAll(async () => {
    smtp = await startFakeSmtp();
  });
  afterAll(() => smtp.stop());

  it('receives mail sent by nodemailer', async () => {
    const transport = nodemailer.createTransport({ host: smtp.host, port: smtp.port, secure: false, ignoreTLS: true });
    const waiting = smtp.waitForMail('Ada@Example.com');
    await transport.sendMail({
      from: 'Gatehouse <no-reply@gatehouse.test>',
      to: 'ada@example.com',
      bcc: 'audit@gatehouse.test',
      subject: 'Verify your email',
      text: 'Code: 123456',
      html: '<p>Code: <b>123456</b></p>',
    });
    expect(await waiting).toMatchObject({
      envelopeFrom: 'no-reply@gatehouse.test',
      from: 'no-reply@gatehouse.test',
      to: ['ada@example.com', 'audit@gatehouse.test'],
      subject: 'Verify your email',
      text: 'Code: 123456',
      html: '<p>Code: <b>123456</b></p>',
      authenticatedUser: null,
    });
  });

  it('accepts authenticated transports', async () => {
    const transport = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: false,
      ignoreTLS: true,
      auth: { user: 'mailer', pass: 'secret' },
    });
    await transport.sendMail({ from: 'no-reply@gatehouse.test', to: 'grace@example.com', subject: 'Hi', text: 'Hello' });
    expect(await smtp.waitForMail('grace@example.com')).toMatchObject({ authenticatedUser: 'mailer', html: null });
  });

  it('times out waiting for mail that never comes', async () => {
    await expect(smtp.waitForMail('nobody@example.com', 50)).rejects.toThrow(/No mail to nobody@example.com/);
  });
});
