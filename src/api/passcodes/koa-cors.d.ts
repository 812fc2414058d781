// @koa/cors 5 ships no type declarations and there is no @types package for it in the project;
// this covers the options Gatehouse uses.
declare module '@koa/cors' {
  import type { Context, Middleware } from 'koa';

  interface CorsOptions {
    origin?: string | ((ctx: Context) => string | Promise<string>);
    allowMethods?: string | string[];
    allowHeaders?: string | string[];
    exposeHeaders?: string | string[];
    maxAge?: number | string;
    credentials?: boolean;
    keepHeadersOnError?: boolean;
    secureContext?: boolean;
    privateNetworkAccess?: boolean;
  }

  export default function cors(options?: CorsOptions): Middleware;
}
