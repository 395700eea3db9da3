/** `load` run at most once; a failure is not kept, so the next call tries again. */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | null = null;
  return () => {
    promise ??= load().catch((err: unknown) => {
      promise = null;
      throw err;
    });
    return promise;
  };
}
