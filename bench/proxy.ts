/**
 * A small round-robin HTTP proxy for the two-instance benchmark: keep-alive connections to each
 * Gatehouse instance, and an upstream that fails a connection is taken out of the rotation (and
 * probed back in once /healthz answers again).
 *
 * A request whose connection to an upstream was refused never reached it, so it is retried on the
 * next upstream; a request that was already sent and then lost its connection may have been
 * processed (a refresh token consumed), so it is answered 502 and never replayed.
 *
 * Run as a child process of bench/run.ts: PORT and UPSTREAMS (comma-separated base URLs) in the
 * environment; answers {type:'stats'} over IPC.
 */
import http from 'node:http';
import { pathToFileURL } from 'node:url';

interface Upstream {
  url: URL;
  agent: http.Agent;
  up: boolean;
  downSince?: number;
  /** Requests sent and not yet answered, now and at the moment the upstream was taken out. */
  inFlight: number;
  inFlightWhenMarkedDown?: number;
  forwarded: number;
  failed: number;
  refusedAndRetried: number;
}

export interface ProxyStats {
  type: 'stats';
  upstreams: Array<{
    url: string;
    up: boolean;
    downSince?: number;
    inFlightWhenMarkedDown?: number;
    forwarded: number;
    failed: number;
    refusedAndRetried: number;
  }>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

export function createRoundRobinProxy(upstreamUrls: string[]) {
  const upstreams: Upstream[] = upstreamUrls.map((url) => ({
    url: new URL(url),
    agent: new http.Agent({ keepAlive: true, maxSockets: 256 }),
    up: true,
    inFlight: 0,
    forwarded: 0,
    failed: 0,
    refusedAndRetried: 0,
  }));
  let cursor = 0;

  const next = (exclude: Set<Upstream>): Upstream | undefined => {
    for (let step = 0; step < upstreams.length; step += 1) {
      const candidate = upstreams[(cursor + step) % upstreams.length]!;
      if (candidate.up && !exclude.has(candidate)) {
        cursor = (cursor + step + 1) % upstreams.length;
        return candidate;
      }
    }
    return undefined;
  };

  const markDown = (upstream: Upstream) => {
    if (!upstream.up) return;
    upstream.up = false;
    upstream.downSince = Date.now();
    upstream.inFlightWhenMarkedDown = upstream.inFlight;
  };

  const probe = setInterval(() => {
    for (const upstream of upstreams.filter((candidate) => !candidate.up)) {
      const request = http.get(new URL('/healthz', upstream.url), { agent: false, timeout: 1000 }, (response) => {
        response.resume();
        if (response.statusCode === 200) {
          upstream.up = true;
          upstream.downSince = undefined;
        }
      });
      request.on('error', () => {});
      request.on('timeout', () => request.destroy());
    }
  }, 2000);
  probe.unref();

  const forward = (incoming: http.IncomingMessage, outgoing: http.ServerResponse, body: Buffer, tried: Set<Upstream>) => {
    const upstream = next(tried);
    if (!upstream) {
      outgoing.writeHead(502, { 'content-type': 'application/json' }).end('{"error":"no_upstream"}');
      return;
    }
    tried.add(upstream);
    const headers = Object.fromEntries(Object.entries(incoming.headers).filter(([name]) => !HOP_BY_HOP.has(name)));
    const request = http.request({
      host: upstream.url.hostname,
      port: upstream.url.port,
      method: incoming.method,
      path: incoming.url,
      headers: { ...headers, 'content-length': String(body.length) },
      agent: upstream.agent,
    });
    upstream.inFlight += 1;
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      upstream.inFlight -= 1;
    };
    let connected = false;
    request.on('socket', (socket) => {
      if (!socket.connecting) connected = true;
      else socket.once('connect', () => (connected = true));
    });
    request.on('response', (response) => {
      settle();
      upstream.forwarded += 1;
      const responseHeaders = Object.fromEntries(Object.entries(response.headers).filter(([name]) => !HOP_BY_HOP.has(name)));
      outgoing.writeHead(response.statusCode ?? 502, responseHeaders);
      response.pipe(outgoing);
      response.on('error', () => outgoing.destroy());
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      markDown(upstream);
      settle();
      if (!connected && error.code === 'ECONNREFUSED') {
        upstream.refusedAndRetried += 1;
        forward(incoming, outgoing, body, tried);
        return;
      }
      upstream.failed += 1;
      if (!outgoing.headersSent) outgoing.writeHead(502, { 'content-type': 'application/json' }).end('{"error":"upstream_failed"}');
      else outgoing.destroy();
    });
    request.end(body);
  };

  const server = http.createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => forward(incoming, outgoing, Buffer.concat(chunks), new Set()));
  });
  server.keepAliveTimeout = 65_000;

  const stats = (): ProxyStats => ({
    type: 'stats',
    upstreams: upstreams.map(({ url, up, downSince, inFlightWhenMarkedDown, forwarded, failed, refusedAndRetried }) => ({
      url: url.origin,
      up,
      downSince,
      inFlightWhenMarkedDown,
      forwarded,
      failed,
      refusedAndRetried,
    })),
  });
  return { server, stats };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const upstreams = (process.env.UPSTREAMS ?? '').split(',').filter(Boolean);
  if (upstreams.length === 0) throw new Error('UPSTREAMS is required');
  const proxy = createRoundRobinProxy(upstreams);
  proxy.server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
  process.on('message', (message: { type?: string }) => {
    if (message?.type === 'stats') process.send?.(proxy.stats());
  });
  process.on('SIGTERM', () => process.exit(0));
}
