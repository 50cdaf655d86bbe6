#!/bin/sh
# compose.yaml's one-shot `setup` step: creates (idempotently) the 8x8 webhook that posts to
# $WEBHOOK_PUBLIC_URL and the Chat API channel for queue 311, then writes the channel's id where the
# gateways read it (deploy/gateway.sh). Against a real 8x8 tenant run `baton 8x8 setup` once by hand
# instead and put the channel id into the gateways' environment (docs/8x8-setup.md).
#
# BATON_HOME (default /app, the image's), BATON_SETUP_CONFIG (default /etc/baton/setup.yaml) and
# BATON_SETUP_DIR (default /data) say where things are; test/e2e/deploy-scripts.test.ts runs it outside
# a container with them.
set -eu
home=${BATON_HOME:-/app}
config=${BATON_SETUP_CONFIG:-/etc/baton/setup.yaml}
dir=${BATON_SETUP_DIR:-/data}
node "$home/bin/baton.js" 8x8 setup --config "$config" --provider eight \
  --public-url "$WEBHOOK_PUBLIC_URL" --queue 311 | tee "$dir/setup.txt"
# The line reads: channel  <id>  created|already existed  (queue 311)
channel=$(sed -n 's/^channel  *\([^ ]*\)  .*/\1/p' "$dir/setup.txt")
if [ -z "$channel" ]; then
  echo "setup: no channel id in the output above" >&2
  exit 1
fi
printf 'EIGHT_X_EIGHT_CHANNEL_ID=%s\n' "$channel" > "$dir/channel.env"
echo "setup: channel $channel written to $dir/channel.env"
