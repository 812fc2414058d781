import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../support/browser.js';
import { startHttpServer, type RunningHttpServer } from '../support/fakes/http-server.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { expirePasscodes, getPasscode, readyTenant, serviceAdminToken, type ReadyTenant } from './support.js';

const EXPIRES_SECONDS = 600;

let server: TestServer;
let browser: Browser;
let tenant: ReadyTenant;
let integratorSite: RunningHttpServer;

beforeAll(async () => {
  server = await startTestServer();
  tenant = await readyTenant(server, await serviceAdminToken(server), { pass_key_expires: EXPIRES_SECONDS, pass_phrase: 'system', pass_phrase_length: 6 });
  browser = await launchBrowser();
  // A tenant's own website on another origin, embedding the customer widget as the README shows.
  integratorSite = await startHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><head><link rel="stylesheet" href="${server.url}/widgets/widget.css"></head><body>
      <div class="gh-widget" data-gh-widget="customer" data-api-url="${server.url}" data-api-ver="v2" data-tenant-id="${tenant.tenantId}"></div>
      <script src="${server.url}/widgets/customer.js"></script></body></html>`);
  });
});
afterAll(async () => {
  await browser?.close();
  await integratorSite?.stop();
  await server?.stop();
});

const demoQuery = (extra: Record<string, string> = {}) =>
  new URLSearchParams({ apiUrl: server.url, apiVer: 'v2', tenantID: tenant.tenantId, ...extra }).toString();

/** Types the number, submits, and waits for the widget to settle in a state other than submitting. */
async function submitNumber(page: Page, phone: string): Promise<string> {
  const widget = page.locator('[data-gh-widget][data-gh-ready]');
  await widget.locator('input[name="pass_key"]').fill(phone);
  await widget.locator('button[type="submit"]').click();
  await page.waitForFunction(() => {
    const state = document.querySelector('[data-gh-widget]')?.getAttribute('data-gh-state');
    return state && state !== 'submitting' && state !== 'idle';
  });
  return (await widget.getAttribute('data-gh-state')) ?? '';
}

describe('passcode widgets in a browser', () => {
  it('shows the customer a passcode, the agent the same passcode, and the agent the expiry afterwards', async () => {
    const phone = '+44 7700 900461';
    const customer = await browser.newPage();
    await customer.goto(`${server.url}/widgets/customer.html?${demoQuery()}`);
    expect(await submitNumber(customer, phone)).toBe('shown');
    const passcode = (await customer.locator('.gh-widget__passcode').textContent())?.trim();
    expect(passcode).toMatch(/^\d{6}$/);

    const agent = await browser.newPage();
    await agent.goto(`${server.url}/widgets/agent.html?${demoQuery({ apiKey: tenant.apiKey })}`);
    // The agent types the number their own way, national prefix and all.
    expect(await submitNumber(agent, '+44 (0) 7700-900461')).toBe('shown');
    expect((await agent.locator('.gh-widget__passcode').textContent())?.trim()).toBe(passcode);

    await expirePasscodes(server, tenant.tenantId);
    expect(await submitNumber(agent, phone)).toBe('expired');
    expect(await agent.locator('[data-gh-widget]').getAttribute('data-gh-http-status')).toBe('410');
    expect(await agent.locator('.gh-widget__passcode').isVisible()).toBe(false);
    await customer.close();
    await agent.close();
  });

  it('shows the agent "not found" for an unknown number and "unauthorized" for a bad key', async () => {
    const agent = await browser.newPage();
    await agent.goto(`${server.url}/widgets/agent.html?${demoQuery({ apiKey: tenant.apiKey })}`);
    expect(await submitNumber(agent, '+44 7700 900999')).toBe('not-found');
    await agent.goto(`${server.url}/widgets/agent.html?${demoQuery({ apiKey: 'wrong-key' })}`);
    expect(await submitNumber(agent, '+44 7700 900999')).toBe('unauthorized');
    await agent.close();
  });

  it("works embedded in a tenant's site on another origin (CORS and cross-origin scripts)", async () => {
    const page = await browser.newPage();
    const failures: string[] = [];
    page.on('requestfailed', (request) => failures.push(`${request.url()} ${request.failure()?.errorText}`));
    await page.goto(integratorSite.url);
    expect(await submitNumber(page, '+44 7700 900462')).toBe('shown');
    expect(failures).toEqual([]);
    const phrase = (await page.locator('.gh-widget__passcode').textContent())?.trim();
    expect((await getPasscode(server, tenant.tenantId, '+447700900462', tenant.apiKey)).body.pass_phrase).toBe(phrase);
    // The agent heard it, so the one-time passcode is spent and the customer may start again;
    // while that new one is active a second submission is a conflict. Error answers carry the
    // CORS headers too, so the widget can tell a conflict from a network failure.
    expect(await submitNumber(page, '+44 7700 900462')).toBe('shown');
    expect(await submitNumber(page, '+44 7700 900462')).toBe('error');
    expect(await page.locator('[data-gh-widget]').getAttribute('data-gh-http-status')).toBe('409');
    await page.close();
  });

  it('answers the CORS preflight of the agent look-up, allowing the x-api-key header', async () => {
    const response = await fetch(`${server.url}/api/v2/${tenant.tenantId}/identity/passcode/123`, {
      method: 'OPTIONS',
      headers: { origin: 'https://crm.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-api-key' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-api-key');
  });
});
