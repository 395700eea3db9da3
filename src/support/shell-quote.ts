/** POSIX sh: single quotes hold everything but a single quote, which is closed, escaped and reopened. */
export function quoteSh(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** fish: inside single quotes only backslash and single quote need escaping. */
export function quoteFish(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

export type Shell = 'sh' | 'fish';

/** Lines that export `vars` into the named shell. */
export function exportLines(vars: Record<string, string>, shell: Shell): string {
  return Object.entries(vars)
    .map(([name, value]) => (shell === 'fish' ? `set -gx ${name} ${quoteFish(value)};` : `export ${name}=${quoteSh(value)}`))
    .join('\n');
}

/** A command line as a POSIX shell reads it back: words quoted only where they need it. */
export function shellCommand(words: readonly string[]): string {
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : quoteSh(w))).join(' ');
}
