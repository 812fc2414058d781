import { createRequire } from 'node:module';
import path from 'node:path';
import Router from '@koa/router';
import serve from 'koa-static';
import mount from '../http/mount.js';
import { viewsDirectory } from '../http/views.js';
import { buildOpenApiDocument } from './document.js';
import type { ApiOperation } from './operation.js';

const swaggerUiDirectory = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** `/openapi.json` and a readable `/docs` page whose assets come from the swagger-ui-dist package (no CDN). */
export function createOpenApiRoutes(options: { issuer: string; version: string; operations: () => ApiOperation[] }) {
  const router = new Router();
  let document: ReturnType<typeof buildOpenApiDocument> | undefined;
  router.get('/openapi.json', (ctx) => {
    document ??= buildOpenApiDocument({ issuer: options.issuer, version: options.version, operations: options.operations() });
    ctx.body = document;
  });
  router.get('/docs', (ctx) => {
    ctx.type = 'html';
    ctx.body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gatehouse API</title><link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script><script src="/docs/init.js"></script></body></html>`;
  });
  return {
    router,
    assets: [
      mount('/docs/assets', serve(swaggerUiDirectory, { maxage: 86_400_000 })),
      mount('/docs', serve(path.join(viewsDirectory, 'docs'))),
    ],
  };
}
