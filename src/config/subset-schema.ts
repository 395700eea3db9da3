import * as z from 'zod';

/** A table as config names one: `table` or `schema.table` (default: the source's schema or database). */
const tableName = z.string().min(1).describe('`table` or `schema.table` (default schema: public; MySQL: the source database).');

/** Where a subset starts: the rows of one table that a condition or a share picks. */
const subsetRule = z
  .strictObject({
    table: tableName,
    where: z.string().min(1).optional().describe('An SQL condition on the table\'s rows, in the source\'s dialect (`customer_id % 10 = 0`).'),
    percent: z.number().gt(0).max(100).optional().describe('This share of the rows, the first by primary key (rounded up).'),
  })
  .refine((rule) => (rule.where === undefined) !== (rule.percent === undefined), { message: 'give where or percent, not both' })
  .describe('The rows a subset starts from.');

/** A foreign key the schema does not declare, followed like one. */
const subsetRelation = z
  .strictObject({
    table: tableName,
    columns: z.array(z.string().min(1)).min(1).describe('The referencing columns.'),
    references: tableName,
    to: z.array(z.string().min(1)).min(1).describe('The referenced columns, pairwise with `columns`.'),
  })
  .refine((r) => r.columns.length === r.to.length, { message: 'columns and to must name as many columns' })
  .describe('A reference the schema has no foreign key for.');

export const subsetSchema = z
  .strictObject({
    tables: z.array(subsetRule).min(1).describe('The start rows: one rule per table (`where` or `percent`).'),
    relations: z.array(subsetRelation).default([]).describe('References to follow besides the declared foreign keys.'),
    others: z.enum(['full', 'empty']).default('full').describe('Tables the rules reach neither down nor up: all their rows, or none.'),
    null_unreached: z.boolean().default(false).describe('A nullable reference to a row the subset does not keep is set to NULL instead of pulling the row in.'),
  })
  .optional()
  .describe(
    '`ditto reseed` dumps a consistent slice of the source instead of all of it: the start rows, the rows that reference them (down the foreign keys) and every row those reference (up), to a fixed point, in one snapshot.',
  );

export type SubsetConfig = z.output<typeof subsetSchema>;
export type SubsetRule = z.output<typeof subsetRule>;
export type SubsetRelation = z.output<typeof subsetRelation>;
