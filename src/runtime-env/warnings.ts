/**
 * Deprecation warnings that ditto's libraries set off and a user can do nothing about. Node.js 24
 * prints DEP0169 (url.parse()) when the Docker client (docker-modem) parses DOCKER_HOST; Node only
 * spares code inside node_modules, and a bundle is not.
 */
const LIBRARY_DEPRECATIONS = new Set(['DEP0169']);

/** Drops LIBRARY_DEPRECATIONS from process.emitWarning; every other warning is printed as before. */
export function quietLibraryDeprecations(): void {
  const emit = process.emitWarning;
  process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]): void {
    const [typeOrOptions, code] = rest;
    const found = typeof typeOrOptions === 'object' && typeOrOptions !== null ? (typeOrOptions as { code?: string }).code : code;
    if (typeof found === 'string' && LIBRARY_DEPRECATIONS.has(found)) return;
    (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
}
