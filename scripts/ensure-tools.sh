#!/usr/bin/env bash
# Finds the external programs the stack and the tests need, installs the Debian packages when it
# can (apt-get present and running as root), or stops with the exact command to run.
#   scripts/ensure-tools.sh            prometheus, promtool, alertmanager, postgresql (15+),
#                                      victoria-metrics, vmalert,
#                                      iproute2 when root (the fleet drill's namespaces)
#   scripts/ensure-tools.sh --browser  the same, plus chromium for the browser test
set -euo pipefail

want_browser=0
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
    *) echo "ensure-tools: unknown option $arg" >&2; exit 2 ;;
  esac
done

have() { command -v "$1" >/dev/null 2>&1; }

missing=()
have prometheus && have promtool || missing+=(prometheus)
have prometheus-alertmanager || have alertmanager || missing+=(prometheus-alertmanager)
# The PostgreSQL flag store's tests start their own cluster with initdb + postgres (PG_BIN).
[ -x "${PG_BIN:-/usr/lib/postgresql/15/bin}/postgres" ] || ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
# VictoriaMetrics single node and vmalert (one Debian package): the metrics-backends e2e and bench.
have victoria-metrics && have vmalert || missing+=(victoria-metrics)
# The fleet drill puts hosts in network namespaces (ip netns) when root; elsewhere it falls back.
if [ "$(id -u)" = 0 ] && ! have ip; then missing+=(iproute2); fi
if [ "$want_browser" = 1 ]; then
  have chromium || missing+=(chromium)
fi

[ ${#missing[@]} -eq 0 ] && exit 0

if have apt-get && [ "$(id -u)" = 0 ]; then
  echo "ensure-tools: installing ${missing[*]} with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The Debian packages start system services on the default ports; the stack and the tests
  # start their own on other ports, so the services are stopped to keep 9090/9093 free.
  if have systemctl; then
    systemctl stop prometheus prometheus-alertmanager prometheus-node-exporter postgresql >/dev/null 2>&1 || true
    systemctl stop victoria-metrics >/dev/null 2>&1 || true
  fi
  exit 0
fi

echo "ensure-tools: missing ${missing[*]}. Install with:" >&2
echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
echo "(or put the prometheus, promtool and alertmanager binaries on PATH, and PostgreSQL's in PG_BIN)" >&2
exit 1
