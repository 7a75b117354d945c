# SPDX-License-Identifier: BSL-1.0
# Sourced by the scripts: install_missing WHO PACKAGE... installs, as root on
# Debian 12, the packages not yet there (one apt-get run), naming them.
install_missing() {
    local who=$1 p missing=()
    shift
    for p in "$@"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    echo "$who: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
