import pg from 'pg';

/** Runs one statement on a fresh connection and returns its rows. */
export async function query<T extends Record<string, unknown> = Record<string, unknown>>(dsn: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: dsn, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * What a database holds, as comparable data: tables with row counts, views, materialized views,
 * functions, triggers, sequence positions, indexes, types.
 */
export async function fingerprint(dsn: string): Promise<Record<string, unknown>> {
  const client = new pg.Client({ connectionString: dsn });
  await client.connect();
  try {
    const rows = async (sql: string) => (await client.query(sql)).rows;
    const tables = await rows(`SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r','p') ORDER BY 1`);
    const counts: Record<string, number> = {};
    for (const t of tables) {
      counts[t.relname as string] = Number((await rows(`SELECT count(*) AS n FROM public."${t.relname as string}"`))[0]!.n);
    }
    return {
      tables: tables.map((t) => `${t.relname as string}:${t.relkind as string}`),
      counts,
      views: await rows(`SELECT viewname, definition FROM pg_views WHERE schemaname = 'public' ORDER BY 1`),
      matviews: await rows(`SELECT matviewname, ispopulated FROM pg_matviews WHERE schemaname = 'public' ORDER BY 1`),
      functions: (await rows(`SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS f, md5(pg_get_functiondef(p.oid)) AS def
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' AND p.prokind <> 'a' ORDER BY 1`)),
      aggregates: await rows(`SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' AND p.prokind = 'a' ORDER BY 1`),
      triggers: await rows(`SELECT tgrelid::regclass::text AS tbl, tgname, pg_get_triggerdef(oid) AS def FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2`),
      sequences: await rows(`SELECT sequencename, last_value::text FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1`),
      indexes: await rows(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`),
      types: await rows(`SELECT t.typname, t.typtype FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'public' AND t.typtype IN ('d','e') ORDER BY 1`),
    };
  } finally {
    await client.end();
  }
}
