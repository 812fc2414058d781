import type Router from '@koa/router';
import { customGrants } from '../oauth/grants/index.js';
import { providerOperations } from '../oauth/provider-operations.js';
import type { Operation } from '../platform/openapi/operation.js';
import { platformOperations } from '../platform/openapi/platform-operations.js';
import { isOperationRouter } from '../platform/openapi/route.js';

/**
 * Every documented operation: what each router declares with `route()` (platform/openapi/route.ts)
 * plus the endpoints oidc-provider and the health routes serve without a declaration. A test
 * fails when a route exists that is not documented.
 */
export function allOperations(routers: readonly Router[]): Operation[] {
  return [...providerOperations(customGrants), ...platformOperations, ...routers.filter(isOperationRouter).flatMap((router) => router.operations)];
}
