#!/usr/bin/env node
// Run by `npm run build` after `oclif manifest`: oclif.manifest.json with its commands in id order. oclif lists
// them in the order its command discovery happened to finish, which varies from build to build, and the
// manifest is part of the image's cache key and contents (scripts/image.sh): the same source must give the same
// bytes. Only the order changes; oclif's own formatting (two-space JSON, a final newline) is kept.
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'oclif.manifest.json')
const text = readFileSync(file, 'utf8')
const manifest = JSON.parse(text)
const byId = (a, b) => (a < b ? -1 : a > b ? 1 : 0)
manifest.commands = Object.fromEntries(Object.keys(manifest.commands).sort(byId).map((id) => [id, manifest.commands[id]]))
writeFileSync(file, `${JSON.stringify(manifest, null, 2)}${text.endsWith('\n') ? '\n' : ''}`)
