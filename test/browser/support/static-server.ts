import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export interface StaticServer {
  port: number;
  close(): Promise<void>;
}

type Route = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * Serves a built single-page app from `root` on 127.0.0.1:`port` (unknown paths get index.html),
 * plus optional extra `routes` tried first. Enough for a test; not a production server.
 */
export async function serveStatic(
  root: string,
  port: number,
  routes: Route[] = [],
): Promise<StaticServer> {
  const base = path.resolve(root);
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (routes.some((route) => route(req, res))) return;
      const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      let file = path.resolve(base, `.${pathname}`);
      if (!file.startsWith(base + path.sep)) file = path.join(base, 'index.html');
      const found = await stat(file).catch(() => null);
      if (!found?.isFile()) file = path.join(base, 'index.html');
      res.writeHead(200, {
        'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'Cache-Control': 'no-store',
      });
      createReadStream(file).pipe(res);
    })().catch(() => {
      res.statusCode = 500;
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A route answering GET `pathname` with a fixed HTML page. */
export function htmlRoute(pathname: string, html: string): Route {
  return (req, res) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== pathname) return false;
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(html);
    return true;
  };
}
