import { sql } from 'drizzle-orm';
import { DatabaseConnection } from '../../src/infra/database/database.connection';
import { UsersRepository, type UserSearch } from '../../src/modules/users/users.repository';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { queryRows } from '../support/schema-snapshot';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function nodesOf(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodesOf)];
}

const USERS = 10_000;

/** User_<first> … User_<last>, as the fixture names them. */
const names = (first: number, last: number): string[] =>
  Array.from({ length: last - first + 1 }, (_, i) => `User_${String(first + i).padStart(5, '0')}`);

/**
 * The search must stay an index range scan as users grow: EXPLAIN the repository's own query
 * (same text, same parameters) over 10,000 analysed users.
 */
describe('user search query plan (PostgreSQL, 10,000 users)', () => {
  let database: TestDatabase;
  let connection: DatabaseConnection;
  let repository: UsersRepository;
  let callerId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    connection = await DatabaseConnection.open({
      driver: 'postgres',
      url: database.url,
      poolMax: 2,
      migrateOnStart: false,
    });
    repository = new UsersRepository(connection.db);
    await connection.db.execute(sql`
      insert into users (id, username, email, password_hash)
      select gen_random_uuid(), 'User_' || lpad(i::text, 5, '0'), 'user' || i || '@example.com', 'x'
      from generate_series(1, ${USERS}::int) as i`);
    const [caller] = (await queryRows(
      connection,
      sql`select id from users where username = 'User_00001'`,
    )) as { id: string }[];
    callerId = caller.id;
    // A few blocks both ways, so the anti-joins have something to look at.
    await connection.db.execute(sql`
      insert into blocks (blocker_id, blocked_id)
      select ${callerId}::uuid, id from users where username in ('User_00420', 'User_00421')
      union all
      select id, ${callerId}::uuid from users where username = 'User_00422'`);
    await connection.db.execute(sql`analyze users`);
    await connection.db.execute(sql`analyze blocks`);
  }, 60_000);

  afterAll(async () => {
    await connection?.close();
    await database?.drop();
  });

  async function planOf(search: UserSearch): Promise<PlanNode[]> {
    const [row] = (await queryRows(
      connection,
      sql`explain (format json) ${repository.searchQuery(search)}`,
    )) as { 'QUERY PLAN': { Plan: PlanNode }[] }[];
    if (process.env.PRINT_PLANS) {
      const text = (await queryRows(
        connection,
        sql`explain ${repository.searchQuery(search)}`,
      )) as { 'QUERY PLAN': string }[];
      process.stdout.write(`${text.map((line) => line['QUERY PLAN']).join('\n')}\n\n`);
    }
    return nodesOf(row['QUERY PLAN'][0].Plan);
  }

  function expectIndexOnly(nodes: PlanNode[]): void {
    const onUsers = nodes.filter((node) => node['Relation Name'] === 'users');
    expect(onUsers.map((node) => node['Node Type'])).not.toContain('Seq Scan');
    const indexScans = nodes.filter(
      (node) =>
        ['Index Scan', 'Index Only Scan', 'Bitmap Index Scan'].includes(node['Node Type']) &&
        node['Index Name'] === 'users_username_lower_key',
    );
    expect(indexScans.length).toBeGreaterThan(0);
  }

  it('uses users_username_lower_key for a selective prefix', async () => {
    const search = { callerId, prefix: 'user_0042', limit: 21 };
    const nodes = await planOf(search);
    expectIndexOnly(nodes);
    const rows = await repository.search(search);
    // user_00420..00429 minus the two the caller blocked and the one who blocked the caller.
    expect(rows.map((row) => row.username)).toEqual(names(423, 429));
  });

  it('walks the index in order for a prefix every user matches, without sorting them all', async () => {
    const search = { callerId, prefix: 'USER_', limit: 21 };
    const nodes = await planOf(search);
    expectIndexOnly(nodes);
    expect(nodes.map((node) => node['Node Type'])).not.toContain('Sort');
    const rows = await repository.search(search);
    expect(rows.map((row) => row.username)).toEqual(names(2, 22));
  });

  it('keeps using the index on later pages (keyset cursor)', async () => {
    const search = { callerId, prefix: 'user_', after: 'user_05000', limit: 21 };
    const nodes = await planOf(search);
    expectIndexOnly(nodes);
    expect(nodes.map((node) => node['Node Type'])).not.toContain('Sort');
    const rows = await repository.search(search);
    expect(rows[0].username).toBe('User_05001');
    expect(rows).toHaveLength(21);
  });

  it('treats LIKE wildcards in the prefix as literal characters', async () => {
    const nodes = await planOf({ callerId, prefix: 'user%0', limit: 21 });
    expectIndexOnly(nodes);
    expect(await repository.search({ callerId, prefix: 'user%', limit: 5 })).toEqual([]);
    expect(await repository.search({ callerId, prefix: 'user\\', limit: 5 })).toEqual([]);
    expect(await repository.search({ callerId, prefix: 'user_0000_', limit: 5 })).toEqual([]);
    expect(
      (await repository.search({ callerId, prefix: 'user_0000', limit: 20 })).map(
        (r) => r.username,
      ),
    ).toEqual(names(2, 9));
  });
});
