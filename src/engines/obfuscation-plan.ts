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
