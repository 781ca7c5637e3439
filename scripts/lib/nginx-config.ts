/**
 * deploy/nginx.conf, adapted to run somewhere else: the one load-balancer configuration that
 * production (docker-compose.yml), `scripts/cluster.sh` and the multi-replica e2e tests all use.
 *
 * Only what depends on where nginx runs is rewritten: the listen address, the upstream servers
 * (their parameters, e.g. max_fails, are kept from the template), where the pid, logs and temp
 * files go, the worker count and user, foreground mode and, for tests, the balancing method.
 * Everything that decides behaviour (WebSocket upgrade, X-Forwarded-For, X-Request-Id, timeouts,
 * retries, buffering) comes from deploy/nginx.conf as it is. A rewrite that can't find what it
 * expects throws, naming it, so an edit of deploy/nginx.conf can't silently drift away from
 * what the tests prove.
 *
 * CLI (used by scripts/cluster.sh), prints the config on stdout:
 *   node -r ts-node/register/transpile-only scripts/lib/nginx-config.ts --dir DIR --listen 127.0.0.1:8080 \
 *     --upstream 127.0.0.1:3001 --upstream 127.0.0.1:3002 [--balance ip_hash|round_robin] \
 *     [--workers N|auto] [--user nobody] [--expose-upstream] [--template deploy/nginx.conf]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

/** deploy/nginx.conf, from the repository root. */
export const DEPLOY_NGINX_CONF = path.resolve(__dirname, '../../deploy/nginx.conf');

export interface NginxConfigOptions {
  /** `port` or `address:port` to listen on. */
  listen: string;
  /** Upstream servers, `host:port`, in order. */
  upstreams: readonly string[];
  /** Absolute directory for the pid file, logs and temp files. */
  dir: string;
  /**
   * `ip_hash` (the template's: long-polling clients stick to one replica) or `round_robin`.
   * ip_hash hashes the first three octets of the client's IPv4 address, so every client on
   * 127.0.0.x reaches the same replica: tests that need their loopback clients spread over the
   * replicas use round_robin (WebSocket-only clients need no stickiness).
   */
  balance: 'ip_hash' | 'round_robin';
  /** worker_processes (default: the template's). */
  workers?: number | 'auto';
  /** Unprivileged user the workers run as (give one when nginx starts as root). */
  user?: string;
  /** Adds `X-Upstream: <replica address>` to every response (local clusters; never in production). */
  exposeUpstream?: boolean;
  /** Template text (default: deploy/nginx.conf). */
  template?: string;
}

