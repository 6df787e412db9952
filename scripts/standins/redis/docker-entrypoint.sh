#!/bin/sh
# As the official redis image's entrypoint: options alone (or a .conf file) are given to redis-server;
# redis-server, started as root, runs as the redis user, owning /data; protected mode off (the official
# build's default: a container's port is reached from other containers, not from a loopback).
set -e
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
  set -- redis-server "$@"
fi
if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
  find . \! -user redis -exec chown redis '{}' +
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi
if [ "$1" = redis-server ]; then
  shift
  set -- redis-server --protected-mode no "$@"
fi
umask 0077
exec "$@"
