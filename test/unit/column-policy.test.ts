import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { enforceColumnPolicy, uncoveredColumns } from '../../src/engines/column-policy.js';
import type { DbSchema } from '../../src/model/schema.js';

const column = (name: string) => ({ name, type: 'text', nullable: true, pk: false });
const SCHEMA: DbSchema = {
  defaultSchema: 'public',
  tables: [
    { schema: 'public', name: 'customer', columns: ['id', 'email', 'name'].map(column), primaryKey: ['id'], uniqueKeys: [], partitionOf: null },
    { schema: 'public', name: 'film', columns: ['id', 'title'].map(column), primaryKey: ['id'], uniqueKeys: [], partitionOf: null },
    { schema: 'public', name: 'film_2', columns: ['id', 'title'].map(column), primaryKey: ['id'], uniqueKeys: [], partitionOf: { table: { schema: 'public', name: 'film' }, bound: '' } },
    { schema: 'audit', name: 'log', columns: ['id', 'body'].map(column), primaryKey: ['id'], uniqueKeys: [], partitionOf: null },
  ],
  foreignKeys: [],
};

const obfuscate = (input: unknown) => configSchema.parse({ obfuscate: input }).obfuscate;

describe('the strict column policy', () => {
  it('covers a column by a rule or a keep pattern, * matching one part of a name', () => {
    const o = obfuscate({ columns: { policy: 'strict' }, keep: ['*.id', 'film.*'], rules: [{ table: 'customer', column: 'email', strategy: 'hash' }] });
    expect(uncoveredColumns(SCHEMA, o).map((c) => c.shown)).toEqual(['customer.name', 'audit.log.body']);
    expect(uncoveredColumns(SCHEMA, obfuscate({ keep: ['*.*'] }))).toEqual([]);
    expect(uncoveredColumns(SCHEMA, obfuscate({ keep: ['public.*.*'] })).map((c) => c.shown)).toEqual(['audit.log.id', 'audit.log.body']);
  });

  it('fails naming each column under strict, and lets everything through when permissive (the default)', () => {
    expect(() => enforceColumnPolicy(SCHEMA, obfuscate({ columns: { policy: 'strict' }, keep: ['*.id', 'film.*'] }))).toThrow(
      'obfuscate.columns is strict, and 3 source columns are under no obfuscate rule and in no obfuscate.keep pattern: customer.email, customer.name, audit.log.body',
    );
    expect(() => enforceColumnPolicy(SCHEMA, obfuscate({}))).not.toThrow();
  });

  it('refuses a pattern that is not table.column', () => {
    expect(() => obfuscate({ keep: ['email'] })).toThrow(/table\.column/);
  });
});
