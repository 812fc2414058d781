import Router, { type RouterContext, type RouterMiddleware } from '@koa/router';
import type { Middleware, Next } from 'koa';
import type { z } from 'zod';
import { input as queryAndBody } from '../http/body.js';
import { ApiError } from '../http/errors.js';
import { contractViolation } from './contract.js';
import { toKoaPath, type Operation, type RequestSpec } from './operation.js';

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What the handler receives: params, query and body as their schemas parsed them. */
export interface RouteInput<P, Q, B> {
  params: Parsed<P>;
  query: Parsed<Q>;
  body: Parsed<B>;
}

export type RouteContext = RouterContext;

export interface RouteDeclaration<P extends z.ZodObject | undefined, Q extends z.ZodObject | undefined, B extends z.ZodType | undefined>
  extends Omit<Operation, 'request'> {
  request?: Omit<RequestSpec, 'params' | 'query' | 'body'> & { params?: P; query?: Q; body?: B };
  /**
   * Runs before the request is validated, in order: authentication (the scheme `security` names),
   * rate limits, an API family's error envelope. The declaration records which security applies;
   * these enforce it.
   */
  middleware?: Middleware[];
  /** `next` hands the request on (to oidc-provider, for the tokens Gatehouse does not answer itself). */
  handler(ctx: RouteContext, input: RouteInput<P, Q, B>, next: Next): Promise<void> | void;
}

/** A served endpoint: its operation (documentation and schemas) and the middleware that serve it. */
export interface DeclaredRoute {
  operation: Operation;
  middleware: Middleware[];
  handler(ctx: RouteContext, input: ParsedRequest, next: Next): Promise<void> | void;
}

interface ParsedRequest {
  params: unknown;
  query: unknown;
  body: unknown;
}

/**
 * One declaration per endpoint (Logto's koaGuard, conventions 2 and 13): method, path, security,
 * request and response schemas per status with examples, and the handler. The request is parsed
 * with the schemas before the handler runs (a ZodError becomes the family's 400); the same
 * declaration is the endpoint's OpenAPI operation (document.ts).
 */
export function route<
  P extends z.ZodObject | undefined = undefined,
  Q extends z.ZodObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(declaration: RouteDeclaration<P, Q, B>): DeclaredRoute {
  const { middleware = [], handler, ...operation } = declaration;
  return { operation: operation as Operation, middleware, handler: handler as DeclaredRoute['handler'] };
}

/** A router built from declarations, carrying their operations for the OpenAPI document. */
export type OperationRouter = Router & {
  readonly operations: readonly Operation[];
  /**
   * Check every response against the schema declared for its status (tests only: in production a
   * response is not parsed again). A violation is a 500 naming it.
   */
  checkResponses: boolean;
};

export const isOperationRouter = (router: Router): router is OperationRouter => 'operations' in router;

function parseRequest(ctx: RouteContext, request: RequestSpec | undefined): ParsedRequest {
  if (!request) return { params: undefined, query: undefined, body: undefined };
  const merged = request.mergeQueryAndBody ? queryAndBody(ctx) : undefined;
  return {
    params: request.params?.parse(ctx.params),
    query: request.query?.parse(merged ?? ctx.query),
    body: request.body?.parse(merged ?? ctx.request.body ?? {}),
  };
}

function assertResponseContract(ctx: RouteContext, operation: Operation) {
  // Handed on to oidc-provider, which writes the response itself.
  if (ctx.respond === false) return;
  const declared = operation.responses[ctx.status];
  const where = `${operation.method.toUpperCase()} ${operation.path} answered ${ctx.status}`;
  if (!declared) throw new ApiError(500, 'response_contract_violation', `${where}, a status it does not declare`);
  if (!declared.schema) return;
  const violation = contractViolation(declared.schema, ctx.body);
  if (violation) throw new ApiError(500, 'response_contract_violation', `${where} outside its schema: ${violation}`);
}

/** Registers the routes in order (a literal path before a parameter that would match it too). */
export function routerFor(routes: DeclaredRoute[]): OperationRouter {
  const router = Object.assign(new Router(), { operations: routes.map((each) => each.operation), checkResponses: false });
  for (const { operation, middleware, handler } of routes) {
    const serve: RouterMiddleware = async (ctx, next) => {
      await handler(ctx, parseRequest(ctx, operation.request), next);
      if (router.checkResponses) assertResponseContract(ctx, operation);
    };
    router.register(toKoaPath(operation.path), [operation.method.toUpperCase()], [...(middleware as RouterMiddleware[]), serve]);
  }
  return router;
}
