import { sortedSchema, type DbSchema } from '../model/schema.js';
import { renderDbml } from './dbml.js';
import { renderMermaid } from './mermaid.js';

export const ERD_FORMATS = ['mermaid', 'dbml'] as const;
export type ErdFormat = (typeof ERD_FORMATS)[number];

/** The entity-relationship diagram of `schema` in `format`: the same database always gives the same text. */
export function renderErd(schema: DbSchema, format: ErdFormat): string {
  const sorted = sortedSchema(schema);
  return format === 'dbml' ? renderDbml(sorted) : renderMermaid(sorted);
}
