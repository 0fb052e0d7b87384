import {Args} from '@oclif/core'
import {VipCommand} from '../src/cli/base.js'
import {SHELLS, completionScript, type Shell} from '../src/cli/completion-scripts.js'
import {scriptName} from '../src/cli/completion.js'

export default class Completion extends VipCommand {
  static override description = `Print a shell completion script (bash, zsh or fish)

The script completes commands, flags and flag values, and asks the cluster (when one answers within 2 seconds) for namespaces and object names; contexts come from the kubeconfig. To load it in every new shell, write it where the shell looks (the examples), or source it from the shell's start-up file: source <(<%= config.bin %> completion bash) in ~/.bashrc, source <(<%= config.bin %> completion zsh) in ~/.zshrc after compinit, <%= config.bin %> completion fish | source in ~/.config/fish/config.fish.

As a kubectl plugin (kubectl vip <TAB>, kubectl 1.26 or later) no script is needed: kubectl runs kubectl_complete-vip, installed with vipctl.`

  static override examples = [
    '<%= config.bin %> completion bash > ~/.local/share/bash-completion/completions/<%= config.bin %>',
    '<%= config.bin %> completion zsh > "${fpath[1]}/_<%= config.bin %>"',
    '<%= config.bin %> completion fish > ~/.config/fish/completions/<%= config.bin %>.fish',
  ]

  static override enableJsonFlag = false
  static override args = {shell: Args.string({description: 'the shell', options: [...SHELLS], required: true})}

  async run(): Promise<void> {
    const {args} = await this.parse(Completion)
    process.stdout.write(completionScript(args.shell as Shell, scriptName(process.argv[1], this.config.bin)))
  }
}
