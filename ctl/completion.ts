// Shell completion scripts for bash and zsh, generated from the commander
// program itself, so a new verb or flag is completed without anyone editing a
// script. Names that live elsewhere are asked of jobctl at completion time,
// with the --config and --context already typed: contexts from
// `jobctl config get-contexts -o name`, job ids from `jobctl get jobs -o name`,
// spec names from `jobctl get specs -o name`.
// The logic that picks candidates is one shell function both shells run.
import type { Command } from "commander";

/** Verbs whose argument is a job id. */
const ID_VERBS = ["status", "query", "stop", "logs", "stream"];
/** Config subverbs whose argument is a context name. */
const CONTEXT_SUBVERBS = ["use-context", "use", "set-context", "get-contexts"];
const GLOBAL_FLAGS = ["--config", "--context", "--help"];

interface VerbSpec {
  names: string[];
  flags: string[];
  /** Flags that take a value (their next word is not a verb or argument). */
  valued: string[];
  outputs: string[];
  subverbs: VerbSpec[];
}

function specOf(command: Command): VerbSpec {
  const flagsOf = (options: typeof command.options) =>
    options.flatMap((option) => [option.long, option.short].filter((flag): flag is string => Boolean(flag)));
  return {
    names: [command.name(), ...command.aliases()],
    flags: [...flagsOf(command.options), "--help"],
    valued: flagsOf(command.options.filter((option) => option.required || option.optional)),
    outputs: command.options.find((option) => option.long === "--output")?.argChoices ?? [],
    subverbs: command.commands.map(specOf),
  };
}

/** A function printing the words `words(verb)` gives for the verb (or alias) named in $1. */
function lookup(name: string, verbs: VerbSpec[], words: (verb: VerbSpec) => string[]): string {
  const arms = verbs
    .filter((verb) => words(verb).length > 0)
    .map((verb) => `        ${verb.names.join("|")}) echo '${words(verb).join(" ")}' ;;`);
  return `${name}() {\n    case $1 in\n${arms.join("\n")}\n    esac\n}`;
}

/** Shell functions both bash and zsh run: the candidates for the word being completed. */
function commonFunctions(program: Command): string {
  const verbs = program.commands.map(specOf);
  const config = verbs.find((verb) => verb.names[0] === "config")!;
  // Per verb, as kubectl's: -f takes a file in apply, and no value in logs (follow).
  const valuedIn = (verb: VerbSpec) => [...new Set([...verb.valued, ...verb.subverbs.flatMap((sub) => sub.valued)])];
  const globalValued = specOf(program).valued;
  return `${lookup("_jobctl_flags", verbs, (verb) => verb.flags)}
${lookup("_jobctl_config_flags", config.subverbs, (verb) => verb.flags)}
${lookup("_jobctl_outputs", [...verbs, ...config.subverbs], (verb) => verb.outputs)}
# Flags whose next word is their value.
${lookup("_jobctl_valued", verbs, valuedIn)}
# Flags whose next word is their value: $2 in verb $1 ("" before the verb).
_jobctl_takes_value() {
    case $2 in
        ${globalValued.join("|")}) return 0 ;;
    esac
    [[ -n $1 && " $(_jobctl_valued "$1") " == *" $2 "* ]]
}
# Names jobctl knows, read with the --config and --context typed so far.
_jobctl_ask() {
    "$_jobctl_command" "\${_jobctl_globals[@]}" "$@" 2>/dev/null
}
# Spec names: get specs -o name prints spec/NAME.
_jobctl_spec_names() {
    local name
    for name in $(_jobctl_ask get specs -o name); do echo "\${name#spec/}"; done
}
# Prints the candidates for word $4 after $3, in verb $1 (and subverb $2).
_jobctl_candidates() {
    local verb=$1 sub=$2 prev=$3 cur=$4
    case $prev in
        --context) _jobctl_ask config get-contexts -o name; return ;;
        -o|--output) if [[ $verb == config ]]; then _jobctl_outputs "$sub"; else _jobctl_outputs "$verb"; fi; return ;;
    esac
    _jobctl_takes_value "$verb" "$prev" && return
    if [[ $cur == -* ]]; then
        if [[ $verb == config && -n $sub ]]; then _jobctl_config_flags "$sub"; else _jobctl_flags "$verb"; fi
        echo '${GLOBAL_FLAGS.join(" ")}'
        return
    fi
    case $verb in
        '') echo '${verbs.flatMap((verb) => verb.names).join(" ")}' ;;
        logs) _jobctl_ask get jobs -o name; _jobctl_ask get specs -o name ;;
        ${ID_VERBS.filter((verb) => verb !== "logs").join("|")}) _jobctl_ask get jobs -o name ;;
        get) [[ -z $sub ]] && echo 'jobs specs' ;;
        describe)
            if [[ -z $sub ]]; then echo 'job spec'
            elif [[ $sub == spec* ]]; then _jobctl_spec_names
            else _jobctl_ask get jobs -o name; fi ;;
        delete) if [[ -z $sub ]]; then echo 'spec'; else _jobctl_spec_names; fi ;;
        completion) [[ -z $sub ]] && echo 'bash zsh' ;;
        config)
            if [[ -z $sub ]]; then
                echo '${config.subverbs.flatMap((verb) => verb.names).join(" ")}'
            else
                case $sub in
                    ${CONTEXT_SUBVERBS.join("|")}) _jobctl_ask config get-contexts -o name ;;
                esac
            fi ;;
    esac
}`;
}

