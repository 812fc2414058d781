import type { EntityManager } from '@mikro-orm/postgresql';
import { expect } from 'vitest';
import { createApiKey } from '../../src/identity/api-keys/service.js';
import { clientToken, userToken } from '../http/support.js';
import { postForm, type TestServer } from '../support/server.js';

export interface Reply {
  status: number;
  headers: Headers;
  body: any;
}

export interface RequestOptions {
  /** A bearer token or API key. */
  auth?: string;
  form?: Record<string, string>;
  json?: unknown;
  /** A raw body with its content type (malformed-body tests). */
  raw?: { type: string; body: string };
  query?: Record<string, string>;
}

/** One HTTP call against the test server, answering status and parsed JSON (or text). */
export async function api(server: TestServer, method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.auth) headers.authorization = `Bearer ${options.auth}`;
  let body: string | undefined;
  if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  } else if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.raw) {
    headers['content-type'] = options.raw.type;
    body = options.raw.body;
  }
  const query = options.query ? `?${new URLSearchParams(options.query)}` : '';
  const response = await fetch(`${server.url}${path}${query}`, { method, headers, body });
  const text = await response.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (204)
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** A real API key (REMP "API token") whitelisted for the given endpoint ids. */
export async function apiKey(server: TestServer, endpoints: string[]): Promise<string> {
  const { key } = await createApiKey(server.em() as EntityManager, { name: `test ${endpoints.join(' ')}`, endpoints });
  return key;
}

export { clientToken, userToken };

/** A REMP user token from POST /api/v1/users/login (scopes users:read users:write meta:read meta:write). */
export async function rempLogin(server: TestServer, user: { email: string; password: string }): Promise<string> {
  const response = await postForm(`${server.url}/api/v1/users/login`, { email: user.email, password: user.password });
  expect(response.status).toBe(200);
  return response.body.access.token;
}

export async function sql<T = any>(server: TestServer, query: string, params: unknown[] = []): Promise<T[]> {
  return (await server
    .em()
    .getConnection()
    .execute(query, params as never[])) as T[];
}

/** Outbox events of a customer, oldest first. */
export async function events(server: TestServer, customerId: string): Promise<Array<{ type: string; payload: any }>> {
  return sql(server, 'select type, payload from outbox_event where customer_id = ? order by created_at, id', [customerId]);
}

export async function customerRow(server: TestServer, id: string): Promise<any> {
  return (await sql(server, 'select * from customer where id = ?', [id]))[0];
}

/** Expects a REMP error body whose message names the field. */
export function expectFieldError(reply: Reply, field: string, code = 'invalid_request') {
  expect(reply.status, JSON.stringify(reply.body)).toBe(400);
  expect(reply.body).toMatchObject({ status: 'error', code });
  expect(reply.body.message).toContain(field);
}

/** The integer id REMP paths show for a customer (its `numeric_id`). */
export async function numericIdOf(server: TestServer, customerId: string): Promise<number> {
  const [row] = await sql<{ numeric_id: number }>(server, 'select numeric_id from customer where id = ?', [customerId]);
  if (!row) throw new Error(`no customer ${customerId}`);
  return row.numeric_id;
}
