import * as z from 'zod';

/** Whether every source column must be accounted for (obfuscate.columns). */
export const columnPolicy = z
  .strictObject({
    policy: z
      .enum(['permissive', 'strict'])
      .default('permissive')
      .describe('`strict`: a reseed fails, writing nothing, when a source column is under no rule and matches no `obfuscate.keep` pattern (a column added to production stops it instead of leaking); `permissive`: columns without a rule are copied as they are.'),
  })
  .default({ policy: 'permissive' })
  .describe('What happens to columns no obfuscation rule names.');

/** Columns copied as they are on purpose (under `policy: strict`). */
export const keepPatterns = z
  .array(z.string().regex(/^[^.]+(\.[^.]+){1,2}$/, 'a keep pattern is table.column or schema.table.column, with * for any part'))
  .default([])
  .describe('Columns kept as they are on purpose: `table.column` (in any schema) or `schema.table.column` patterns, `*` matching any part (`"*.id"`, `"film.*"`). `ditto reseed --classify` prints the columns neither a rule nor a pattern covers.');
