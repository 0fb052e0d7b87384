/** Flags shared by the VIP commands. */
import {Flags} from '@oclif/core'

export const vipFlags = {
  mode: Flags.option({options: ['bind', 'dnat'] as const, default: 'bind', description: 'bind: VIPs become local addresses HAProxy binds; dnat: VIP:port is translated to --listen-address ports', helpGroup: 'VIP'})(),
  netns: Flags.string({description: 'apply inside this network namespace (ip netns)', helpGroup: 'VIP'}),
}
