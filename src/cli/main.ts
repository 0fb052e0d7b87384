/**
 * The shipped entry's core (bin/run.js imports it from dist/bundle/): oclif's
 * execute, bundled with the commands so both use one copy of @oclif/core.
 */
export {execute, run} from '@oclif/core'
