import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/platform/config.js';
import { startTestServer, TEST_SECRET, type TestServer } from '../support/server.js';

const HEADERS_TIMEOUT = 2;
const REQUEST_TIMEOUT = 4;
/** Node looks for overdue connections once a second (src/server.ts); the rest is scheduling slack. */
const slackMs = 1000 + 1500;

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ HEADERS_TIMEOUT_SECONDS: String(HEADERS_TIMEOUT), REQUEST_TIMEOUT_SECONDS: String(REQUEST_TIMEOUT) });
});

afterAll(async () => {
  await server?.stop();
});

/**
 * Connects, sends `opening`, then one byte of `trickle` per second until the server hangs up.
 * Resolves with how long the connection lived and what the server answered.
 */
function trickle(opening: string, trickleText: string): Promise<{ livedMs: number; answer: string }> {
  const port = Number(new URL(server.url).port);
  return new Promise((resolve, reject) => {
    let answer = '';
    let timer: NodeJS.Timeout | undefined;
    const startedAt = Date.now();
    const socket: Socket = connect({ host: '127.0.0.1', port }, () => {
      socket.write(opening);
      let index = 0;
      timer = setInterval(() => {
        if (!socket.writable) return;
        socket.write(trickleText[index % trickleText.length]!);
        index += 1;
      }, 1000);
    });
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('error', () => undefined);
    socket.once('close', () => {
      clearInterval(timer);
      resolve({ livedMs: Date.now() - startedAt, answer });
    });
    // A server that never hangs up fails the test rather than hanging it.
    setTimeout(() => {
      socket.destroy();
      reject(new Error(`connection still open after 20 s; answer so far: ${JSON.stringify(answer)}`));
    }, 20_000).unref();
  });
}

describe('slow clients', () => {
  it('closes a connection whose request header trickles in a byte a second, after HEADERS_TIMEOUT_SECONDS', async () => {
    const { livedMs, answer } = await trickle('GET /healthz HTTP/1.1\r\nHost: localhost\r\n', 'X-Slow-Header: abcdefghijklmnopqrstuvwxyz');

    expect(livedMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT * 1000 - 100);
    expect(livedMs).toBeLessThanOrEqual(HEADERS_TIMEOUT * 1000 + slackMs);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a connection whose request body trickles in, after REQUEST_TIMEOUT_SECONDS', async () => {
    const { livedMs, answer } = await trickle(
      'POST /oauth/token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n',
      'grant_type=client_credentials&',
    );

    expect(livedMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT * 1000 - 100);
    expect(livedMs).toBeLessThanOrEqual(REQUEST_TIMEOUT * 1000 + slackMs);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('still serves a client that sends its request at a normal pace', async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
  });

  it('by default closes a trickled header within 30 s (issue 11) and keeps idle connections past a 60 s balancer timeout', () => {
    const { httpTimeouts } = loadConfig({ GATEHOUSE_SECRET: TEST_SECRET });
    // The headers timeout plus one connection check, at worst.
    expect(httpTimeouts.headersSeconds + 1).toBeLessThanOrEqual(30);
    expect(httpTimeouts.requestSeconds).toBeLessThanOrEqual(30);
    expect(httpTimeouts.keepAliveSeconds).toBeGreaterThan(60);
  });

  it('never sets a headers timeout above the request timeout, which Node would refuse', () => {
    const { httpTimeouts } = loadConfig({ GATEHOUSE_SECRET: TEST_SECRET, HEADERS_TIMEOUT_SECONDS: '40', REQUEST_TIMEOUT_SECONDS: '10' });
    expect(httpTimeouts).toMatchObject({ headersSeconds: 10, requestSeconds: 10 });
  });
});
