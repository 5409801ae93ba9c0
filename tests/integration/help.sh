#!/usr/bin/env bash
# help.sh: the texts generated from the command and option tables, needing no server: the short command
# list (bare call), `help CMD` = `CMD --help` with flags and examples for every command, -V, the manual page
# (renders with man -l without warnings, names every command and key) and the bash and zsh completion scripts
# (load, complete commands, flags, keys, their values and paths; zsh's in a real interactive zsh via zpty).
set -u
. "$(dirname "$0")/../harness/lib.sh"
BIN=${RA_BIN:-$RA_ROOT/build/redis-archiver}
T=$RA_TEST_TMPDIR
unset REDIS_ARCHIVER_CONFIG

# --- bare call: the short list on stderr, exit 2
"$BIN" >"$T/bare.out" 2>"$T/bare.err"
rc=$?
if [ $rc = 2 ] && [ ! -s "$T/bare.out" ] && grep -q '^  backup ' "$T/bare.err" && [ "$(wc -l <"$T/bare.err")" -lt 25 ] &&
    ! grep -q -- '--part-size' "$T/bare.err"; then
    ra_ok "bare call: a short command list on stderr, exit 2"
else
    ra_fail "bare call: a short command list on stderr, exit 2" "rc $rc" "$(cat "$T/bare.err")"
fi
for v in -V --version version; do
    out=$("$BIN" $v 2>&1)
    rc=$?
    if [ $rc = 0 ] && [[ $out =~ ^redis-archiver\ [0-9]+\.[0-9]+\.[0-9]+$ ]]; then ra_ok "$v prints the version"; else ra_fail "$v prints the version" "rc $rc" "$out"; fi
done
"$BIN" --help >"$T/global.out" 2>&1
if [ $? = 0 ] && grep -q -- '--part-size SIZE' "$T/global.out" && grep -q '^exit codes:' "$T/global.out"; then
    ra_ok "--help: every setting and the exit codes"
else
    ra_fail "--help: every setting and the exit codes" "$(head "$T/global.out")"
fi

# --- help CMD and CMD --help: the same text, usage, flags, examples
cmds=$(sed -n 's/^  \([a-z]*\) .*/\1/p' "$T/bare.err")
[ "$(wc -w <<<"$cmds")" -ge 11 ] || ra_fail "the command list names every command" "$cmds"
bad=
for c in $cmds; do
    a=$("$BIN" help "$c" 2>&1) || bad="$bad $c(rc)"
    b=$("$BIN" "$c" --help 2>&1)
    [ "$a" = "$b" ] || bad="$bad $c(differs)"
    grep -q "^usage: redis-archiver $c" <<<"$a" || bad="$bad $c(usage)"
    n=$(sed -n '/^examples:/,/^$/p' <<<"$a" | grep -c '^  .*redis-archiver ')
    [ "$n" -ge 2 ] || bad="$bad $c(examples $n)"
done
if [ -z "$bad" ]; then ra_ok "help CMD equals CMD --help: usage, flags and 2-3 examples for each command"; else ra_fail "help CMD equals CMD --help: usage, flags and 2-3 examples for each command" "$bad"; fi
out=$("$BIN" help bakup 2>&1)
rc=$?
if [ $rc = 2 ] && grep -q "did you mean 'backup'" <<<"$out"; then ra_ok "help of a misspelt command: did you mean, exit 2"; else ra_fail "help of a misspelt command: did you mean, exit 2" "rc $rc" "$out"; fi
out=$("$BIN" help backup --bucket xyz 2>&1)
if grep -q -- '--remark TEXT' <<<"$out"; then ra_ok "help CMD with config flags around it"; else ra_fail "help CMD with config flags around it" "$out"; fi

# --- the manual page
"$BIN" man >"$T/redis-archiver.1" 2>"$T/man.err"
rc=$?
warn=$(LC_ALL=C.UTF-8 man --warnings=all -l "$T/redis-archiver.1" 2>&1 >"$T/man.txt")
if [ $rc = 0 ] && [ ! -s "$T/man.err" ] && [ -z "$warn" ] && [ -s "$T/man.txt" ]; then
    ra_ok "man -l renders the manual page without warnings"
else
    ra_fail "man -l renders the manual page without warnings" "rc $rc" "$warn" "$(cat "$T/man.err")"
fi
keys=$("$BIN" config 2>/dev/null | sed -n 's/^\([a-z0-9-]*\) .*/\1/p')
[ "$(wc -w <<<"$keys")" -ge 30 ] || ra_fail "config lists the keys" "$keys"
missing=
for k in $keys config; do
    grep -q -- "^ *--$k " "$T/man.txt" || missing="$missing --$k"
    v=REDIS_ARCHIVER_$(tr 'a-z-' 'A-Z_' <<<"$k")
    grep -q "$v" "$T/man.txt" || missing="$missing $v"
done
for c in $cmds; do grep -q "^   $c\$" "$T/man.txt" || missing="$missing $c"; done
if [ -z "$missing" ]; then ra_ok "the manual names every command, key and variable"; else ra_fail "the manual names every command, key and variable" "missing:$missing"; fi
missing=
for c in $cmds; do
    while IFS= read -r ex; do
        grep -qF -- "$ex" "$T/man.txt" || missing="$missing
