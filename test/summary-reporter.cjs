// mocha's spec reporter, plus the closing line CI reads: "N passed, N failed[, N skipped]".
'use strict'
const Mocha = require('mocha')

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options)
    // Registered after Spec's own epilogue, so this line is the very last one.
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const s = runner.stats
      const skipped = s.pending ? `, ${s.pending} skipped` : ''
      process.stdout.write(`\n${s.passes} passed, ${s.failures} failed${skipped}\n`)
    })
  }
}

module.exports = SummaryReporter
