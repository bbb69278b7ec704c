#!/usr/bin/env bash
# The Debian package as an operator gets it: `cpack -G DEB` of a built tree,
# the .deb extracted with `dpkg -x` into a scratch root, then checked: the
# binary runs and prints the version, the man pages, completions, example
# units and docs are where they belong, Depends names the runtime libraries
# the binary links, and `index stats --help` exits 0.
#
# Run by ctest (label `package`) as:
#   test_package.sh BUILD_DIR VERSION [CPACK]
# BUILD_DIR must be fully built (`cmake --build BUILD_DIR`: the man pages
# too). The last line is "N passed, N failed"; the exit code is 1 on a
# failure.
set -uo pipefail

build=${1:?usage: test_package.sh BUILD_DIR VERSION [CPACK]}
version=${2:?usage: test_package.sh BUILD_DIR VERSION [CPACK]}
cpack=${3:-cpack}
passed=0
failed=0

check() { # check DESCRIPTION COMMAND...: passes when COMMAND succeeds
  local what=$1
  shift
  if "$@" >/dev/null 2>&1; then
    passed=$((passed + 1))
    echo "ok   $what"
  else
    failed=$((failed + 1))
    echo "FAIL $what"
  fi
}

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}

scratch=$(mktemp -d "${TMPDIR:-/tmp}/regsweep-package-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# Build the package into the scratch directory (not the build tree).
if "$cpack" -G DEB --config "$build/CPackConfig.cmake" -B "$scratch/out" \
    >"$scratch/cpack.log" 2>&1; then
  check "cpack -G DEB succeeds" true
else
  cat "$scratch/cpack.log"
  check "cpack -G DEB succeeds" false
  finish
fi
debs=("$scratch"/out/*.deb)
check "one .deb, named regsweep_${version}_<arch>.deb" \
  test "${#debs[@]}" -eq 1 -a -f "${debs[0]}" -a \
  "$(basename "${debs[0]}")" = "regsweep_${version}_$(dpkg --print-architecture).deb"
deb=${debs[0]}
[ -f "$deb" ] || finish

root=$scratch/root
check "dpkg -x extracts it" dpkg -x "$deb" "$root"

# Control fields.
field() { dpkg-deb -f "$deb" "$1"; }
check "Package: regsweep" test "$(field Package)" = regsweep
check "Version: $version" test "$(field Version)" = "$version"
check "Architecture: $(dpkg --print-architecture)" \
  test "$(field Architecture)" = "$(dpkg --print-architecture)"
check "Maintainer is a name and an address" \
  grep -Eq '^[^<]+ <[^>]+@[^>]+>$' <<<"$(field Maintainer)"
check "Description: a summary and a long description" \
  test "$(dpkg-deb -f "$deb" Description | wc -l)" -ge 3
check "Section: admin" test "$(field Section)" = admin
depends=$(field Depends)
echo "     Depends: $depends"
# The package names in Depends (versions and alternatives dropped).
depends_on() {
  tr ',|' '\n\n' <<<"$depends" | sed 's/^ *//; s/[ (].*//' | grep -qxF -- "$1"
}
for package in libc6 libstdc++6 libgcc-s1 libtbb12 libsimdjson14 \
    libyaml-cpp0.7 libboost-program-options1.74.0 libssl3 libxxhash0; do
  check "Depends names $package" depends_on "$package"
done
# Every shared library the packaged binary links itself (its NEEDED
# entries: RocksDB's compression libraries too) is in a package Depends
# names; what those libraries load in turn, their own packages depend on.
bin=$root/usr/bin/regsweep
missing=""
needed=$(objdump -p "$bin" | awk '$1 == "NEEDED" { print $2 }')
for lib in $(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $1 " " $3 }' |
             while read -r name path; do
               grep -qxF -- "$name" <<<"$needed" && echo "$path"
             done); do
  owner=""
  for path in "$lib" "$(readlink -f "$lib")" "/usr$lib" "/usr$(readlink -f "$lib")"; do
    owner=$(dpkg -S "$path" 2>/dev/null | head -n1 | cut -d: -f1) && [ -n "$owner" ] && break
  done
  depends_on "$owner" || missing="$missing $(basename "$lib")($owner)"
done
[ -z "$missing" ] || echo "     not in Depends:$missing"
check "Depends names the package of every library the binary loads" \
  test -z "$missing"

# Everything under /usr, nothing under /usr/local.
check "every file is under /usr, none under /usr/local" \
  bash -c "! dpkg-deb -c '$deb' | awk '{ print \$6 }' | grep -Ev '^\./(usr/.*)?$' | grep -q . &&
           ! dpkg-deb -c '$deb' | grep -q ' \./usr/local'"

# The binary.
check "usr/bin/regsweep is executable" test -x "$bin"
check "regsweep --version prints 'regsweep $version'" \
  test "$("$bin" --version)" = "regsweep $version"
check "regsweep --help: exit 0, lists the commands" \
  bash -c "'$bin' --help | grep -q garbage-collect"
for args in "index stats" "index referrers" "index"; do
  # shellcheck disable=SC2086
  check "regsweep $args --help: exit 0, usage on stdout" \
    bash -c "out=\$('$bin' $args --help 2>/dev/null) && grep -q 'usage: regsweep index stats' <<<\"\$out\""
done
typo=$scratch/typo
"$bin" index stats --index "$typo" >/dev/null 2>"$scratch/typo.err"
code=$?
check "index stats --index on no index: exit 2, names it, creates nothing" \
  test "$code" -eq 2 -a ! -e "$typo" -a -n "$(grep -F "$typo" "$scratch/typo.err")"

# Man pages, one per subcommand, from --help.
man1=$root/usr/share/man/man1
for page in regsweep regsweep-gc regsweep-garbage-collect regsweep-tag \
    regsweep-retain regsweep-audit regsweep-why regsweep-du regsweep-index; do
  title=$(tr '[:lower:]' '[:upper:]' <<<"$page")
  check "man page $page(1), version $version" \
    bash -c "zcat '$man1/$page.1.gz' | grep -q '^\.TH \"*$title\"* \"*1\"* .*$version'"
done
check "regsweep-gc(1) documents --delete-untagged and --grace" \
  bash -c "zcat '$man1/regsweep-gc.1.gz' | grep -q 'delete\\\\-untagged' &&
           zcat '$man1/regsweep-gc.1.gz' | grep -q 'grace'"
check "regsweep-tag(1) documents tag rm's --ignore-missing" \
  bash -c "zcat '$man1/regsweep-tag.1.gz' | grep -q 'ignore\\\\-missing'"
if command -v man >/dev/null; then
  check "man renders regsweep-retain(1)" \
    bash -c "MANWIDTH=80 man -l '$man1/regsweep-retain.1.gz' 2>&1 | grep -q -- '--keep-last'"
fi

# Completions.
bash_completion=$root/usr/share/bash-completion/completions/regsweep
zsh_completion=$root/usr/share/zsh/vendor-completions/_regsweep
check "bash completion installed, valid bash" bash -n "$bash_completion"
check "bash completion completes gc's --delete-untagged" \
  grep -q -- '--delete-untagged' "$bash_completion"
check "zsh completion installed (#compdef regsweep)" \
  test "$(head -n1 "$zsh_completion" 2>/dev/null)" = "#compdef regsweep"
if command -v zsh >/dev/null; then
  check "zsh completion is valid zsh" zsh -n "$zsh_completion"
fi
# Every flag a command's --help lists is completed (a flag added later
# without its completion fails here).
help_flags() { # the flags in the options list of `regsweep $1 --help`
  # shellcheck disable=SC2086
  "$bin" $1 --help | grep -oE '^  +(-[a-zA-Z] \[ )?--[a-z0-9-]+' |
    grep -oE -- '(^| )-[a-zA-Z]( |$)|--[a-z0-9-]+' | tr -d ' ' | sort -u
}
for command in gc garbage-collect "tag ls" "tag rm" retain audit why du; do
  flags=$(help_flags "$command")
  completed=$(bash -c 'source "$1"; _regsweep_flags "$2"' _ "$bash_completion" "$command" |
    tr ' ' '\n' | grep . | sort -u)
  missing=$(comm -23 <(echo "$flags") <(echo "$completed") | tr '\n' ' ')
  [ -z "$missing" ] || echo "     bash does not complete for $command: $missing"
  check "bash completes every flag of '$command --help'" \
    test -n "$flags" -a -z "$missing"
  missing=""
  for flag in $flags; do
    case $flag in --*) grep -qF -- "$flag" "$zsh_completion" || missing="$missing $flag" ;; esac
  done
  [ -z "$missing" ] || echo "     zsh does not complete for $command:$missing"
  check "zsh completes every long flag of '$command --help'" test -z "$missing"
done

# Example units and docs.
doc=$root/usr/share/doc/regsweep
service=$doc/examples/regsweep-gc.service
timer=$doc/examples/regsweep-gc.timer
check "example regsweep-gc.service: oneshot" grep -qx 'Type=oneshot' "$service"
check "example regsweep-gc.service: runs /usr/bin/regsweep gc" \
  grep -q '^ExecStart=/usr/bin/regsweep gc ' "$service"
check "example regsweep-gc.service: stops and starts docker-registry" \
  bash -c "grep -q '^ExecStartPre=.*systemctl stop docker-registry.service' '$service' &&
           grep -q '^ExecStopPost=.*systemctl start docker-registry.service' '$service'"
check "example regsweep-gc.service: shows the read-only alternative" \
  grep -q 'REGISTRY_STORAGE_MAINTENANCE_READONLY' "$service"
check "example regsweep-gc.timer: weekly" grep -q '^OnCalendar=Sun ' "$timer"
for file in README.md LICENSE CHANGELOG.md; do
  check "usr/share/doc/regsweep/$file" test -s "$doc/$file"
done
check "LICENSE is the Apache License 2.0" grep -q 'Apache License' "$doc/LICENSE"

finish
