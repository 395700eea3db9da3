/**
 * The runtimes the shared lifecycle suite runs over: each case is the config that selects it.
 * The suite is written once and parametrised over these.
 */
export interface RuntimeCase {
  name: 'local' | 'docker';
  config: Record<string, unknown>;
}

export const RUNTIME_CASES: RuntimeCase[] = [{ name: 'local', config: { runtime: 'local' } }];
