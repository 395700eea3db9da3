import type { Config } from '../config/schema.js';
import { DittoError } from '../errors.js';
import type { DbSchema } from '../model/schema.js';

/** A column of the source, as `table.column` (schema-qualified outside the default schema). */
export interface SourceColumn {
  schema: string;
  table: string;
  column: string;
  shown: string;
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^.]*')}$`);
}

/**
 * The source's columns that no obfuscation rule names and no `obfuscate.keep` pattern matches, in
 * table order. A `table.column` pattern matches in any schema, `schema.table.column` in its own. A partition's columns are its partitioned table's: rules and patterns name that one.
 */
export function uncoveredColumns(schema: DbSchema, obfuscate: Config['obfuscate']): SourceColumn[] {
  const patterns = obfuscate.keep.map(globToRegExp);
  const inDefault = (s: string) => s === schema.defaultSchema;
  const ruled = new Set(obfuscate.rules.map((r) => `${r.table.includes('.') ? r.table : `${schema.defaultSchema}.${r.table}`}.${r.column}`));
  const out: SourceColumn[] = [];
  for (const t of schema.tables) {
    if (t.partitionOf) continue;
    for (const c of t.columns) {
      const short = `${t.name}.${c.name}`;
      const full = `${t.schema}.${short}`;
      if (ruled.has(full)) continue;
      if (patterns.some((p) => p.test(full) || p.test(short))) continue;
      out.push({ schema: t.schema, table: t.name, column: c.name, shown: inDefault(t.schema) ? short : full });
    }
  }
  return out;
}

/** Under `obfuscate.columns.policy: strict`, fails naming every source column neither a rule nor a keep pattern covers. */
export function enforceColumnPolicy(schema: DbSchema, obfuscate: Config['obfuscate']): void {
  if (obfuscate.columns.policy !== 'strict') return;
  const uncovered = uncoveredColumns(schema, obfuscate);
  if (uncovered.length === 0) return;
  throw new DittoError('CONFIG', `obfuscate.columns is strict, and ${uncovered.length} source column${uncovered.length === 1 ? ' is' : 's are'} under no obfuscate rule and in no obfuscate.keep pattern: ${uncovered.map((c) => c.shown).join(', ')}`, {
    hint: 'add a rule for each column to scrub and a keep pattern for each to copy as it is (`ditto reseed --classify` prints them as YAML)',
  });
}
