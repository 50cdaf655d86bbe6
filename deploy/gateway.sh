#!/bin/sh
# How compose.yaml starts each gateway: the Chat API channel id the setup step wrote, then `baton serve`
# in the foreground (exec, so the SIGTERM of `docker compose stop` reaches it and it drains).
#
# BATON_HOME (default /app), BATON_CONFIG (default /etc/baton/baton.yaml), BATON_SETUP_DIR (default
# /setup) and BATON_PORT (optional: overrides server.port) say where things are; test/e2e/
# deploy-scripts.test.ts runs it outside a container with them.
set -eu
home=${BATON_HOME:-/app}
config=${BATON_CONFIG:-/etc/baton/baton.yaml}
dir=${BATON_SETUP_DIR:-/setup}
. "$dir/channel.env"
export EIGHT_X_EIGHT_CHANNEL_ID
if [ -n "${BATON_PORT:-}" ]; then
  exec node "$home/bin/baton.js" serve --config "$config" --port "$BATON_PORT"
fi
exec node "$home/bin/baton.js" serve --config "$config"
