import { createRequire } from 'node:module';
import path from 'node:path';
import serve from 'koa-static';
import { z } from 'zod';
import mount from '../http/mount.js';
import { viewsDirectory } from '../http/views.js';
import { buildOpenApiDocument } from './document.js';
import type { Operation } from './operation.js';
import { route, routerFor } from './route.js';
import { rempErrors } from './shapes.js';

const swaggerUiDirectory = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const documentSummary = z
  .object({ openapi: z.string(), info: z.object({ title: z.string(), version: z.string() }).loose(), paths: z.record(z.string(), z.unknown()) })
  .loose()
  .meta({ id: 'OpenApiDocument' });

/** `/openapi.json` and a readable `/docs` page whose assets come from the swagger-ui-dist package (no CDN). */
export function createOpenApiRoutes(options: { issuer: string; version: string; operations: () => readonly Operation[]; verifyExamples?: boolean }) {
  let document: ReturnType<typeof buildOpenApiDocument> | undefined;
  const router = routerFor([
    route({
      method: 'get',
      path: '/openapi.json',
      tags: ['Operations'],
      summary: 'This document (OpenAPI 3.1)',
      security: [],
      responses: {
        200: {
          description: 'OpenAPI 3.1',
          schema: documentSummary,
          example: { openapi: '3.1.0', info: { title: 'Gatehouse', version: options.version }, paths: {} },
        },
        400: rempErrors.malformed,
      },
      handler(ctx) {
        document ??= buildOpenApiDocument({
          issuer: options.issuer,
          version: options.version,
          operations: options.operations(),
          verifyExamples: options.verifyExamples,
        });
        ctx.body = document;
      },
    }),
    route({
      method: 'get',
      path: '/docs',
      tags: ['Operations'],
      summary: 'Readable API documentation (Swagger UI)',
      security: [],
      responses: {
        200: {
          description: 'HTML page',
          contentType: 'text/html',
          example: '<!doctype html><html lang="en"><head><title>Gatehouse API</title></head><body><div id="swagger-ui"></div></body></html>',
        },
        400: rempErrors.malformed,
      },
      handler(ctx) {
        ctx.type = 'html';
        ctx.body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gatehouse API</title><link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script><script src="/docs/init.js"></script></body></html>`;
      },
    }),
  ]);
  return {
    router,
    assets: [mount('/docs/assets', serve(swaggerUiDirectory, { maxage: 86_400_000 })), mount('/docs', serve(path.join(viewsDirectory, 'docs')))],
  };
}
