#!/usr/bin/env bash
# tests/check-layers.sh: the module rules of CODING.md, checked by grep (`make check-layers`, part of
# `make check`). Prints each violation as FILE:LINE: what; exit 1 when there is any.
#
#   1. Each external library is included only by its adapter files (LIBS below).
#   2. A layer includes only the project headers of the layers it may use (LAYERS below).
#   3. Pure modules (PURE below) include no socket, curl or hiredis header and read no clock, environment
#      or file: their inputs are bytes and values.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

# library header prefix -> the files that may include it (globs, relative to the repository root)
declare -A LIBS=(
    [curl/]="src/command/notify.c src/storage/s3/request.c src/storage/s3/upload.c src/storage/s3/endpoint.c src/storage/s3/cred_http.c include/storage/s3/request.h src/main.c"
    [hiredis/]="src/source/resp.c"
    [libxml/]="src/storage/s3/xml.c src/main.c"
    [jansson]="src/common/log.c src/command/record.c src/command/output.c src/storage/s3/cred_parse.c"
    [openssl/]="src/source/net.c src/common/digest.c src/common/crypto.c"
    [zstd]="src/transform/zstd.c"
)
# layer -> the layers whose headers it may include
declare -A LAYERS=(
    [common]="common"
    [config]="common config"
    [pipeline]="common pipeline"
    [source]="common pipeline source"
    [storage]="common pipeline storage"
    [transform]="common pipeline transform"
    [command]="common config pipeline source storage transform command"
)
PURE="src/source/psync.c src/source/rdb.c src/source/rdbparse.c src/source/rdbblob.c src/common/lzf.c src/storage/s3/sigv4.c src/storage/s3/xml.c src/storage/s3/cred_parse.c src/common/url.c
      src/common/crc64.c src/common/crc32c.c src/common/text.c src/config/schedule.c src/config/value.c src/command/lifecycle.c src/command/retain.c
      src/storage/s3/answer.c src/storage/s3/partplan.c src/transform/agefmt.c src/transform/bech32.c"
PURE_BAD_INCLUDE='#include <(sys/socket\.h|netdb\.h|poll\.h|curl/|hiredis/|arpa/inet\.h|netinet/)'
PURE_BAD_CALL='(^|[^_a-z.>])(time|clock_gettime|gettimeofday|getenv|secure_getenv|fopen|open|socket|connect)\('

bad=0
fail() { printf '%s\n' "$*"; bad=1; }

allowed() {  # allowed FILE GLOBS...
    local f=$1 g
    shift
    for g in "$@"; do
        # shellcheck disable=SC2053
        [[ $f == $g ]] && return 0
    done
    return 1
}

files=$(git ls-files 'src/*.c' 'src/*.h' 'include/*.h' 2>/dev/null || find src include -name '*.[ch]')
for f in $files; do
    [ -f "$f" ] || continue
    # 1. libraries
    while IFS=: read -r line text; do
        for lib in "${!LIBS[@]}"; do
            if [[ $text =~ \#include[[:space:]]*\<$lib ]]; then
                # shellcheck disable=SC2086
                allowed "$f" ${LIBS[$lib]} || fail "$f:$line: includes <$lib...>, which only ${LIBS[$lib]} may include"
            fi
        done
    done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<' "$f")
    # 2. layers
    layer=$(echo "$f" | cut -d/ -f2)
    [ "$f" = src/main.c ] && layer=command
    if [ -n "${LAYERS[$layer]:-}" ]; then
        while IFS=: read -r line text; do
            dep=$(sed -E 's/.*#[[:space:]]*include[[:space:]]*"([^/"]+)\/.*/\1/' <<<"$text")
            [[ $text =~ \"[^/\"]+/ ]] || continue
            # shellcheck disable=SC2086
            allowed "$dep" ${LAYERS[$layer]} || fail "$f:$line: the $layer layer includes a $dep header (it may use: ${LAYERS[$layer]})"
        done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f")
    else
        case $f in */*/*) fail "$f: in no known layer (add it to LAYERS in tests/check-layers.sh and CODING.md)" ;; esac
    fi
done
# 3. pure modules
for f in $PURE; do
    [ -f "$f" ] || continue
    grep -nE "$PURE_BAD_INCLUDE" "$f" | sed "s|^|$f:|; s|\$|  (a pure module includes no I/O header)|" | grep . && bad=1
    # strip comments and string literals roughly before looking for calls
    sed -E 's://.*$::; s:"([^"\\]|\\.)*":"":g' "$f" | grep -nE "$PURE_BAD_CALL" |
        sed "s|^|$f:|; s|\$|  (a pure module reads no clock, environment or file)|" | grep . && bad=1
done

if [ $bad = 0 ]; then
    echo "check-layers: ok ($(echo "$files" | wc -w) files)"
fi
exit $bad