/**
 * The loop both shells share, over the words before the cursor ($words,
 * $first..$last): the verb, the subverb, the global flags to pass on. Returns
 * 1 after "--" (what follows is the job's own command line).
 */
const SCAN = `    local verb="" sub="" word i
    _jobctl_globals=()
    for ((i = first; i < last; i++)); do
        word=\${words[i]}
        case $word in
            --) return 1 ;;
            --config|--context) _jobctl_globals+=("$word" "\${words[i+1]}"); ((i++)) ;;
            --config=*|--context=*) _jobctl_globals+=("$word") ;;
            -*) _jobctl_takes_value "$verb" "$word" && ((i++)) ;;
            *) if [[ -z $verb ]]; then verb=$word; elif [[ -z $sub ]]; then sub=$word; fi ;;
        esac
    done`;

export function bashCompletion(program: Command): string {
  return `# bash completion for jobctl. Load it into the current shell:
#   source <(jobctl completion bash)
# or install it for every shell: jobctl completion bash > /etc/bash_completion.d/jobctl
${commonFunctions(program)}
_jobctl() {
    local -a words=("\${COMP_WORDS[@]}")
    local first=1 last=$COMP_CWORD cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]}
    _jobctl_command=\${COMP_WORDS[0]}
${SCAN.replace("--) return 1 ;;", "--) compopt -o default 2>/dev/null; COMPREPLY=(); return ;;")}
    if [[ $prev == --config ]]; then
        compopt -o default 2>/dev/null; COMPREPLY=(); return
    fi
    COMPREPLY=($(compgen -W "$(_jobctl_candidates "$verb" "$sub" "$prev" "$cur")" -- "$cur"))
}
complete -F _jobctl jobctl
`;
}

export function zshCompletion(program: Command): string {
  return `#compdef jobctl
# zsh completion for jobctl. Load it into the current shell (after compinit):
#   source <(jobctl completion zsh)
# or install it as _jobctl in a directory on $fpath.
${commonFunctions(program)}
_jobctl() {
    local first=2 last=$CURRENT cur=\${words[CURRENT]} prev=\${words[CURRENT-1]}
    _jobctl_command=\${words[1]}
${SCAN.replace("--) return 1 ;;", "--) _files; return ;;")}
    if [[ $prev == --config ]]; then
        _files; return
    fi
    local -a candidates
    candidates=(\${="$(_jobctl_candidates "$verb" "$sub" "$prev" "$cur")"})
    compadd -- $candidates
}
if [[ \${funcstack[1]} == _jobctl ]]; then
    _jobctl "$@"
else
    compdef _jobctl jobctl
fi
`;
}
