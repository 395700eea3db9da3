import crypto from 'node:crypto';
import type { Config, ObfuscationRule } from '../config/schema.js';
import { resolveSecret } from '../config/secrets.js';
import { DittoError } from '../errors.js';

/**
 * The rules and seed in force, the seed's secret reference resolved; a random seed when none is
 * configured. `required`: asking to obfuscate with no rules is an error rather than a no-op.
 */
export function obfuscationPlan(config: Config, opts: { required?: boolean } = {}): { rules: ObfuscationRule[]; seed: string } {
  const { rules, seed } = config.obfuscate;
  if (opts.required && rules.length === 0) {
    throw new DittoError('BAD_INPUT', 'obfuscation was asked for, but ditto.yaml has no obfuscate rules', { hint: 'add obfuscate.rules (table, column, strategy) to ditto.yaml' });
  }
  return { rules, seed: seed === undefined ? crypto.randomBytes(32).toString('hex') : resolveSecret(seed, 'obfuscate.seed') };
}

export function ruleError(name: string, what: string, hint: string): DittoError {
  return new DittoError('CONFIG', `obfuscate rule for ${name} ${what}`, { hint });
}

/**
 * A rule whose column holds no value to scrub is most often a rule aimed at the wrong place (the
 * data moved to another column), which would let raw data through unnoticed: an error, unless
 * the rule says `warn_only` (a table empty in some dumps); then the warnings to show.
 */
export function unmatchedRules(counted: { rule: ObfuscationRule; rows: number }[]): string[] {
  const warnings: string[] = [];
  for (const { rule, rows } of counted) {
    if (rows > 0) continue;
    const name = `${rule.table}.${rule.column}`;
    if (!rule.warn_only) throw ruleError(name, 'matches no rows (the column holds no value)', 'check that it names the column holding the data, or set warn_only: true on the rule');
    warnings.push(`obfuscate rule for ${name} matched no rows`);
  }
  return warnings;
}
