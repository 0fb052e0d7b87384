/**
 * The packages vipctl loads by name at run time, from node_modules next to the bundle: the one list.
 * They load on first use (a command that prints no YAML or template skips their cost), through
 * createRequire, which esbuild leaves as it is; so they are not in dist/bundle, and the image keeps
 * exactly these (scripts/image-deps.mjs imports this list from tsc's output, dist/src/core/), with
 * oclif's plugins and what they depend on. Load them through loadRuntimeModule only (a unit test
 * holds every createRequire in src/ to this file).
 */
import {createRequire} from 'node:module'

export const RUNTIME_MODULES = ['yaml', 'jsonpath-plus'] as const
export type RuntimeModule = (typeof RUNTIME_MODULES)[number]

const load = createRequire(import.meta.url)

/** One of RUNTIME_MODULES, loaded (and cached by Node) on first use. */
export function loadRuntimeModule<T>(name: RuntimeModule): T {
  return load(name) as T
}
