# bash completion for regsweep(1)                          -*- shell-script -*-
# Installed as share/bash-completion/completions/regsweep. Completes the
# subcommands, each one's flags (as `regsweep <command> --help` lists them)
# and their arguments: directories for STORE, --store and --index, files for
# CONFIG, --config, --policy and --json.

# The flags of one command (for tag and index, of "command verb").
_regsweep_flags()
{
    local run="-d --dry-run -m --delete-untagged --grace -j --jobs --index
               --full --json -q --quiet --log-format --wait --quarantine-for"
    local s3="--s3-endpoint --s3-region --s3-concurrency --s3-ca-bundle
              --s3-addressing --s3-skip-verify"
    local removal="-d --dry-run --then-gc --grace -j --jobs --json -q --quiet
                   --wait --quarantine-for $s3"
    run="$run $s3"
    case $1 in
        gc) echo "-h --help -c --config --store $run" ;;
        garbage-collect) echo "-h --help --config $run" ;;
        "tag ls") echo "-h --help --json $s3" ;;
        "tag rm") echo "-h --help --ignore-missing $removal" ;;
        tag) echo "-h --help" ;;
        retain)
            echo "-h --help --policy --repo --keep-last --keep-tag" \
                "--older-than -v --verbose $removal"
            ;;
        audit)
            echo "-h --help --store --verify-digests --json --index -j" \
                "--jobs --verify-threads --all -q --quiet $s3"
            ;;
        why)
            echo "-h --help --store --digest --index --refresh --json" \
                "--grace -j --jobs $s3"
            ;;
        du) echo "-h --help --store --json --index --grace -j --jobs $s3" ;;
        index*) echo "-h --help --index --json" ;;
        "quarantine ls" | "quarantine purge")
            echo "-h --help --json --older-than --all -d --dry-run --wait $s3"
            ;;
        quarantine) echo "-h --help" ;;
        restore) echo "-h --help --wait $s3" ;;
    esac
}

# The flags that take a value (whatever the command).
_regsweep_takes_value()
{
    case $1 in
        -c | --config | --store | --grace | -j | --jobs | --index | --json | \
            --policy | --repo | --keep-last | --keep-tag | --older-than | \
            --verify-threads | --digest | --log-format | --s3-endpoint | \
            --s3-region | --s3-concurrency | --s3-ca-bundle | --s3-addressing | \
            --wait | --quarantine-for)
            return 0
            ;;
    esac
    return 1
}

_regsweep()
{
    local cur prev words cword split
    _init_completion -s || return

    if ((cword == 1)); then
        COMPREPLY=($(compgen -W 'gc garbage-collect index tag retain audit
            why du quarantine restore help --help --version' -- "$cur"))
        return
    fi

    local command=${words[1]} first=2
    case $command in
        tag | index | quarantine)
            if ((cword == 2)); then
                case $command in
                    tag) COMPREPLY=($(compgen -W 'ls rm --help' -- "$cur")) ;;
                    quarantine)
                        COMPREPLY=($(compgen -W 'ls purge --help' -- "$cur"))
                        ;;
                    index)
                        COMPREPLY=($(compgen -W 'stats referrers --help' \
                            -- "$cur"))
                        ;;
                esac
                return
            fi
            command="$command ${words[2]}"
            first=3
            ;;
        gc | garbage-collect | retain | audit | why | du | restore) ;;
        *) return ;;
    esac

    # The value of a flag.
    case $prev in
        --store | --index)
            _filedir -d
            return
            ;;
        -c | --config)
            _filedir '@(yml|yaml)'
            return
            ;;
        --policy)
            _filedir '@(yml|yaml)'
            return
            ;;
        --json)
            COMPREPLY=($(compgen -W '-' -- "$cur"))
            _filedir json
            return
            ;;
        --log-format)
            COMPREPLY=($(compgen -W 'text json logstash' -- "$cur"))
            return
            ;;
        --grace | --older-than | --wait | --quarantine-for)
            COMPREPLY=($(compgen -W '0 30m 1h 2d 1w 4w' -- "$cur"))
            return
            ;;
        -j | --jobs | --verify-threads | --keep-last | --keep-tag | --repo | \
            --digest)
            return
            ;;
    esac
    $split && return

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W '$(_regsweep_flags "$command")' -- "$cur"))
        return
    fi

    # Which positional argument this is: count the words before it that
    # are neither flags nor a flag's value.
    local i n=0
    for ((i = first; i < cword; i++)); do
        if [[ ${words[i]} == -* ]]; then
            [[ ${words[i]} != *=* ]] && _regsweep_takes_value "${words[i]}" &&
                ((i++))
        else
            ((n++))
        fi
    done
    case $command in
        garbage-collect)
            ((n == 0)) && _filedir '@(yml|yaml)'
            ;;
        gc | retain | audit | du | why | restore | "tag ls" | "tag rm" | \
            "quarantine ls" | "quarantine purge")
            # STORE, the storage root; REPO, REPO:TAG and DIGEST are not
            # completed.
            ((n == 0)) && _filedir -d
            ;;
    esac
}
complete -F _regsweep regsweep

# ex: filetype=sh
