#!/usr/bin/env bash
# The cloud brokers' emulators for the tests, on 127.0.0.1: moto (AWS: EventBridge, SQS) on 5000
# and Google's Pub/Sub emulator on 8085. Installed on the machine, not here.
#   bash .ci/emulators.sh start|stop|status
# `start` waits until both answer; `stop` ends what this script started (the Pub/Sub emulator's
# own java process too: ending gcloud leaves it running). State in .ci/work/emulators/.
set -euo pipefail
cd "$(dirname "$0")"
WORK=$PWD/work/emulators
MOTO_PORT=${MOTO_PORT:-5000}
PUBSUB_PORT=${PUBSUB_PORT:-8085}
PUBSUB_PROJECT=${PUBSUB_PROJECT:-outbox-test}
mkdir -p "$WORK"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { # wait_port <what> <port> <seconds> <log>
  local deadline=$((SECONDS + $3))
  until port_open "$2"; do
    if ((SECONDS >= deadline)); then echo "emulators: $1 not listening on $2 after $3 s; log: $4" >&2; tail -20 "$4" >&2; return 1; fi
    sleep 0.5
  done
}

start() {
  if port_open "$MOTO_PORT"; then
    echo "emulators: moto already listening on $MOTO_PORT"
  else
    command -v moto_server >/dev/null || { echo "emulators: moto_server is not installed (pip install 'moto[server]')" >&2; exit 1; }
    setsid moto_server -H 127.0.0.1 -p "$MOTO_PORT" >"$WORK/moto.log" 2>&1 &
    echo $! >"$WORK/moto.pid"
    wait_port moto "$MOTO_PORT" 60 "$WORK/moto.log"
    echo "emulators: moto on http://127.0.0.1:$MOTO_PORT"
  fi
  if port_open "$PUBSUB_PORT"; then
    echo "emulators: Pub/Sub emulator already listening on $PUBSUB_PORT"
  else
    command -v gcloud >/dev/null || { echo "emulators: gcloud (with the pubsub-emulator component) is not installed" >&2; exit 1; }
    setsid gcloud beta emulators pubsub start --host-port="127.0.0.1:$PUBSUB_PORT" --project="$PUBSUB_PROJECT" \
      >"$WORK/pubsub.log" 2>&1 &
    echo $! >"$WORK/pubsub.pid"
    wait_port "Pub/Sub emulator" "$PUBSUB_PORT" 120 "$WORK/pubsub.log"
    echo "emulators: Pub/Sub emulator on 127.0.0.1:$PUBSUB_PORT (project $PUBSUB_PROJECT)"
  fi
}

stop() {
  for name in moto pubsub; do
    [[ -f $WORK/$name.pid ]] || continue
    pid=$(cat "$WORK/$name.pid")
    # The whole session (setsid): gcloud's python and the emulator's java child.
    kill -TERM -- "-$pid" 2>/dev/null || true
    rm -f "$WORK/$name.pid"
    echo "emulators: stopped $name"
  done
  # gcloud may leave the emulator's java running outside its session: stop it by its port.
  pid=$(ss -ltnpH "sport = :$PUBSUB_PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2 || true)
  if [[ -n ${pid:-} && -f $WORK/.pubsub-ours ]]; then kill "$pid" 2>/dev/null || true; fi
  rm -f "$WORK/.pubsub-ours"
}

case ${1:-} in
  start) start; [[ -f $WORK/pubsub.pid ]] && touch "$WORK/.pubsub-ours" || true ;;
  stop) stop ;;
  status) port_open "$MOTO_PORT" && port_open "$PUBSUB_PORT" ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
