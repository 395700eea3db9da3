import mysql from 'mysql2/promise';

/** Runs one statement on a fresh connection to a mysql:// DSN and returns its rows. */
export async function mysqlQuery<T = Record<string, unknown>>(dsn: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const conn = await mysql.createConnection({ uri: dsn, connectTimeout: 5000, multipleStatements: true });
  try {
    const [rows] = await conn.query(sql, params);
    return rows as T[];
  } finally {
    await conn.end();
  }
}

/** What a MySQL database holds, as comparable data: its base tables with row counts, views, triggers and routines. */
export async function mysqlFingerprint(dsn: string, database: string): Promise<Record<string, unknown>> {
  const names = async (sql: string) => (await mysqlQuery<{ n: string }>(dsn, sql, [database])).map((r) => r.n).sort();
  const tables = await names("SELECT table_name AS n FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE'");
  const counts: Record<string, number> = {};
  for (const t of tables) counts[t] = Number((await mysqlQuery<{ c: number }>(dsn, `SELECT count(*) AS c FROM \`${database}\`.\`${t}\``))[0]!.c);
  return {
    tables: counts,
    views: await names("SELECT table_name AS n FROM information_schema.tables WHERE table_schema = ? AND table_type = 'VIEW'"),
    triggers: await names('SELECT trigger_name AS n FROM information_schema.triggers WHERE trigger_schema = ?'),
    routines: await names('SELECT routine_name AS n FROM information_schema.routines WHERE routine_schema = ?'),
  };
}
