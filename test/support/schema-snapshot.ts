import { sql, type SQL } from 'drizzle-orm';
import type { DatabaseConnection } from '../../src/infra/database/database.connection';

/** What the migrations built: must not differ between PostgreSQL 15 and PGlite. */
export interface SchemaSnapshot {
  columns: unknown[];
  indexes: unknown[];
  constraints: unknown[];
  /** Rows in drizzle's migration journal table. */
  migrations: number;
}

/** Result rows of a raw query; node-postgres and PGlite both answer `{ rows }`. */
export async function queryRows(connection: DatabaseConnection, query: SQL): Promise<unknown[]> {
  const result: unknown = await connection.db.execute(query);
  return (result as { rows: unknown[] }).rows;
}

export async function schemaSnapshot(connection: DatabaseConnection): Promise<SchemaSnapshot> {
  const columns = await queryRows(
    connection,
    sql`select table_schema, table_name, column_name, data_type, is_nullable, column_default
        from information_schema.columns where table_schema in ('public', 'drizzle')
        order by table_schema, table_name, ordinal_position`,
  );
  const indexes = await queryRows(
    connection,
    sql`select schemaname, tablename, indexname, indexdef from pg_indexes
        where schemaname in ('public', 'drizzle') order by schemaname, indexname`,
  );
  const constraints = await queryRows(
    connection,
    sql`select table_schema, table_name, constraint_name, constraint_type
        from information_schema.table_constraints
        where table_schema in ('public', 'drizzle') and constraint_type <> 'CHECK'
        order by table_schema, constraint_name`,
  );
  const [count] = (await queryRows(
    connection,
    sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
  )) as { n: number }[];
  return { columns, indexes, constraints, migrations: count.n };
}
