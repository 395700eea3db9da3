import { DittoError } from '../../errors.js';

/** The copy a command acts on: the one named, else DITTO_COPY_ID (set by ditto run and ditto env). */
export function copyIdArg(given: string | undefined): string {
  const id = given ?? process.env.DITTO_COPY_ID;
  if (!id) throw new DittoError('BAD_INPUT', 'name a copy', { hint: 'give its id (ditto ls shows them), or run inside `ditto run`, which sets DITTO_COPY_ID' });
  return String(id);
}
