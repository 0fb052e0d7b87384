/**
 * The completion scripts `vipctl completion bash|zsh|fish` prints. Each is a thin shell function that sends the
 * words on the command line to `<program> __complete -- <words...>` (src/cli/completion.ts computes the answer)
 * and turns cobra's reply (candidates, then `:<directive>`) into what its shell wants. The `--` keeps oclif from
 * taking a word being completed (-h, --help) as a request for help.
 *
 * `name` is the command the script completes (vipctl, or kubectl-vip when installed under that name); the
 * program called back is the word the user typed, so a path or an alias works too.
 */
import {UsageError} from '../errors.js'

export const SHELLS = ['bash', 'zsh', 'fish'] as const
export type Shell = (typeof SHELLS)[number]

/** A command name a script can register: a plain file name (no spaces, quotes or shell syntax). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** The shell identifier made from a command name (kubectl-vip -> kubectl_vip). */
function ident(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_')
}

/** The completion script for `shell`, completing the command `name`. Errors: UsageError for a name that is not a plain file name. */
export function completionScript(shell: Shell, name: string): string {
  if (!NAME.test(name)) throw new UsageError(`cannot write a completion script for the command name ${JSON.stringify(name.slice(0, 64))}`, 'a plain file name is needed')
  const fn = `_${ident(name)}`
  switch (shell) {
    case 'bash':
      return bash(name, fn)
    case 'zsh':
      return zsh(name, fn)
    case 'fish':
      return fish(name, fn)
  }
}

function bash(name: string, fn: string): string {
  return `# bash completion for ${name}: add to ~/.bashrc
#   source <(${name} completion bash)
${fn}() {
    local line="\${COMP_LINE:0:COMP_POINT}" cur out directive=0 prog c prefix="" wb=""
    local -a words lines
    # The words up to the cursor, split on blanks only (bash's own COMP_WORDS also splits on = and :);
    # COMP_WORDS when there is no COMP_LINE (a caller that sets only COMP_WORDS and COMP_CWORD).
    if [[ -z "\${COMP_LINE-}" ]]; then
        words=("\${COMP_WORDS[@]:0:COMP_CWORD+1}")
    else
        read -r -a words <<< "$line"
        if [[ \${#words[@]} -eq 0 || "$line" =~ [[:space:]]$ ]]; then words+=(""); fi
    fi
    cur="\${words[\${#words[@]}-1]}"
    prog="\${words[0]}"
    [[ "$prog" == "~/"* ]] && prog="$HOME/\${prog:2}"
    out=$("$prog" __complete -- "\${words[@]:1}" 2>/dev/null) || return 0
    mapfile -t lines <<< "$out"
    if [[ "\${lines[\${#lines[@]}-1]}" =~ ^:([0-9]+)$ ]]; then
        directive=\${BASH_REMATCH[1]}
        unset 'lines[\${#lines[@]}-1]'
    fi
    COMPREPLY=()
    (( directive & 1 )) && return 0
    (( directive & 2 )) && compopt -o nospace 2>/dev/null
    if (( directive & 16 )); then
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -d -- "$cur")
        return 0
    fi
    # Bash replaces only the part of the word after its last = or : (when they break words): drop what comes before.
    [[ "$COMP_WORDBREAKS" == *"="* ]] && wb+="="
    [[ "$COMP_WORDBREAKS" == *":"* ]] && wb+=":"
    if [[ -n "$wb" && "$cur" == *["$wb"]* ]]; then prefix="\${cur%"\${cur##*["$wb"]}"}"; fi
    for c in "\${lines[@]}"; do
        c="\${c%%$'\\t'*}"
        [[ -n "$c" && "$c" == "$cur"* ]] && COMPREPLY+=("\${c#"$prefix"}")
    done
    if (( \${#COMPREPLY[@]} == 0 && !(directive & 4) )); then compopt -o default 2>/dev/null; fi
    return 0
}
complete -F ${fn} ${name}
`
}

function zsh(name: string, fn: string): string {
  return `#compdef ${name}
# zsh completion for ${name}: add to ~/.zshrc (after compinit)
#   source <(${name} completion zsh)
${fn}() {
  local out directive=0 l v d
  local -a lines comps opts
  out=$(\${~words[1]} __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null) || return 1
  lines=("\${(@f)out}")
  if [[ \${lines[-1]} =~ '^:[0-9]+$' ]]; then
    directive=\${lines[-1]#:}
    lines=("\${(@)lines[1,-2]}")
  fi
  (( directive & 1 )) && return 1
  if (( directive & 16 )); then _files -/; return; fi
  for l in "\${lines[@]}"; do
    [[ -z $l ]] && continue
    v=\${l%%$'\\t'*}
    d=''
    [[ $l == *$'\\t'* ]] && d=\${l#*$'\\t'}
    comps+=("\${v//:/\\\\:}\${d:+:$d}")
  done
  if (( \${#comps} == 0 )); then
    (( directive & 4 )) && return 1
    _files
    return
  fi
  (( directive & 2 )) && opts=(-S '')
  _describe -t ${ident(name)} '${name}' comps "\${opts[@]}"
}
if [[ "\${funcstack[1]}" == "${fn}" ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${name}
fi
`
}

function fish(name: string, fn: string): string {
  const results = `${fn}_results`
  return `# fish completion for ${name}: add to ~/.config/fish/config.fish
#   ${name} completion fish | source
function ${fn}_prepare
    set -g ${results}
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -l out ($tokens[1] __complete -- $tokens[2..-1] $cur 2>/dev/null)
    or return 0
    set -l directive 0
    if string match -qr '^:[0-9]+$' -- "$out[-1]"
        set directive (string sub -s 2 -- $out[-1])
        set -e out[-1]
    end
    if test (math "bitand($directive, 1)") -ne 0
        return 0
    end
    if test (math "bitand($directive, 16)") -ne 0
        set -g ${results} (__fish_complete_directories "$cur")
        return 0
    end
    set -g ${results} $out
    # No candidates and file names allowed: fail, so that fish offers file names itself.
    if test (count $out) -eq 0; and test (math "bitand($directive, 4)") -eq 0
        return 1
    end
    return 0
end
complete -c ${name} -e
complete -c ${name} -f -n '${fn}_prepare' -a '$${results}'
`
}
