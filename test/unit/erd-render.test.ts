import { describe, expect, it } from 'vitest';
import { dbmlType, identifier } from '../../src/diagram/dbml.js';
import { renderErd } from '../../src/diagram/erd.js';
import { mermaidType, mermaidWord } from '../../src/diagram/mermaid.js';
import type { DbSchema, SchemaTable } from '../../src/model/schema.js';
import { invalidMermaidLines } from '../helpers/diagrams.js';

function table(schema: string, name: string, columns: [string, string, boolean?][], primaryKey: string[] = [], extra: Partial<SchemaTable> = {}): SchemaTable {
  return {
    schema,
    name,
    columns: columns.map(([n, type, nullable]) => ({ name: n, type, nullable: nullable ?? false, pk: primaryKey.includes(n) })),
    primaryKey,
    uniqueKeys: [],
    partitionOf: null,
    ...extra,
  };
}

/** Small, but with every case the renderers must get right: another schema, odd names, composite and one-to-one keys, a partition. */
const SCHEMA: DbSchema = {
  defaultSchema: 'public',
  tables: [
    table('public', 'film', [['film_id', 'integer'], ['title', 'character varying(255)'], ['rental_rate', 'numeric(4,2)'], ['rating', 'mpaa_rating', true]], ['film_id']),
    table('public', 'actor', [['actor_id', 'integer'], ['first name', 'text'], ['pk', 'integer', true]], ['actor_id']),
    table('public', 'film_actor', [['actor_id', 'integer'], ['film_id', 'integer'], ['last_update', 'timestamp with time zone']], ['actor_id', 'film_id']),
    table('sales', 'order "items"', [['order_id', 'bigint'], ['line', 'smallint'], ['film_id', 'integer', true], ['tags', 'text[]', true]], ['order_id', 'line']),
    table('sales', 'end', [['order_id', 'bigint'], ['line', 'smallint'], ['note', "enum('a','b')", true]], ['order_id', 'line']),
    table('public', 'payment', [['payment_id', 'integer'], ['film_id', 'integer']], []),
    table('public', 'payment_p1', [['payment_id', 'integer'], ['film_id', 'integer']], [], {
      partitionOf: { table: { schema: 'public', name: 'payment' }, bound: "FOR VALUES FROM ('2022-01-01') TO ('2022-02-01')" },
    }),
  ],
  foreignKeys: [
    { name: 'film_actor_actor_id_fkey', from: { schema: 'public', name: 'film_actor' }, columns: ['actor_id'], to: { schema: 'public', name: 'actor' }, toColumns: ['actor_id'] },
    { name: 'film_actor_film_id_fkey', from: { schema: 'public', name: 'film_actor' }, columns: ['film_id'], to: { schema: 'public', name: 'film' }, toColumns: ['film_id'] },
    { name: 'items_film', from: { schema: 'sales', name: 'order "items"' }, columns: ['film_id'], to: { schema: 'public', name: 'film' }, toColumns: ['film_id'] },
    { name: 'end_item "1:1"', from: { schema: 'sales', name: 'end' }, columns: ['order_id', 'line'], to: { schema: 'sales', name: 'order "items"' }, toColumns: ['order_id', 'line'] },
    { name: 'payment_p1_film', from: { schema: 'public', name: 'payment_p1' }, columns: ['film_id'], to: { schema: 'public', name: 'film' }, toColumns: ['film_id'] },
  ],
};

