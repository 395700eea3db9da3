import { DittoError } from '../errors.js';

/**
 * The established ditto's command words, kept working and out of --help: `ditto copy
 * create|list|delete|logs|run` and `ditto env export|destroy` become the commands they are now.
 */
const RENAMED: Record<string, Record<string, string[]>> = {
  copy: { create: ['up'], list: ['ls'], delete: ['down'], logs: ['logs'], run: ['run'] },
  env: { export: ['env'] },
};

/** `argv` with an established command's words replaced by today's; anything else as it is. */
export function translateLegacyCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const [first, second, ...rest] = argv;
  if (first === 'env' && second === 'destroy') {
    // The copy `eval "$(ditto env export)"` made, which DITTO_COPY_ID names.
    if (!env.DITTO_COPY_ID) throw new DittoError('BAD_INPUT', 'ditto env destroy: DITTO_COPY_ID is not set', { hint: 'give the copy to destroy: ditto down ID' });
    return ['down', env.DITTO_COPY_ID, ...rest];
  }
  const now = first !== undefined && second !== undefined ? RENAMED[first]?.[second] : undefined;
  return now ? [...now, ...rest] : argv;
}
