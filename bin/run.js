#!/usr/bin/env node
// Production entry point (also installed as kubectl-vip).
import {execute} from '@oclif/core'

await execute({dir: import.meta.url})
