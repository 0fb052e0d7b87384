#!/usr/bin/env node
// Production entry point (also installed as kubectl-vip): the bundled build
// (npm run build; scripts/bundle.mjs), so a command loads a few files, not hundreds.
import {execute} from '../dist/bundle/src/cli/main.js'

await execute({dir: import.meta.url})
