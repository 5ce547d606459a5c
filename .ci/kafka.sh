#!/usr/bin/env bash
# A real single-node Kafka broker (KRaft, broker+controller in one JVM) for tests and CI, run from
# Maven Central jars: no Docker, no download outside Maven.
#
#   .ci/kafka.sh start    copy the jars if needed, format storage if needed, start, wait until ready
#   .ci/kafka.sh stop     SIGTERM the broker, SIGKILL after 30 s; succeeds if nothing runs
#   .ci/kafka.sh status   prints running/stopped; exit 0 if running and accepting connections, else 1
#   .ci/kafka.sh clean    stop, then delete the work dir (data and logs)
#   .ci/kafka.sh create-topic <topic> [partitions]   create a topic (3 partitions by default)
#   .ci/kafka.sh consume <topic> [console-consumer options]
#                         read a topic from the beginning with Kafka's own console consumer,
#                         keys and headers shown (Ctrl-C stops); the tools' jars are fetched
#                         from Maven Central on first use into KAFKA_TOOLS_DIR
#
# Environment (all optional):
#   KAFKA_PORT             client listener port, 127.0.0.1 only              (default 9092)
#   KAFKA_CONTROLLER_PORT  controller listener port                          (default 9093)
#   KAFKA_WORK_DIR         config, data, logs, pid file                      (default .ci/work/kafka)
#   KAFKA_LIBS_DIR         where the broker jars are copied                  (default .ci/kafka/target/libs)
#   KAFKA_START_TIMEOUT    seconds to wait for the broker to be ready        (default 60)
#   KAFKA_HEAP_OPTS        JVM heap options                                  (default -Xmx512m)
# A second broker needs its own KAFKA_WORK_DIR and ports. The broker log is <work>/broker.log
# (the previous run's is broker.log.1); JVM output before logging starts is in <work>/kafka.out.
# Timings on the 2-core machine: first start ~16 s (Maven copies 45 jars, 43 MB; format), later
# starts ~4-5 s, stop ~2 s. A start after the broker was killed (kill -9) takes ~9 s longer: the
# controller refuses the new broker registration until the old one's session times out
# (broker.session.timeout.ms, 9 s by default).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
POM="$ROOT/.ci/kafka/pom.xml"
PORT=${KAFKA_PORT:-9092}
CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
WORK=${KAFKA_WORK_DIR:-$ROOT/.ci/work/kafka}
LIBS=${KAFKA_LIBS_DIR:-$ROOT/.ci/kafka/target/libs}
START_TIMEOUT=${KAFKA_START_TIMEOUT:-60}
STOP_TIMEOUT=30
read -ra HEAP_OPTS <<<"${KAFKA_HEAP_OPTS:--Xmx512m}"
HOST=127.0.0.1
READY_LINE='Kafka Server started'

say() { echo "kafka: $*"; }
die() { echo "kafka: $*" >&2; exit 1; }

abs() { # abs <dir>: absolute path, creating the directory
  mkdir -p "$1" && (cd "$1" && pwd)
}

