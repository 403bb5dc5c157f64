#!/usr/bin/env bash
# Copies this checkout as git sees it (tracked files and new ones not ignored; no node_modules, no
# dist) to <dest>, so a check can install and build there and leave this tree as it is.
#   scripts/copy-checkout.sh <dest>
set -euo pipefail
[ $# = 1 ] || { echo "usage: scripts/copy-checkout.sh <dest>" >&2; exit 2; }
here="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$1"
git -C "$here" ls-files -z --cached --others --exclude-standard |
  (cd "$here" && tar --null --files-from=- --ignore-failed-read -cf -) | tar -C "$1" -xf -
