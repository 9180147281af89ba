#!/usr/bin/env bash
# timed.sh LABEL CMD...: run CMD and print its wall time, so every `make test` log shows the per-part
# times the README quotes (issue 12). The exit status is CMD's.
label=$1; shift
start=$(date +%s.%N)
"$@"; rc=$?
awk -v a="$start" -v b="$(date +%s.%N)" -v l="$label" -v rc="$rc" \
    'BEGIN { printf "[time] %s: %.0f s wall (exit %d)\n", l, b - a, rc }'
exit $rc
