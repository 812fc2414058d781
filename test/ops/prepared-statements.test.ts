import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { api, rempLogin } from '../users/support.js';

interface PooledClient {
  query(sql: string): Promise<unknown>;
}
interface KnexClient {
  acquireConnection(): Promise<PooledClient>;
  releaseConnection(connection: PooledClient): Promise<void>;
}

const servers: TestServer[] = [];
afterAll(() => Promise.all(servers.map((server) => server.stop())));

/** Signs a customer in (tokens stored through the adapter's prepared upsert) and reads user info (the prepared customer read). */
async function signInAndReadUserInfo(server: TestServer, user: { id: string; email: string; password: string }) {
  const token = await rempLogin(server, user);
  const reply = await api(server, 'GET', '/api/v1/user/info', { auth: token });
  expect(reply.status).toBe(200);
  expect(reply.body.user).toMatchObject({ email: user.email });
}

describe('hot reads and token statements as prepared statements (issue 14 items 3 and 6)', () => {
  it('work as unnamed statements with DATABASE_PREPARED_STATEMENTS=false (PgBouncer < 1.21 in transaction pooling)', async () => {
    const server = await startTestServer({ DATABASE_PREPARED_STATEMENTS: 'false' });
    servers.push(server);
    const user = await server.createUser();
    for (let round = 0; round < 3; round++) await signInAndReadUserInfo(server, user);
  });

  it('fall back to unnamed statements when the session under a named one moved (a pooler left on prepared statements)', async () => {
    const server = await startTestServer({ DATABASE_POOL_MAX: '1' });
    servers.push(server);
    const user = await server.createUser();
    await signInAndReadUserInfo(server, user);

    // What a transaction-pooling PgBouncer does to a client: the server connection behind it no
    // longer has the statements node-postgres prepared there. One pooled connection, so the next statements meet the server connection that forgot them.
    const knex = server.gatehouse.orm.em.getConnection().getKnex().client as unknown as KnexClient;
    const connections = [await knex.acquireConnection()];
    for (const connection of connections) await connection.query('deallocate all');
    await Promise.all(connections.map((connection) => knex.releaseConnection(connection)));

    for (let round = 0; round < 3; round++) await signInAndReadUserInfo(server, user);
  });
});
