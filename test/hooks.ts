/** Root hooks: the control plane (started lazily by the first integration test) stops after the run. */
import {stopCluster} from './helpers/cluster.js'

export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(30_000)
    await stopCluster()
  },
}
