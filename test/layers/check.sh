#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# The folders are the layers (docs/design.md): this check keeps them so.
#   check.sh SOURCE_DIR
set -euo pipefail
cd "$1"
fail=0
bad() { echo "layers: $*" >&2; fail=1; }
includes() { grep -rnE "^#include [<\"]($2)" $1 2>/dev/null || true; }

# core/ decides without I/O: no Asio, Beast or OpenSSL.
hits=$(includes src/core 'boost/asio|boost/beast|openssl/')
[ -z "$hits" ] || bad "src/core includes I/O headers:"$'\n'"$hits"
# Only net/ includes Beast or OpenSSL's stream in src/.
hits=$(grep -rlnE '^#include [<"](boost/beast|boost/asio/ssl\.hpp|boost/asio/ssl/stream)' src | grep -v '^src/net/' || true)
[ -z "$hits" ] || bad "Beast or the SSL stream outside src/net: $hits"
# The library never includes the emulator or the tool.
hits=$(includes "src include" 'emulator/|tools/|runninghub/emulator\.hpp')
[ -z "$hits" ] || bad "the library includes the emulator or the CLI:"$'\n'"$hits"
# The emulator is an oracle: it parses with its own code, not the client's codec.
hits=$(includes emulator '(\.\./)*(src/)?codec/')
[ -z "$hits" ] || bad "the emulator includes the client's codec:"$'\n'"$hits"
# Lower layers never include upper ones.
hits=$(includes "src/core src/codec" '(client|webhook|batch|net)/')
[ -z "$hits" ] || bad "core/ or codec/ include a layer above them:"$'\n'"$hits"
hits=$(includes src/net '(client|webhook|batch)/')
[ -z "$hits" ] || bad "net/ includes a layer above it:"$'\n'"$hits"
# No source file of the library, the emulator or the tool over 500 lines.
while read -r n f; do
    [ "$f" = total ] || [ "$n" -le 500 ] || bad "$f has $n lines (at most 500)"
done < <(wc -l src/*.cpp src/*/*.cpp src/*/*.hpp emulator/*.cpp tools/cli/*.cpp 2>/dev/null)
# Every source file says its license (SPDX) in its first lines.
while read -r f; do
    head -3 "$f" | grep -q "SPDX-License-Identifier: BSL-1.0" || bad "$f has no SPDX-License-Identifier line"
done < <(git ls-files 2>/dev/null | grep -E '\.(cpp|hpp|c|h|sh|in|cmake)$|CMakeLists\.txt$|^\.ci/run$' || true)
[ $fail = 0 ] && echo "layers: ok"
exit $fail