describe('the Mermaid diagram', () => {
  const text = renderErd(SCHEMA, 'mermaid');

  it('is erDiagram text every line of which Mermaid’s grammar takes', () => {
    expect(text.startsWith('erDiagram\n')).toBe(true);
    expect(invalidMermaidLines(text)).toEqual([]);
    // An attribute word never is PK/FK/UK, which the lexer reads as keys, in any case.
    for (const line of text.split('\n')) expect(line).not.toMatch(/^\s+\S+ (pk|fk|uk)( |$)/i);
  });

  it('names tables unqualified in the default schema, schema-qualified elsewhere, and quotes every one', () => {
    expect(text).toContain('    "film" {');
    expect(text).toContain('    "sales.order _items_" {');
    expect(text).toContain('    "sales.end" {');
  });

  it('turns types into single words and keeps the full type in the comment', () => {
    expect(text).toContain('varchar_255 title "character varying(255); not null"');
    expect(text).toContain('numeric_4_2 rental_rate "numeric(4,2); not null"');
    expect(text).toContain('timestamptz last_update "timestamp with time zone; not null"');
    expect(text).toContain('enum note "enum(\'a\',\'b\')"');
    expect(text).toContain('mpaa_rating rating\n');
    expect(text).toContain('text[] tags\n');
  });

  it('marks keys, and rewrites column names that are no Mermaid word', () => {
    expect(text).toContain('integer actor_id PK, FK');
    expect(text).toContain('text first_name "column first name; not null"');
    expect(text).toContain('integer pk_ "column pk"');
  });

  it('draws every foreign key from the referenced table, with its name and cardinality', () => {
    // Part of the child's primary key: identifying (--); a nullable key: zero or one (|o); unique: one-to-one (o|).
    expect(text).toContain('"actor" ||--o{ "film_actor" : "film_actor_actor_id_fkey"');
    expect(text).toContain('"film" |o..o{ "sales.order _items_" : "items_film"');
    expect(text).toContain('"sales.order _items_" ||--o| "sales.end" : "end_item \'1:1\'"');
    expect(text).toContain('"film" ||..o{ "payment_p1" : "payment_p1_film"');
    expect(text.match(/ : "/g)).toHaveLength(SCHEMA.foreignKeys.length);
  });

  it('shows a partition as a table of its own, and says whose partition it is', () => {
    expect(text).toContain("    %% payment_p1 is a partition of payment: FOR VALUES FROM ('2022-01-01') TO ('2022-02-01')\n    \"payment_p1\" {");
    expect(text).toContain('%% ditto erd: 7 tables (1 of them partitions), 5 foreign keys');
  });

  it('is the same text whatever order the catalogue answered in', () => {
    const shuffled = { ...SCHEMA, tables: [...SCHEMA.tables].reverse(), foreignKeys: [...SCHEMA.foreignKeys].reverse() };
    expect(renderErd(shuffled, 'mermaid')).toBe(text);
  });
});

describe('Mermaid words', () => {
  it('make types and names fit the grammar', () => {
    expect(mermaidType('character varying(45)')).toBe('varchar_45');
    expect(mermaidType('numeric(5,2)')).toBe('numeric_5_2');
    expect(mermaidType('timestamp(6) without time zone')).toBe('timestamp_6');
    expect(mermaidType('smallint(5) unsigned')).toBe('smallint_5_unsigned');
    expect(mermaidType("set('a','b c')")).toBe('set');
    expect(mermaidType('double precision')).toBe('double');
    expect(mermaidType('character varying(45)[]')).toBe('varchar_45[]');
    expect(mermaidType('"MyType"')).toBe('MyType');
    expect(mermaidWord('2fa')).toBe('_2fa');
    expect(mermaidWord('FK')).toBe('FK_');
    expect(mermaidWord('a~b~c')).toBe('a_b_c');
    expect(mermaidWord('!!!')).toBe('unnamed');
  });
});

describe('the DBML diagram', () => {
  const text = renderErd(SCHEMA, 'dbml');

  it('has a Table per table with full types, quoting what is no plain word', () => {
    expect(text).toContain('Table film {\n  film_id integer [pk]\n  title "character varying(255)" [not null]\n  rental_rate numeric(4,2) [not null]\n  rating mpaa_rating\n}');
    expect(text).toContain('Table sales."order \\"items\\"" {');
    expect(text).toContain('  "first name" text [not null]');
    expect(text).toContain('  tags text[]');
    expect(text).toContain('  "note" "enum(\'a\',\'b\')"');
  });

  it('gives composite primary keys as an index, and partitions a note', () => {
    expect(text).toContain('  indexes {\n    (actor_id, film_id) [pk]\n  }');
    expect(text).toContain("  Note: 'partition of payment FOR VALUES FROM (\\'2022-01-01\\') TO (\\'2022-02-01\\')'");
  });

  it('has a Ref per foreign key under its name: many-to-one, one-to-one, composite', () => {
    expect(text).toContain('Ref film_actor_actor_id_fkey: film_actor.actor_id > actor.actor_id');
    expect(text).toContain('Ref items_film: sales."order \\"items\\"".film_id > film.film_id');
    expect(text).toContain('Ref "end_item \\"1:1\\"": sales.end.(order_id, line) - sales."order \\"items\\"".(order_id, line)');
    expect(text.match(/^Ref /gm)).toHaveLength(SCHEMA.foreignKeys.length);
  });

  it('quotes keywords and odd names, and types with spaces', () => {
    expect(identifier('note')).toBe('"note"');
    expect(identifier('Table')).toBe('"Table"');
    expect(identifier('customer_id')).toBe('customer_id');
    expect(dbmlType('timestamp with time zone')).toBe('"timestamp with time zone"');
    expect(dbmlType('varchar(45)')).toBe('varchar(45)');
    expect(dbmlType('numeric(5,2)')).toBe('numeric(5,2)');
  });
});
