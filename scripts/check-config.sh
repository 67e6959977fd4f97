#!/usr/bin/env bash
# check-config.sh <.config> <fragment>...: every option a fragment asks for must
# be in the final .config exactly as asked. Kconfig silently drops options whose
# dependencies are unmet; this turns that into an error listing each one.
set -euo pipefail
config=$1; shift
bad=0
while IFS= read -r line; do
    case "$line" in
        CONFIG_*=n) want="# ${line%=n} is not set" ;;
        CONFIG_*=*) want=$line ;;
        "# CONFIG_"*" is not set") want=$line ;;
        *) continue ;;
    esac
    opt=${want#\# }; opt=${opt%% *}; opt=${opt%%=*}
    if [ "${want#\#}" != "$want" ]; then
        # Wanted off: absent or "is not set" are both fine.
        if grep -q "^$opt=" "$config"; then
            echo "  $opt: wanted off, got $(grep "^$opt=" "$config")" >&2; bad=1
        fi
    elif ! grep -qxF "$want" "$config"; then
        got=$(grep -E "^(# )?${opt}[= ]" "$config" || echo "absent")
        echo "  $opt: wanted ${want#*=}, got '$got'" >&2; bad=1
    fi
done < <(cat "$@")
exit $bad
