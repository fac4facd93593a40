# bash completion for nitroctl: commands, options, and service names from
# `nitroctl list` (the supervisor at $NITRO_SOCK, or the default socket).
_nitroctl() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} i cmd=
    local commands="list up down start stop restart fast-start fast-stop fast-restart ready
        wait-up wait-down wait-starting pidof check info events rescan Shutdown Reboot
        pause cont hup alarm interrupt quit term kill 1 2 help"
    if [ "$prev" = -t ]; then
        return
    fi
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            -t) ((i++)) ;;
            -*) ;;
            *) cmd=${COMP_WORDS[i]}; break ;;
        esac
    done
    if [ -z "$cmd" ]; then
        case $cur in
            -*) COMPREPLY=($(compgen -W "-t -v -h --help -V --version" -- "$cur")) ;;
            *) COMPREPLY=($(compgen -W "$commands" -- "$cur")) ;;
        esac
        return
    fi
    case $cmd in
        info | events | rescan | scan | Shutdown | Reboot | help) return ;;
    esac
    local services
    services=$(nitroctl -t 2 list 2>/dev/null | awk '{ print $2 }')
    COMPREPLY=($(compgen -W "$services" -- "$cur"))
}
complete -F _nitroctl nitroctl