port_open() { # port_open <port>: something accepts TCP connections there
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# The PID from the pid file, if that process is alive and is a Kafka broker (not a reused PID).
broker_pid() {
  local pid
  [[ -f "$WORK/kafka.pid" ]] || return 1
  pid=$(<"$WORK/kafka.pid")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q ' kafka\.Kafka ' || return 1
  echo "$pid"
}

show_log() {
  local f
  for f in "$WORK/kafka.out" "$WORK/broker.log"; do
    if [[ -s "$f" ]]; then
      echo "kafka: ---- last 50 lines of $f ----" >&2
      tail -n 50 "$f" >&2
    fi
  done
}

# (a) The broker's jars, copied by Maven (downloads are cached in ~/.m2). A marker file holding
# the pom's checksum says the copy is complete and matches the pom; otherwise copy again, into a
# scratch directory first so an interrupted copy never looks complete.
ensure_libs() {
  local sum
  sum=$(sha256sum "$POM" | cut -d' ' -f1)
  if [[ -f "$LIBS/.complete" && "$(<"$LIBS/.complete")" == "$sum" ]]; then
    return 0
  fi
  command -v mvn >/dev/null || die "mvn is not on PATH (needed once to copy the broker jars)"
  say "copying broker jars to $LIBS"
  local tmp="$LIBS.partial.$$"
  rm -rf "$tmp"
  mkdir -p "$(dirname "$LIBS")"
  if ! mvn -B -q -f "$POM" dependency:copy-dependencies -Dkafka.libs.dir="$tmp" \
    >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    die "copying the broker jars failed"
  fi
  rm -f "$tmp.log"
  echo "$sum" >"$tmp/.complete"
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
  say "copied $(find "$LIBS" -name '*.jar' | wc -l) jars ($(du -sh "$LIBS" | cut -f1))"
}

# (b) Broker and logging configuration; rewritten on every start so env overrides take effect.
write_config() {
  cat >"$WORK/server.properties" <<EOF
# Written by .ci/kafka.sh on every start; edits are lost.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$HOST:$CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$WORK/data

# One node: every internal topic has one replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1

# Tests create their topics; producing to a missing topic must be an error the client sees.
auto.create.topics.enable=false
num.partitions=3
group.initial.rebalance.delay.ms=0
EOF

  cat >"$WORK/log4j2.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by .ci/kafka.sh on every start; edits are lost. -->
<!-- No log4j shutdown hook: it would race the broker's and cut the shutdown log short. -->
<Configuration status="warn" shutdownHook="disable">
  <Appenders>
    <File name="broker" fileName="$WORK/broker.log" append="true">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </File>
  </Appenders>
  <Loggers>
    <Root level="INFO">
      <AppenderRef ref="broker"/>
    </Root>
  </Loggers>
</Configuration>
EOF
}

run_java() { # run_java <main class> <args...>, in the foreground
  java "${HEAP_OPTS[@]}" -cp "$LIBS/*" -Dlog4j2.configurationFile="$WORK/log4j2.xml" "$@"
}

# (c) Format the storage once. --standalone records this controller, with its port, as the only
# voter; if the controller port changed since, the old data is useless for this config: start over.
ensure_formatted() {
  local stamp="$WORK/formatted-controller-port"
  if [[ -f "$WORK/data/meta.properties" ]]; then
    if [[ "$(cat "$stamp" 2>/dev/null)" == "$CONTROLLER_PORT" ]]; then
      return 0
    fi
    say "controller port changed since the storage was formatted; deleting $WORK/data"
    rm -rf "$WORK/data"
  fi
  local id
  rm -rf "$WORK/data"
  id=$(run_java kafka.tools.StorageTool random-uuid 2>>"$WORK/kafka.out" | tail -n 1)
  [[ -n "$id" ]] || { show_log; die "kafka-storage random-uuid printed nothing"; }
  say "formatting storage (cluster $id)"
  if ! run_java kafka.tools.StorageTool format --standalone -t "$id" \
    -c "$WORK/server.properties" >>"$WORK/kafka.out" 2>&1; then
    show_log
    die "formatting the storage failed"
  fi
  echo "$CONTROLLER_PORT" >"$stamp"
}

wait_ready() { # wait_ready <pid> <started at SECONDS>
  local pid=$1 t0=$2 deadline=$((SECONDS + START_TIMEOUT))
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      show_log
      rm -f "$WORK/kafka.pid"
      die "the broker exited during startup"
    fi
    if grep -qF "$READY_LINE" "$WORK/broker.log" 2>/dev/null && port_open "$PORT"; then
      say "ready at $HOST:$PORT (pid $pid, $((SECONDS - t0)) s)"
      return 0
    fi
    if ((SECONDS >= deadline)); then
      show_log
      say "not ready after ${START_TIMEOUT} s; stopping it" >&2
      do_stop >&2
      exit 1
    fi
    sleep 0.5
  done
}

do_start() {
  local t0=$SECONDS pid
  command -v java >/dev/null || die "java is not on PATH"
  WORK=$(abs "$WORK")
  # One start at a time per work dir. The lock's descriptor is closed for the broker below,
  # or the broker would hold the lock for as long as it runs.
  exec 8>"$WORK/.lock"
  flock 8

  if pid=$(broker_pid); then
    if port_open "$PORT"; then
      say "already running at $HOST:$PORT (pid $pid)"
      return 0
    fi
    say "pid $pid is running but $HOST:$PORT is not open yet; waiting"
    wait_ready "$pid" "$t0"
    return 0
  fi
  rm -f "$WORK/kafka.pid"
  local p
  for p in "$PORT" "$CONTROLLER_PORT"; do
    if port_open "$p"; then
      die "$HOST:$p is in use by a process this script did not start (not ours: $WORK/kafka.pid)"
    fi
  done

  ensure_libs
  write_config
  : >"$WORK/kafka.out"
  if [[ -f "$WORK/broker.log" ]]; then mv -f "$WORK/broker.log" "$WORK/broker.log.1"; fi
  ensure_formatted

  say "starting broker (log: $WORK/broker.log)"
  # setsid: its own session, so the caller's terminal or process group ending does not take the
  # broker along; nohup for good measure. Both exec, so $! is the JVM's PID.
  (
    cd "$WORK"
    exec setsid nohup java "${HEAP_OPTS[@]}" -XX:+UseG1GC -Djava.awt.headless=true \
      -Dlog4j2.configurationFile="$WORK/log4j2.xml" \
      -cp "$LIBS/*" kafka.Kafka "$WORK/server.properties" \
      </dev/null >>"$WORK/kafka.out" 2>&1 8>&-
  ) &
  pid=$!
  echo "$pid" >"$WORK/kafka.pid"
  wait_ready "$pid" "$t0"
}

do_stop() {
  local pid
  if [[ ! -d "$WORK" ]]; then
    say "not running"
    return 0
  fi
  if ! pid=$(broker_pid); then
    rm -f "$WORK/kafka.pid"
    say "not running"
    return 0
  fi
  local t0=$SECONDS deadline=$((SECONDS + STOP_TIMEOUT))
  say "stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      say "still running after ${STOP_TIMEOUT} s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
      break
    fi
    sleep 0.2
  done
  rm -f "$WORK/kafka.pid"
  say "stopped ($((SECONDS - t0)) s)"
}

do_status() {
  local pid
  if pid=$(broker_pid) && port_open "$PORT"; then
    say "running at $HOST:$PORT (pid $pid)"
    return 0
  elif [[ -n "${pid:-}" ]]; then
    say "stopped: pid $pid is alive but $HOST:$PORT does not accept connections"
  else
    say "stopped"
  fi
  return 1
}

do_clean() {
  do_stop
  if [[ -d "$WORK" ]]; then
    rm -rf "$WORK"
    say "deleted $WORK"
  fi
}

# Kafka's command-line tools, in a directory of their own (90+ jars the broker does not need).
TOOLS=${KAFKA_TOOLS_DIR:-$ROOT/.ci/kafka/target/tools}

ensure_tools() {
  if [[ -f "$TOOLS/.complete" ]]; then
    return 0
  fi
  command -v mvn >/dev/null || die "mvn is not on PATH (needed once to copy Kafka's tools)"
  say "copying Kafka's command-line tools to $TOOLS (first use only)"
  local tmp="$TOOLS.partial.$$"
  rm -rf "$tmp"
  if ! mvn -B -q -f "$POM" -Ptools dependency:copy-dependencies -Dkafka.libs.dir="$tmp" >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    die "copying Kafka's tools failed"
  fi
  rm -f "$tmp.log"
  touch "$tmp/.complete"
  rm -rf "$TOOLS"
  mv "$tmp" "$TOOLS"
}

tool() { # tool <main class> <args…>
  ensure_tools
  local main=$1
  shift
  java -Xmx256m -Dlog4j2.level=WARN -cp "$TOOLS/*" "$main" "$@"
}

do_create_topic() {
  [[ -n "${1:-}" ]] || die "usage: $0 create-topic <topic> [partitions]"
  tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$HOST:$PORT" --create --if-not-exists \
    --topic "$1" --partitions "${2:-3}" --replication-factor 1
}

do_consume() {
  [[ -n "${1:-}" ]] || die "usage: $0 consume <topic> [console-consumer options]"
  local topic=$1
  shift
  tool org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$HOST:$PORT" --topic "$topic" \
    --from-beginning --property print.key=true --property print.headers=true "$@"
}

case "${1:-}" in
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
  clean) do_clean ;;
  create-topic) shift; do_create_topic "$@" ;;
  consume) shift; do_consume "$@" ;;
  *)
    echo "usage: $0 start|stop|status|clean|create-topic <topic> [partitions]|consume <topic> [options]" >&2
    exit 2
    ;;
esac
