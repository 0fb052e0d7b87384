#!/usr/bin/env node
// Keeps in DIR/node_modules (installed by `npm ci --omit=dev` from package-lock.json) only what
// the bundled CLI loads at run time by name, and what those packages depend on, as the lockfile
// resolves it: the plugins oclif loads (package.json oclif.plugins) and the modules vipctl loads
// on first use (RUNTIME_MODULES, the one list, in src/core/runtime-modules.ts; imported here from
// tsc's output, so run after `npm run build`). Everything else is inside dist/bundle already.
// Each kept name is then resolved from DIR/dist/bundle, as the CLI will: a missing one fails here.
//   node scripts/image-deps.mjs DIR
import {existsSync, readFileSync, readdirSync, rmSync} from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const dir = path.resolve(process.argv[2] ?? '.')
const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'))
const lock = JSON.parse(readFileSync(path.join(dir, 'package-lock.json'), 'utf8')).packages
const listModule = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'src', 'core', 'runtime-modules.js')
if (!existsSync(listModule)) throw new Error(`${listModule}: missing (npm run build first)`)
const {RUNTIME_MODULES} = await import(pathToFileURL(listModule).href)
const roots = [...(pkg.oclif?.plugins ?? []), ...RUNTIME_MODULES]
const keep = new Set()
/** npm's resolution: the nearest node_modules/NAME from the requiring package upwards. */
function resolve(from, name) {
  for (let base = from; ; ) {
    const p = `${base ? `${base}/` : ''}node_modules/${name}`
    if (lock[p]) return p
    if (!base) return undefined
    const i = base.lastIndexOf('/node_modules/')
    base = i < 0 ? '' : base.slice(0, i)
  }
}
const queue = roots.map((name) => {
  const p = resolve('', name)
  if (!p) throw new Error(`${name} (oclif.plugins) is not in package-lock.json`)
  return p
})
while (queue.length) {
  const p = queue.pop()
  if (keep.has(p)) continue
  keep.add(p)
  const e = lock[p]
  for (const name of Object.keys({...e.dependencies, ...e.optionalDependencies})) {
    const d = resolve(p, name)
    if (d) queue.push(d)
    else if (!e.optionalDependencies?.[name]) throw new Error(`${name} (needed by ${p}) is not in package-lock.json`)
  }
}
// Remove every installed package directory outside the closure (nested ones included).
let removed = 0
function prune(rel) {
  const abs = path.join(dir, rel)
  let names
  try {
    names = readdirSync(abs)
  } catch {
    return
  }
  for (const n of names) {
    if (n.startsWith('.')) {
      if (n === '.bin' || n === '.package-lock.json') rmSync(path.join(abs, n), {recursive: true, force: true})
      continue
    }
    const subs = n.startsWith('@') ? readdirSync(path.join(abs, n)).map((s) => `${n}/${s}`) : [n]
    for (const s of subs) {
      const p = `${rel}/${s}`
      if (!keep.has(p)) {
        rmSync(path.join(dir, p), {recursive: true, force: true})
        removed++
      } else prune(`${p}/node_modules`)
    }
    if (n.startsWith('@') && readdirSync(path.join(abs, n)).length === 0) rmSync(path.join(abs, n), {recursive: true})
  }
}
prune('node_modules')
// Resolved as the bundle resolves them (createRequire from a file in dist/bundle).
const fromBundle = createRequire(path.join(dir, 'dist', 'bundle', 'index.js'))
for (const name of roots) fromBundle.resolve(name)
console.log(`runtime node_modules: kept ${keep.size} packages (${roots.join(', ')} and their dependencies), removed ${removed}`)