/** Replaces the one match of `pattern` (which must match), naming `what` when it doesn't. */
function rewrite(
  text: string,
  what: string,
  pattern: RegExp,
  replace: (match: string, ...groups: string[]) => string,
): string {
  const flags = pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`;
  const matches = text.match(new RegExp(pattern.source, flags)) ?? [];
  if (matches.length !== 1) {
    throw new Error(
      `deploy/nginx.conf: expected exactly one ${what} (${String(pattern)}), found ${matches.length}`,
    );
  }
  return text.replace(pattern, replace as (substring: string, ...args: unknown[]) => string);
}

const SAFE = /^[A-Za-z0-9_.:[\]/-]+$/;
function safe(value: string, what: string): string {
  if (!SAFE.test(value)) throw new Error(`nginx config: unsafe ${what} ${JSON.stringify(value)}`);
  return value;
}

/** `user` or `user group`. */
function safeUser(value: string): string {
  if (!/^[A-Za-z0-9_.-]+( [A-Za-z0-9_.-]+)?$/.test(value)) {
    throw new Error(`nginx config: unsafe user ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * The upstream blocks of deploy/nginx.conf: the HTTP API and Socket.IO, both over every replica,
 * each with its own server parameters (see the comments there).
 */
export const UPSTREAM_BLOCKS = ['baatcheet_app', 'baatcheet_socket'] as const;

/** An upstream block's body with the template's servers replaced by `options.upstreams`. */
function upstreamBody(name: string, body: string, options: NginxConfigOptions): string {
  const lines = body.split('\n');
  const servers = lines.filter((line) => /^\s*server\s/.test(line));
  if (servers.length === 0)
    throw new Error(`deploy/nginx.conf: upstream ${name} has no server line`);
  const first = /^(\s*)server\s+\S+(.*);\s*$/.exec(servers[0]);
  if (!first) throw new Error(`deploy/nginx.conf: can't read the upstream line ${servers[0]}`);
  const [, serverIndent, parameters] = first;
  const generated = options.upstreams.map(
    (upstream) => `${serverIndent}server ${safe(upstream, 'upstream')}${parameters};`,
  );
  const out: string[] = [];
  let placed = false;
  for (const line of lines) {
    if (/^\s*ip_hash\s*;/.test(line)) continue;
    if (/^\s*server\s/.test(line)) {
      if (!placed) {
        if (options.balance === 'ip_hash') out.push(`${serverIndent}ip_hash;`);
        out.push(...generated);
        placed = true;
      }
      continue;
    }
    out.push(line);
  }
  return out.join('\n');
}

export function renderNginxConfig(options: NginxConfigOptions): string {
  if (options.upstreams.length === 0) throw new Error('nginx config: no upstream servers');
  if (!path.isAbsolute(options.dir)) throw new Error('nginx config: dir must be absolute');
  const dir = safe(options.dir, 'dir');
  const at = (name: string): string => path.join(dir, name);
  let text = options.template ?? readFileSync(DEPLOY_NGINX_CONF, 'utf8');

  text = rewrite(text, 'pid directive', /^pid\s+[^;]+;/m, () => `pid ${at('nginx.pid')};`);
  text = rewrite(
    text,
    'top-level error_log',
    /^error_log\s+\S+/m,
    () => `error_log ${at('error.log')}`,
  );
  if (options.workers !== undefined) {
    text = rewrite(
      text,
      'worker_processes directive',
      /^worker_processes\s+[^;]+;/m,
      () => `worker_processes ${options.workers};`,
    );
  }
  text = rewrite(
    text,
    'http-level access_log',
    /^([ \t]*)access_log\s+[^;\s]+/m,
    (_m, indent) => `${indent}access_log ${at('access.log')}`,
  );
  // Temp files: Debian's compiled-in paths (/var/lib/nginx) belong to the system's nginx.
  text = rewrite(
    text,
    'http block',
    /^http \{\n/m,
    (opening) =>
      `${opening}  # Temp files of this instance (generated).\n` +
      ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
        .map((kind) => `  ${kind}_temp_path ${at(kind)};\n`)
        .join('') +
      '\n',
  );

  for (const name of UPSTREAM_BLOCKS) {
    text = rewrite(
      text,
      `upstream ${name} block`,
      new RegExp(`^([ \\t]*)upstream ${name} \\{\\n([\\s\\S]*?)\\n\\1\\}`, 'm'),
      (_m, indent, body) =>
        `${indent}upstream ${name} {\n${upstreamBody(name, body, options)}\n${indent}}`,
    );
  }

  text = rewrite(
    text,
    'listen directive',
    /^([ \t]*)listen\s+[^;]+;/m,
    (_m, indent) => `${indent}listen ${safe(options.listen, 'listen address')};`,
  );
  if (options.exposeUpstream) {
    text = rewrite(
      text,
      'server_name directive',
      /^([ \t]*)server_name\s+[^;]+;/m,
      (line, indent) =>
        `${line}\n${indent}# Which replica answered (local cluster only; generated).\n` +
        `${indent}add_header X-Upstream $upstream_addr always;`,
    );
  }

  const head = [
    '# Generated from deploy/nginx.conf by scripts/lib/nginx-config.ts: edit that file, not this one.',
    'daemon off;',
    ...(options.user ? [`user ${safeUser(options.user)};`] : []),
  ];
  return `${head.join('\n')}\n${text}`;
}

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      dir: { type: 'string' },
      listen: { type: 'string' },
      upstream: { type: 'string', multiple: true },
      balance: { type: 'string', default: 'ip_hash' },
      workers: { type: 'string' },
      user: { type: 'string' },
      'expose-upstream': { type: 'boolean', default: false },
      template: { type: 'string' },
    },
    strict: true,
  });
  if (!values.dir || !values.listen || !values.upstream?.length) {
    throw new Error('usage: nginx-config.ts --dir DIR --listen ADDR:PORT --upstream HOST:PORT...');
  }
  if (values.balance !== 'ip_hash' && values.balance !== 'round_robin') {
    throw new Error('--balance must be ip_hash or round_robin');
  }
  const workers =
    values.workers === undefined
      ? undefined
      : values.workers === 'auto'
        ? ('auto' as const)
        : Number(values.workers);
  if (typeof workers === 'number' && !(Number.isInteger(workers) && workers > 0)) {
    throw new Error('--workers must be a positive whole number or auto');
  }
  process.stdout.write(
    renderNginxConfig({
      dir: path.resolve(values.dir),
      listen: values.listen,
      upstreams: values.upstream,
      balance: values.balance,
      workers,
      user: values.user,
      exposeUpstream: values['expose-upstream'],
      template: values.template ? readFileSync(values.template, 'utf8') : undefined,
    }),
  );
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
