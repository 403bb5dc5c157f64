#!/usr/bin/env bash
# The production install, checked as an operator (or the Dockerfile) makes it: a copy of this
# checkout, `npm ci && npm run build && npm prune --omit=dev`, then every command's --help, a rule
# check, and a short run of each long-running program (serve, daemon, llm-sim) that must answer on
# its port. The copy keeps this checkout's node_modules untouched for the steps that follow in CI.
#   scripts/check-production-tree.sh     KEEP=1 keeps the copy and prints where it is.
# Exit 0 when everything ran; else 1 with the step that failed.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/canary-prod-tree.XXXXXX")"
tree="$work/tree"
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ "${KEEP:-0}" = 1 ]; then echo "production tree kept at $tree"; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() { echo "production tree: FAILED: $*" >&2; exit 1; }
say() { printf -- '--- %s\n' "$*"; }

say "copy of the checkout (tracked and new files, as git sees them) in $tree"
bash "$here/scripts/copy-checkout.sh" "$tree"
cd "$tree"
unset CANARY_USE_DIST # bin/canary.js must find dist/ by itself

say "npm ci && npm run build && npm prune --omit=dev"
npm ci --no-audit --no-fund 2>&1 | tee "$work/npm-ci.log"
if grep -q EBADENGINE "$work/npm-ci.log"; then
  fail "npm ci warned EBADENGINE (a dependency refuses this Node version; see overrides in package.json)"
fi
npm run build
npm prune --omit=dev --no-audit --no-fund
for dev in tsx typescript vitest autocannon; do
  [ ! -e "node_modules/$dev" ] || fail "the dev dependency $dev is still installed after the prune"
done

say "every command's --help, from dist/ without tsx"
canary() { node bin/canary.js "$@"; }
canary --version
top="$(canary --help)" || fail "canary --help exited $?"
commands="$(printf '%s\n' "$top" | sed -n '/^Commands:/,$p' | sed -n 's/^  \([a-z][a-z-]*\).*/\1/p' | grep -vx help)"
[ "$(printf '%s\n' "$commands" | wc -l)" -ge 10 ] || fail "canary --help lists too few commands: $commands"
for cmd in $commands; do
  canary "$cmd" --help >/dev/null || fail "canary $cmd --help exited $?"
  echo "ok  canary $cmd --help"
done
canary rules check rules/*.rules.yml >/dev/null || fail "canary rules check rules/*.rules.yml exited $?"
echo "ok  canary rules check rules/*.rules.yml"

free_port() {
  node -e 'const s=require("node:net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Starts a program, waits until `url` answers 2xx (ready; the daemon reports health in the body), keeps it
# running for 5 s, checks it still answers, then stops it with SIGTERM and wants exit 0.
run_program() {
  local name="$1" url="$2"
  shift 2
  local log="$work/$name.log"
  node bin/canary.js "$@" >"$log" 2>&1 & # not through a function: $! must be node itself
  local pid=$!
  pids+=("$pid")
  local waited=0
  until curl -sf -o /dev/null --max-time 2 "$url"; do
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$log" >&2; fail "$name exited before answering on $url"; }
    [ "$waited" -lt 600 ] || { tail -n 20 "$log" >&2; fail "$name did not answer on $url within 60 s"; }
    sleep 0.1
    waited=$((waited + 1))
  done
  echo "ok  canary $name answers on $url after $((waited / 10)).$((waited % 10)) s"
  sleep 5
  kill -0 "$pid" 2>/dev/null || { tail -n 20 "$log" >&2; fail "$name died during its 5 s run"; }
  curl -sf -o /dev/null --max-time 5 "$url" || fail "$name stopped answering on $url"
  kill -TERM "$pid"
  local code=0
  wait "$pid" || code=$?
  [ "$code" = 0 ] || { tail -n 20 "$log" >&2; fail "$name exited $code on SIGTERM"; }
  echo "ok  canary $name ran 5 s and stopped cleanly on SIGTERM"
}

data="$work/data"
mkdir -p "$data"
export DATA_DIR="$data" FLAGS_FILE="$data/flags.json" AI_SEARCH_LOG_LEVEL=warn

say "serve, daemon and llm-sim: start, answer, run 5 s, stop"
port="$(free_port)"
run_program serve "http://127.0.0.1:$port/readyz" serve --port "$port" --data-dir "$data" --contacts 500
port="$(free_port)"
nothing="$(free_port)" # a Prometheus that is not there: the daemon must still start and answer
run_program daemon "http://127.0.0.1:$port/healthz" daemon --rules rules/ai-search.rules.yml \
  --prometheus-url "http://127.0.0.1:$nothing" --port "$port" --host 127.0.0.1 --data-dir "$data"
port="$(free_port)"
run_program llm-sim "http://127.0.0.1:$port/__control/faults" llm-sim --port "$port"

say "production tree: every program runs from dist/ without dev dependencies"
