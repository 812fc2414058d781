import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, ConfigError } from '../../src/platform/config.js';
import { freePort } from '../support/ports.js';

const root = path.resolve(import.meta.dirname, '../..');

describe('configuration', () => {
  it('stops with one line naming the bad variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/^Invalid configuration: PORT /);
    expect(() => loadConfig({ ISSUER: 'not a url' })).toThrow(/ISSUER/);
    expect(() => loadConfig({ GATEHOUSE_SECRET: 'short' })).toThrow(/GATEHOUSE_SECRET.*32/);
    expect(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x' })).toThrow(/GATEHOUSE_SECRET is required in production/);
  });

  it('exits with status 1 and a single line on a bad value', async () => {
    const child = spawn(path.join(root, 'node_modules/.bin/tsx'), ['src/main.ts'], { cwd: root, env: { ...process.env, PORT: 'nope' } });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('PORT');
  });
});

describe('npm start on a fresh machine', () => {
  it('starts its own PostgreSQL with no DATABASE_URL, serves discovery, and shuts down cleanly on SIGTERM', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-start-'));
    chmodSync(dataDir, 0o755);
    const port = await freePort();
    const env = {
      ...process.env,
      DATABASE_URL: '',
      GATEHOUSE_SECRET: '',
      ISSUER: '',
      DATA_DIR: dataDir,
      PORT: String(port),
      EMBEDDED_PG_PORT: String(await freePort()),
      LOG_LEVEL: 'info',
    };
    const child = spawn(path.join(root, 'node_modules/.bin/tsx'), ['src/main.ts'], { cwd: root, env });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    try {
      let discovery: Record<string, unknown> | undefined;
      for (let attempt = 0; attempt < 120 && !discovery; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        discovery = await fetch(`http://localhost:${port}/.well-known/openid-configuration`)
          .then((r) => r.json())
          .catch(() => undefined);
      }
      expect(discovery, output).toMatchObject({ issuer: `http://localhost:${port}`, token_endpoint: `http://localhost:${port}/oauth/token` });
      expect(output).toContain('embedded PostgreSQL started');
    } finally {
      child.kill('SIGTERM');
      const code = await new Promise((resolve) => child.on('exit', resolve));
      expect(code).toBe(0);
      expect(output).toContain('Gatehouse stopped');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
