import { COMMANDS } from '../command-table.ts';
import type { Command } from '../main.ts';

const USAGE = `usage: kradle completion bash|zsh
  bash: source <(kradle completion bash)      zsh: source <(kradle completion zsh)`;

function bash(names: string[]): string {
  return `# kradle bash completion: source <(kradle completion bash)
_kradle() {
  local cur=\${COMP_WORDS[COMP_CWORD]}
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${names.join(' ')} help --help --version" -- "$cur") )
  elif [ "$COMP_CWORD" -eq 2 ] && [ "\${COMP_WORDS[1]}" = help ]; then
    COMPREPLY=( $(compgen -W "${names.join(' ')}" -- "$cur") )
  else
    COMPREPLY=( $(compgen -f -- "$cur") )
  fi
}
complete -o default -F _kradle kradle
`;
}

function zsh(): string {
  const described = Object.entries(COMMANDS).map(([name, c]) => `    '${name}:${c.summary.replace(/'/g, "'\\''").replace(/:/g, '\\:')}'`);
  return `#compdef kradle
# kradle zsh completion: source <(kradle completion zsh)
_kradle() {
  local -a commands
  commands=(
${described.join('\n')}
  )
  if (( CURRENT == 2 )); then
    _describe 'kradle command' commands
  elif (( CURRENT == 3 )) && [[ $words[2] == help ]]; then
    _describe 'kradle command' commands
  else
    _files
  fi
}
compdef _kradle kradle
`;
}

export const command: Command = {
  summary: 'print a bash or zsh completion script (kradle completion bash|zsh)',
  usage: USAGE,
  async run(argv) {
    const [shell, ...extra] = argv;
    if (extra.length || (shell !== 'bash' && shell !== 'zsh')) {
      console.error(`kradle completion: expected bash or zsh\n${USAGE}`);
      return 2;
    }
    process.stdout.write(shell === 'bash' ? bash(Object.keys(COMMANDS)) : zsh());
    return 0;
  },
};
