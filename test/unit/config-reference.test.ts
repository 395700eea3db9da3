import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { configKeys, RESERVED_ENV_DOCS } from '../../scripts/config-reference.js';
import { RESERVED_ENV } from '../../src/config/locate.js';

/**
 * docs/configuration.md is generated from the config schema (scripts/config-reference.ts): every
 * key must carry a description, and the committed file must be what the generator prints now.
 */
const REPO = path.resolve(import.meta.dirname, '../..');

const undescribed = (schema?: z.ZodType) =>
  configKeys(schema)
    .filter((key) => !key.description?.trim())
    .map((key) => key.path);

describe('the configuration reference', () => {
  it('every key of the schema has a description', () => {
    const keys = configKeys();
    expect(keys.length).toBeGreaterThan(60);
    expect(undescribed()).toEqual([]);
  });

  it('the check sees a key without a description, in a section, a list element, a variant and a named mapping', () => {
    const schema = z.strictObject({
      described: z.string().describe('has one'),
      bare: z.number().default(1),
      section: z.strictObject({ inner: z.boolean().optional() }).optional().describe('a section'),
      list: z
        .array(z.discriminatedUnion('kind', [z.strictObject({ kind: z.literal('a').describe('which'), only_a: z.string() })]))
        .default([])
        .describe('a list'),
      named: z.record(z.string(), z.strictObject({ url: z.string() })).default({}).describe('by name'),
    });
    expect(undescribed(schema)).toEqual(['bare', 'section.inner', 'list[].only_a', 'named.<name>.url']);
  });

  it('every variable that steers ditto itself is described', () => {
    expect([...RESERVED_ENV].filter((name) => !RESERVED_ENV_DOCS[name])).toEqual([]);
  });

  it('docs/configuration.md is what `npm run docs:config` writes now', () => {
    const printed = execFileSync(process.execPath, ['scripts/config-reference.mjs', '--stdout'], { cwd: REPO, encoding: 'utf8' });
    const committed = fs.readFileSync(path.join(REPO, 'docs', 'configuration.md'), 'utf8');
    // Not toBe: a diff of 600 lines helps nobody; the fix is one command.
    expect(committed === printed, 'docs/configuration.md differs from the schema: run `npm run docs:config` and commit it').toBe(true);
  });
});
