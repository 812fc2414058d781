/**
 * Gatehouse's layers (docs/architecture.md): api → oauth → identity → platform. Imports only point
 * down; `src/app.ts`, `src/server.ts`, `src/main.ts`, `src/modules/`, `src/cli/` and `src/jobs/`
 * assemble the layers and may import any of them. No folder cycles anywhere.
 */
const layer = (name) => `^src/${name}/`;
module.exports = {
  forbidden: [
    {
      name: 'platform-imports-nothing-above',
      severity: 'error',
      comment: 'platform/ (config, logger, db, http, openapi, crypto, notify) is the bottom layer.',
      from: { path: layer('platform') },
      to: { path: ['^src/(identity|oauth|api|jobs|cli|modules)/', '^src/(app|server|main)\\.ts$'] },
    },
    {
      name: 'identity-imports-only-platform',
      severity: 'error',
      comment: 'identity/ (customers, credentials, contacts, tenants, passcodes, api keys, limits, events) sits on platform/ only.',
      from: { path: layer('identity') },
      to: { path: ['^src/(oauth|api|jobs|cli|modules)/', '^src/(app|server|main)\\.ts$'] },
    },
    {
      name: 'identity-speaks-no-http',
      severity: 'error',
      comment: 'Services throw domain errors (src/platform/errors.ts); HTTP statuses and error shapes belong to each API family presenter.',
      from: { path: layer('identity') },
      to: { path: '^src/platform/http/' },
    },
    {
      name: 'oauth-imports-identity-and-platform',
      severity: 'error',
      comment: 'oauth/ (provider, adapter, grants, keys, clients, callers) sits on identity/ and platform/.',
      from: { path: layer('oauth') },
      to: { path: ['^src/(api|jobs|cli|modules)/', '^src/(app|server|main)\\.ts$'] },
    },
    {
      name: 'api-does-not-import-assembly',
      severity: 'error',
      comment: 'api/ families are assembled by app.ts and modules/; they do not import them.',
      from: { path: layer('api') },
      to: { path: ['^src/(jobs|cli|modules)/', '^src/(app|server|main)\\.ts$'] },
    },
    {
      name: 'api-families-stay-apart',
      severity: 'error',
      comment: 'One API family does not import another; what they share lives in a lower layer.',
      from: { path: '^src/api/([^/]+)/' },
      to: { path: '^src/api/([^/]+)/', pathNot: '^src/api/$1/' },
    },
    {
      name: 'no-folder-cycles',
      severity: 'error',
      comment: 'Folders form no import cycle.',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
