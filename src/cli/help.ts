/** oclif's help with one more section on every page: the exit codes (from the one enum in src/errors.ts). */
import {Help, type Command} from '@oclif/core'
import {EXIT_CODE_TABLE} from '../errors.js'

export default class VipHelp extends Help {
  private exitCodes(): string {
    return this.section('EXIT CODES', EXIT_CODE_TABLE.map(([code, name, meaning]) => [String(code), `${name}: ${meaning}`] as [string, string]))
  }

  override formatRoot(): string {
    return `${super.formatRoot()}\n\n${this.exitCodes()}`
  }

  protected override formatCommand(command: Command.Loadable): string {
    return `${super.formatCommand(command)}\n\n${this.exitCodes()}`
  }
}
