/**
 * The input bounds and the bounded stream reader, on their own: -f - reads stdin through them, and the source
 * module (src/cluster/source.ts) imports them without the offline reader (and its YAML library) behind them.
 */
import {DataError} from '../errors.js'

/** Limits that keep a hostile manifest from exhausting memory or time. */
export const LIMITS = {
  fileBytes: 32 * 1024 * 1024,
  totalBytes: 256 * 1024 * 1024,
  documentsPerFile: 50_000,
  aliasCount: 100,
  files: 10_000,
} as const

/**
 * Reads a stream whole, bounded: past `maxBytes` it stops reading (leaving the
 * loop destroys the stream, so an endless producer gets EPIPE) and throws
 * `<label>: larger than N MiB`; nothing more is buffered.
 */
export async function readStreamBounded(stream: NodeJS.ReadableStream, maxBytes: number, name: string): Promise<string> {
  const chunks: Buffer[] = []
  let total = 0
  for await (const c of stream) {
    const b = typeof c === 'string' ? Buffer.from(c) : (c as Buffer)
    total += b.length
    if (total > maxBytes) throw new DataError(`${name}: larger than ${Math.round(maxBytes / 1024 / 1024)} MiB`)
    chunks.push(b)
  }
  return Buffer.concat(chunks).toString('utf8')
}
