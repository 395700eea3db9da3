/*
 * The kinds of value config keys share, each with the `kind` (meta) the reference
 * (docs/configuration.md) names it by; apart from schema.ts so that its sections' own modules use them too.
 */
import * as z from 'zod';
import { parseByteSize } from '../support/byte-size.js';
import { tryParseDuration } from './duration.js';

/** A duration in config (`15m`, `2h`, `1d`, or seconds), validated and held as whole seconds. */
export const duration = z
  .union([z.string(), z.number()])
  .transform((value, ctx) => {
    const seconds = tryParseDuration(value);
    if (seconds === null) {
      ctx.addIssue({ code: 'custom', message: `expected a duration like 90s, 15m, 2h, 1d; got '${value}'` });
      return z.NEVER;
    }
    return seconds;
  })
  .meta({ kind: 'duration' });

/** A size in bytes: a number, or `500MB`, `20GiB`. */
export const byteSize = z
  .union([z.string(), z.number()])
  .transform((value, ctx) => {
    const bytes = parseByteSize(value);
    if (bytes === null) {
      ctx.addIssue({ code: 'custom', message: `expected a size like 500MB, 20GiB or a number of bytes; got '${value}'` });
      return z.NEVER;
    }
    return bytes;
  })
  .meta({ kind: 'size' });

