import type { DbSchema, SchemaColumn, SchemaTable } from '../model/schema.js';
import { displayName, foreignKeyColumns, relationShape, summary, tableKey, tablesByKey, uniqueNamer } from './relations.js';

/**
 * A Mermaid `erDiagram` of `schema`. Mermaid's grammar is narrow, so names and types are made to fit
 * it, and what that changed is kept in the attribute's comment:
 * - entity names are always quoted (a table may be called `end` or `one`, Mermaid keywords), with
 *   the characters a quoted name cannot hold (`"`, `%`, `\`, line breaks) as `_`;
 * - an attribute's type and name are single words of letters, digits, `_`, `-`, `[]`: a type's
 *   spaces become `_`, numeric parameters a suffix (`character varying(45)` -> `varchar_45`,
 *   `numeric(5,2)` -> `numeric_5_2`), other parameters are dropped (`enum('a','b')` -> `enum`),
 *   and the comment then holds the full SQL type; a column name that is not such a word is
 *   rewritten the same way, its real name in the comment;
 * - a partition is a table of its own (it has keys of its own), with a `%%` line naming its parent.
 */
export function renderMermaid(schema: DbSchema): string {
  const tables = tablesByKey(schema);
  const entityName = uniqueNamer();
  const entities = new Map(schema.tables.map((t) => [tableKey(t), `"${entityName(quotable(displayName(t, schema)))}"`]));
  const lines = ['erDiagram', `    %% ditto erd: ${summary(schema)}`];
  for (const table of schema.tables) {
    if (table.partitionOf) {
      lines.push(`    %% ${oneLine(displayName(table, schema))} is a partition of ${oneLine(displayName(table.partitionOf.table, schema))}: ${oneLine(table.partitionOf.bound)}`);
    }
    lines.push(`    ${entities.get(tableKey(table))} {`, ...attributes(table, schema).map((a) => `        ${a}`), '    }');
  }
  for (const fk of schema.foreignKeys) {
    const shape = relationShape(fk, tables);
    const parent = shape.optional ? '|o' : '||';
    const child = shape.oneToOne ? 'o|' : 'o{';
    const line = shape.identifying ? '--' : '..';
    const from = entities.get(tableKey(fk.from)) ?? `"${quotable(displayName(fk.from, schema))}"`;
    const to = entities.get(tableKey(fk.to)) ?? `"${quotable(displayName(fk.to, schema))}"`;
    lines.push(`    ${to} ${parent}${line}${child} ${from} : "${fk.name.replaceAll('"', "'")}"`);
  }
  return lines.join('\n') + '\n';
}

function attributes(table: SchemaTable, schema: DbSchema): string[] {
  const fkColumns = foreignKeyColumns(table, schema);
  const attributeName = uniqueNamer();
  return table.columns.map((column) => {
    const type = mermaidType(column.type);
    const name = attributeName(mermaidWord(column.name));
    const keys = [column.pk ? 'PK' : null, fkColumns.has(column.name) ? 'FK' : null].filter(Boolean).join(', ');
    const comment = commentOf(column, type, name);
    return [type, name, keys, comment ? `"${comment}"` : ''].filter(Boolean).join(' ');
  });
}

/** What the attribute line could not say itself: the full type, the real name, NOT NULL. */
function commentOf(column: SchemaColumn, type: string, name: string): string {
  const parts: string[] = [];
  if (type !== column.type) parts.push(column.type);
  if (name !== column.name) parts.push(`column ${column.name}`);
  if (!column.nullable && !column.pk) parts.push('not null');
  return oneLine(parts.join('; ')).replaceAll('"', "'");
}

/** PostgreSQL's long type names, as their short aliases (one word each). */
const SHORT_TYPES: [RegExp, string][] = [
  [/^character varying/i, 'varchar'],
  [/^character/i, 'char'],
  [/^bit varying/i, 'varbit'],
  [/^double precision/i, 'double'],
  [/^timestamp(\([^)]*\))? with time zone/i, 'timestamptz$1'],
  [/^timestamp(\([^)]*\))? without time zone/i, 'timestamp$1'],
  [/^time(\([^)]*\))? with time zone/i, 'timetz$1'],
  [/^time(\([^)]*\))? without time zone/i, 'time$1'],
];

/** A SQL type as one Mermaid attribute word: `character varying(45)` -> `varchar_45`, `numeric(5,2)` -> `numeric_5_2`. */
export function mermaidType(sqlType: string): string {
  let type = sqlType.trim();
  for (const [long, short] of SHORT_TYPES) type = type.replace(long, short);
  // Numbers in parentheses become a suffix; anything else there (an enum's values) is left out.
  type = type.replace(/\(([^)]*)\)/g, (_, params: string) => (/^\s*\d+(\s*,\s*\d+)*\s*$/.test(params) ? `_${params.split(',').map((p) => p.trim()).join('_')}` : ''));
  return mermaidWord(type);
}

/** `text` as a Mermaid attribute word: letters, digits, `_`, `-`, `[]` and `*`, not starting with a digit, and not a key marker. */
export function mermaidWord(text: string): string {
  let word = text.replace(/[^A-Za-z0-9\-_[\]*\u00C0-\uFFFF]+/g, '_').replace(/_+/g, '_').replace(/^_(?=.)|(?<=.)_$/g, '');
  if (!word || word === '_') word = 'unnamed';
  if (!/^[*A-Za-z_\u00C0-\uFFFF]/.test(word)) word = `_${word}`;
  // PK, FK and UK (in any case) are keys to Mermaid's lexer, never a name or a type.
  if (/^(pk|fk|uk)$/i.test(word)) word = `${word}_`;
  return word;
}

/** A name as a quoted Mermaid entity name can hold it. */
function quotable(name: string): string {
  return name.replace(/["%\\\r\n\v\b]/g, '_') || '_';
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ');
}
