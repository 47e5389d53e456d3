#!/usr/bin/env bash
# A Bazel HTTP remote cache on 127.0.0.1: Debian's nginx with WebDAV PUT (Bazel's HTTP cache
# protocol is GET/PUT of /ac/<sha256> and /cas/<sha256>). Used by tools/tests/bazel_e2e_test.sh.
#   http_cache.sh start STORE RUNDIR   serves STORE, prints the URL; state (config, logs, pid) in RUNDIR
#   http_cache.sh stop RUNDIR          stops the server started with that RUNDIR
set -euo pipefail
die() { echo "http_cache.sh: $*" >&2; exit 2; }
case ${1:-} in
  start)
    store=${2:?store} run=${3:?rundir}
    command -v nginx >/dev/null || die "nginx not installed (tools/setup.sh)"
    mkdir -p "$store" "$run/tmp"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    user=''; [ "$(id -u)" != 0 ] || user='user root;'
    cat > "$run/nginx.conf" <<CONF
$user
worker_processes 1;
pid $run/nginx.pid;
error_log $run/error.log;
events { worker_connections 256; }
http {
    access_log $run/access.log;
    client_body_temp_path $run/tmp;
    proxy_temp_path $run/tmp;
    fastcgi_temp_path $run/tmp;
    uwsgi_temp_path $run/tmp;
    scgi_temp_path $run/tmp;
    server {
        listen 127.0.0.1:$port;
        root $store;
        client_max_body_size 0;
        location / {
            dav_methods PUT;
            create_full_put_path on;
            dav_access user:rw;
        }
    }
}
CONF
    nginx -c "$run/nginx.conf" -p "$run" -e "$run/error.log" || die "nginx did not start ($run/error.log)"
    python3 - "$port" <<'PY' || die "nginx does not answer on port $port ($run/error.log)"
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close(); sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
    echo "http://127.0.0.1:$port"
    ;;
  stop)
    run=${2:?rundir}
    [ -f "$run/nginx.pid" ] || exit 0
    nginx -c "$run/nginx.conf" -p "$run" -e "$run/error.log" -s stop
    # nginx removes its pid file when the master has exited.
    for _ in $(seq 50); do [ -f "$run/nginx.pid" ] || exit 0; sleep 0.1; done
    die "nginx (pid $(cat "$run/nginx.pid")) did not stop"
    ;;
  *) die "usage: http_cache.sh start STORE RUNDIR | stop RUNDIR" ;;
esac
