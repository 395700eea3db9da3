/**
 * Runs `work` under a listr2 progress line on stderr when stderr is a terminal; otherwise runs it
 * silently. listr2 loads only here, so commands that show no progress never pay for it.
 */
export async function withProgress<T>(
  title: string,
  enabled: boolean,
  work: (onProgress: (step: string) => void) => Promise<T>,
  doneTitle: (result: T) => string,
): Promise<T> {
  if (!enabled) return work(() => {});
  const { Listr, ListrLogger, ProcessOutput } = await import('listr2');
  const logger = new ListrLogger({ processOutput: new ProcessOutput(process.stderr, process.stderr) });
  let result: { value: T } | undefined;
  const list = new Listr(
    [
      {
        title,
        task: async (_ctx, task) => {
          const value = await work((step) => (task.title = step));
          result = { value };
          task.title = doneTitle(value);
        },
      },
    ],
    // Our own error line says what failed; listr2 only draws progress. Signals are ours to handle.
    { rendererOptions: { logger, timer: undefined }, exitOnError: true, registerSignalListeners: false, collectErrors: false },
  );
  await list.run();
  if (!result) throw new Error('progress task ended without a result');
  return result.value;
}
