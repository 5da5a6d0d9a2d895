#!/bin/sh
# `docker` on the test node's PATH (`npm run cluster` puts it first): Debian's Docker 20.10 CLI,
# whose BuildKit builds land in the daemon's image store by themselves. skaffold (v2.16) adds
# buildx's `--load` to `docker build`, a flag this CLI predates: drop that one flag, pass the rest.
if [ "${1:-}" = build ]; then
  shift
  n=$#
  i=0
  while [ "$i" -lt "$n" ]; do
    a=$1
    shift
    i=$((i + 1))
    [ "$a" = --load ] || set -- "$@" "$a"
  done
  exec /usr/bin/docker build "$@"
fi
exec /usr/bin/docker "$@"
