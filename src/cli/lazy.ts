/**
 * A module a command needs only once its input is in (the model, the views, the analyzers): imported when first
 * asked for, at most once. A live source asks while its first requests are on their way (SourceIO.meanwhile), so
 * the import overlaps the wait for the replies instead of delaying the first request; with -f it is asked for after
 * the files are read. A failed import is reported by whoever awaits it (the source's own error comes first).
 */
export function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined
  return () => {
    if (!loading) {
      loading = load()
      // Awaited by the command; if the source fails first, its error is the one reported.
      loading.catch(() => {})
    }
    return loading
  }
}