$c: $ex"
    done < <("$BIN" help "$c" 2>&1 | sed -n '/^examples:/,/^$/s/^  \(redis-archiver .*\)/\1/p')
done
if [ -z "$missing" ]; then ra_ok "the manual has every command's examples"; else ra_fail "the manual has every command's examples" "missing:$missing"; fi

# --- bash completion: loads, registers, completes
"$BIN" completion bash >"$T/completion.bash"
touch "$T/bfile-a.rdb"
out=$(bash --norc --noprofile -c '
    set -u
    . "$1"
    complete -p redis-archiver
    comp() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _redis_archiver; echo "${COMPREPLY[*]}"; }
    echo "cmds: $(comp redis-archiver ba)"
    echo "all: $(comp redis-archiver "")"
    echo "flags: $(comp redis-archiver backup --rem)"
    echo "keys: $(comp redis-archiver list --part-s)"
    echo "enum: $(comp redis-archiver backup --part-checksum "")"
    echo "bool: $(comp redis-archiver list --allow-master "")"
    echo "after value: $(comp redis-archiver --instance li "")"
    echo "help: $(comp redis-archiver help ve)"
    echo "shell: $(comp redis-archiver completion "")"
    echo "value: [$(comp redis-archiver backup --remark "")]"
    echo "path: $(comp redis-archiver restore latest --output "$2/bfile-")"
' _ "$T/completion.bash" "$T" 2>&1)
exp="complete -F _redis_archiver redis-archiver
cmds: backup
all: $(tr '\n' ' ' <<<"$cmds" | sed 's/ $//')
flags: --remark
keys: --part-size --part-size-growth
enum: auto sha256 md5 none crc32c
bool: yes no
after value: $(tr '\n' ' ' <<<"$cmds" | sed 's/ $//')
help: verify
shell: bash zsh
value: []
path: $T/bfile-a.rdb"
if [ "$out" = "$exp" ]; then ra_ok "bash completion loads (complete -p) and completes commands, flags, keys, values"; else ra_fail "bash completion loads (complete -p) and completes commands, flags, keys, values" "$(diff <(echo "$exp") <(echo "$out"))"; fi

# --- zsh completion: loads both ways (autoloaded from $fpath as make install puts it, and sourced after
# compinit), and completes in a real interactive zsh in a pseudo-terminal (zsh/zpty): TAB on a typed line, the
# matches caught by wrapping compadd (zsh's own matching against the prefix, nothing stubbed)
"$BIN" completion zsh >"$T/completion.zsh"
if command -v zsh >/dev/null; then
    if zsh -n "$T/completion.zsh"; then ra_ok "zsh completion parses"; else ra_fail "zsh completion parses"; fi
    mkdir -p "$T/zfunc"
    cp "$T/completion.zsh" "$T/zfunc/_redis-archiver"
    out=$(zsh -f -c 'fpath=("$1" $fpath); autoload -Uz compinit; compinit -u -D; print -r -- "fpath: $_comps[redis-archiver]"
        autoload -Uz compinit; compinit -u -D; source "$2"; print -r -- "sourced: $_comps[redis-archiver] $+functions[_redis-archiver]"' \
        _ "$T/zfunc" "$T/completion.zsh" 2>&1)
    ra_assert_eq "zsh completion loads from \$fpath and when sourced after compinit" "fpath: _redis-archiver
sourced: _redis-archiver 1" "$out"
    zcomp() { timeout 30 zsh -f "$RA_HARNESS/zcomp.zsh" "$T/zfunc" "$1" 2>&1; }
    touch "$T/zfile-a.rdb"
    out=$(
        echo "cmds: $(zcomp 'redis-archiver ba')"
        echo "all: $(zcomp 'redis-archiver ')"
        echo "flags: $(zcomp 'redis-archiver backup --rem')"
        echo "keys: $(zcomp 'redis-archiver list --part-s')"
        echo "enum: $(zcomp 'redis-archiver backup --part-checksum ')"
        echo "bool: $(zcomp 'redis-archiver list --path-style ')"
        echo "after value: $(zcomp 'redis-archiver --instance li ')"
        echo "help: $(zcomp 'redis-archiver help ve')"
        echo "shell: $(zcomp 'redis-archiver completion ')"
        echo "path: $(zcomp "redis-archiver restore latest --output $T/zfile-")"
    )
    exp="cmds: backup
all: $(sort <<<"$cmds" | tr '\n' ' ' | sed 's/ $//')
flags: --remark
keys: --part-size --part-size-growth
enum: auto crc32c md5 none sha256
bool: auto no yes
after value: $(sort <<<"$cmds" | tr '\n' ' ' | sed 's/ $//')
help: verify
shell: bash zsh
path: zfile-a.rdb"
    if [ "$out" = "$exp" ]; then ra_ok "zsh completion (zpty, TAB) completes commands, flags, keys, values, paths"; else ra_fail "zsh completion (zpty, TAB) completes commands, flags, keys, values, paths" "$(diff <(echo "$exp") <(echo "$out"))"; fi
else
    ra_skip "zsh completion loads and completes" "zsh is not installed (make deps installs it)"
fi
"$BIN" completion fish >/dev/null 2>&1
ra_assert_eq "completion of an unknown shell: exit 2" 2 "$?"
ra_done
