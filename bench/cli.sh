#!/usr/bin/env bash
# CLI cold start (npm run bench:cli): the median wall time of `canary --help`, `canary flags list`
# and the kill switch `canary flags update ai-search-enabled --value=false`, measured by hyperfine,
# through tsx (how a dev checkout runs, and how every run went before the built CLI was used) and
# from dist/ (how a production tree runs), side by side, with `node -e 0` as the floor of the same
# run: on a shared machine absolute figures move, the ratios to the floor much less.
#   bench/cli.sh [tree]   tree: a checkout to measure (default this one); a production tree
#                         (no tsx) gets the dist column only. BENCH_RUNS=n sets the runs (10).
# Targets (issue 11, on a production tree): --help ≤ 0.3 s, flags list / update ≤ 0.5 s.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
tree="$(cd "${1:-$here}" && pwd)"
runs="${BENCH_RUNS:-10}"
command -v hyperfine >/dev/null || { echo "bench:cli needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }

if [ -d "$tree/node_modules/typescript" ]; then
  (cd "$tree" && npm run --silent build) # the dist column measures the sources as they are now
elif [ ! -f "$tree/dist/cli/main.js" ]; then
  echo "bench:cli: $tree has no dist/ and no TypeScript to build it" >&2; exit 2
fi
modes=(dist)
[ -d "$tree/node_modules/tsx" ] && modes=(tsx dist)

data="$(mktemp -d)"
out="$(mktemp -d)"
trap 'rm -rf "$data" "$out"' EXIT
export DATA_DIR="$data" FLAGS_FILE="$data/flags.json"
bin="$tree/bin/canary.js"
node "$bin" flags list >/dev/null 2>&1 || CANARY_USE_DIST=1 node "$bin" flags list >/dev/null # create the flag file

names=('node -e 0 (floor)')
cmds=('node -e 0')
for mode in "${modes[@]}"; do
  use=$([ "$mode" = dist ] && echo 1 || echo 0)
  for args in '--help' 'flags list' 'flags update ai-search-enabled --value=false --reason bench'; do
    names+=("$mode | canary ${args%% --reason*}")
    cmds+=("env CANARY_USE_DIST=$use node $bin $args")
  done
done
hf=(hyperfine -N --warmup 2 --runs "$runs" --export-json "$out/cli.json" --style none)
for i in "${!cmds[@]}"; do hf+=(-n "${names[$i]}" "${cmds[$i]}"); done
echo "bench:cli: $runs runs each on $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), tree $tree"
"${hf[@]}" >/dev/null 2>"$out/stderr" || { cat "$out/stderr" >&2; exit 1; }

node - "$out/cli.json" <<'JS'
const { results } = JSON.parse(require('node:fs').readFileSync(process.argv[2], 'utf8'));
const row = (name) => results.find((r) => r.command === name);
const floor = row('node -e 0 (floor)').median;
const s = (x) => (x === undefined ? '     -' : `${x.toFixed(3)}`.padStart(6));
const targets = { '--help': 0.3, 'flags list': 0.5, 'flags update ai-search-enabled --value=false': 0.5 };
console.log(`median wall time in seconds (floor: node -e 0 = ${floor.toFixed(3)} s)`);
console.log(`${'command'.padEnd(52)}   tsx    dist  tsx/dist  dist/floor  target  met`);
for (const [cmd, target] of Object.entries(targets)) {
  const tsx = row(`tsx | canary ${cmd}`)?.median;
  const dist = row(`dist | canary ${cmd}`).median;
  const ratio = tsx === undefined ? '     -' : `${(tsx / dist).toFixed(1)}×`.padStart(6);
  const met = dist <= target ? 'yes' : 'NO';
  console.log(
    `${`canary ${cmd}`.padEnd(52)} ${s(tsx)}  ${s(dist)}  ${ratio.padStart(8)}  ${`${(dist / floor).toFixed(1)}×`.padStart(10)}  ${target.toFixed(1).padStart(6)}  ${met}`,
  );
}
console.log('(a loaded machine slows every row, the floor too: compare the ratios across runs)');
JS
