import { Client } from 'pg';
import request, { type Response } from 'supertest';
import { ERROR_CODES, type ErrorCode } from '../../../src/common/errors/error-codes';
import { expectErrorEnvelope } from '../../support/envelope';

const KNOWN_CODES = new Set(Object.keys(ERROR_CODES));

function isKnownCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && KNOWN_CODES.has(code);
}

/**
 * The REST invariants for one answer: never a 5xx; every 4xx is the contract's envelope with a
 * known code whose table status is the status sent; a 2xx under /api/v1 is the success envelope.
 */
export function checkHttpAnswer(res: Response, path: string): void {
  if (res.status >= 500) {
    throw new Error(`${res.status} answer: ${JSON.stringify(res.body).slice(0, 500)}`);
  }
  if (res.status >= 400) {
    const code: unknown = (res.body as { error?: { code?: unknown } } | undefined)?.error?.code;
    if (!isKnownCode(code)) {
      throw new Error(
        `${res.status} with unknown code ${JSON.stringify(code)}: ${String(res.text).slice(0, 300)}`,
      );
    }
    expectErrorEnvelope(res, res.status, code);
    if (ERROR_CODES[code] !== res.status) {
      throw new Error(
        `code ${code} is a ${ERROR_CODES[code]} in the table, answered ${res.status}`,
      );
    }
    return;
  }
  if (res.status >= 200 && res.status < 300 && path.startsWith('/api/v1')) {
    const body = res.body as { success?: unknown; message?: unknown };
    if (body.success !== true || typeof body.message !== 'string') {
      throw new Error(`2xx without the success envelope: ${String(res.text).slice(0, 300)}`);
    }
  }
}

export interface AckShape {
  ok: boolean;
  data?: unknown;
  error?: { code: string; message: string };
}

/** `{ ok: true, data }` or `{ ok: false, error: { code, message } }` with a known non-5xx code. */
export function checkAck(ack: unknown): AckShape {
  if (ack === null || typeof ack !== 'object' || Array.isArray(ack)) {
    throw new Error(`ack is not an object: ${JSON.stringify(ack)}`);
  }
  const answer = ack as Record<string, unknown>;
  if (answer.ok === true) {
    const keys = Object.keys(answer).sort().join(',');
    if (keys !== 'data,ok') throw new Error(`ok ack has keys ${keys}`);
    return answer as unknown as AckShape;
  }
  if (answer.ok !== false) throw new Error(`ack without ok: ${JSON.stringify(ack)}`);
  const keys = Object.keys(answer).sort().join(',');
  if (keys !== 'error,ok') throw new Error(`error ack has keys ${keys}`);
  const error = answer.error as Record<string, unknown> | null;
  if (error === null || typeof error !== 'object')
    throw new Error(`error ack: ${JSON.stringify(ack)}`);
  const errorKeys = Object.keys(error).sort().join(',');
  if (errorKeys !== 'code,message') throw new Error(`ack error has keys ${errorKeys}`);
  if (!isKnownCode(error.code)) throw new Error(`ack with unknown code ${String(error.code)}`);
  if (ERROR_CODES[error.code] >= 500) throw new Error(`ack with a 5xx code ${error.code}`);
  if (typeof error.message !== 'string' || error.message.length === 0) {
    throw new Error(`ack error without a message: ${JSON.stringify(ack)}`);
  }
  return answer as unknown as AckShape;
}

/** The process still serves: `/health/live` answers 200. */
export async function expectAlive(url: string): Promise<void> {
  const res = await request(url).get('/health/live').timeout(10_000);
  if (res.status !== 200) throw new Error(`/health/live answered ${res.status}`);
}

/**
 * Row count and an md5 of every row of every table of the app's database, so "a rejected request
 * changed nothing" is checked against everything, not a hand-picked list.
 */
export class DatabaseFingerprint {
  private constructor(
    private readonly client: Client,
    private readonly sql: string,
  ) {}

  static async open(databaseUrl: string): Promise<DatabaseFingerprint> {
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    const { rows } = await client.query<{ schema: string; name: string }>(
      `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
        WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
          AND table_schema NOT LIKE 'drizzle%'
        ORDER BY 1, 2`,
    );
    if (rows.length === 0) throw new Error('no tables to fingerprint');
    const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;
    const sql = rows
      .map(
        ({ schema, name }) =>
          `SELECT '${schema}.${name}' AS t, count(*)::text AS n, ` +
          `md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h ` +
          `FROM ${quote(schema)}.${quote(name)} x`,
      )
      .join(' UNION ALL ');
    return new DatabaseFingerprint(client, sql);
  }

  /** `table:count:md5` per table, one line each. */
  async take(): Promise<string> {
    const { rows } = await this.client.query<{ t: string; n: string; h: string }>(this.sql);
    return rows.map((row) => `${row.t}:${row.n}:${row.h}`).join('\n');
  }

  /** Throws naming the tables that differ. */
  static expectSame(before: string, after: string, what: string): void {
    if (before === after) return;
    const old = new Set(before.split('\n'));
    const changed = after
      .split('\n')
      .filter((line) => !old.has(line))
      .map((line) => line.split(':')[0]);
    throw new Error(`${what} changed the database (tables ${changed.join(', ')})`);
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}
