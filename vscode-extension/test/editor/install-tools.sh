#!/usr/bin/env bash
# Installs code-server and playwright-core into a scratch directory outside the repository, for the editor
# test (run.mjs). Kept out of package.json: code-server is ~300 MB and builds native modules, far too heavy
# for every `npm ci`.
#
#   test/editor/install-tools.sh [DIR]        (default: $DAPATTACH_EDITOR_TOOLS or /tmp/code-server)
#
# Needs Node 20 (code-server 4.100 refuses any other major), a C/C++ toolchain, the Kerberos headers
# (Debian: libkrb5-dev) for the `kerberos` module, and ripgrep (Debian: ripgrep): @vscode/ripgrep
# downloads its binary from GitHub while installing, so when GitHub is unreachable we seed its download
# cache with the system `rg` instead.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
PLAYWRIGHT_VERSION=1.65.1
RIPGREP_PACKAGE_VERSION=1.15.11
RIPGREP_ASSET=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz

dir=${1:-${DAPATTACH_EDITOR_TOOLS:-/tmp/code-server}}

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [[ $node_major != 20 ]]; then
  echo "code-server $CODE_SERVER_VERSION needs Node 20, but \`node\` is $(node --version)." >&2
  exit 1
fi

missing=()
[[ -e /usr/include/gssapi/gssapi.h ]] || missing+=(libkrb5-dev)
command -v rg >/dev/null || missing+=(ripgrep)
command -v g++ >/dev/null || missing+=(g++)
command -v make >/dev/null || missing+=(make)
if ((${#missing[@]})); then
  echo "Missing build dependencies of code-server: ${missing[*]}" >&2
  echo "Install them with: apt-get install -y ${missing[*]}" >&2
  exit 1
fi

cache="${TMPDIR:-/tmp}/vscode-ripgrep-cache-$RIPGREP_PACKAGE_VERSION"
if [[ ! -e $cache/$RIPGREP_ASSET ]]; then
  seed=$(mktemp -d)
  cp "$(command -v rg)" "$seed/rg"
  mkdir -p "$cache"
  tar czf "$cache/$RIPGREP_ASSET" -C "$seed" rg
  rm -rf "$seed"
fi

mkdir -p "$dir"
cd "$dir"
[[ -e package.json ]] || echo '{"name": "dapattach-editor-tools", "private": true}' >package.json
# unsafe-perm: code-server's postinstall refuses to run as root without it; yes: node-pty's postinstall
# runs `npx node-gyp`, which must not stop to ask.
npm_config_unsafe_perm=true npm_config_yes=true \
  npm install --no-audit --no-fund "code-server@$CODE_SERVER_VERSION" "playwright-core@$PLAYWRIGHT_VERSION"
echo "code-server and playwright-core are in $dir/node_modules"
