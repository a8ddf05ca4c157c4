#!/bin/sh
# Entrypoint of the Strait container image (deploy/Dockerfile).
#
#   (no arguments) or `distributed`  write the worker file, then `strait distributed <it>`
#   distributed FILE / standalone … / plugins / demo / docs / --help / --version
#                                    `strait` with these arguments, untouched
#   anything else                    run it (e.g. `sh`)
#
# The worker file is $STRAIT_WORKER_PROPERTIES (default /etc/strait/worker.properties: the image's
# defaults, or a Kubernetes ConfigMap mounted there) with every CONNECT_* environment variable
# laid over it, as Confluent's cp-kafka-connect image turns them into worker properties:
# strip CONNECT_, lower-case, `___` -> `-`, `__` -> `_`, `_` -> `.`
# (CONNECT_BOOTSTRAP_SERVERS -> bootstrap.servers, CONNECT_PRODUCER_LINGER__MS would be
# producer.linger_ms). A variable wins over the same key in the file. It is written to
# $STRAIT_WORKER_GENERATED (default /var/lib/strait/worker.properties; $TMPDIR or /tmp when that
# directory is not writable).
#
# Not turned into properties: CONNECT_LOG4J_ROOT_LOGLEVEL (it sets STRAIT_LOG, the log filter, when
# that is unset), CONNECT_LOG4J_LOGGERS, CONNECT_LOG4J_APPENDER_STDOUT_LAYOUT_CONVERSIONPATTERN and
# CONNECT_TOOLS_LOG4J_LOGLEVEL (log4j settings Confluent's image also keeps out), and the service
# link variables Kubernetes injects for a Service named `connect` (CONNECT_PORT, CONNECT_PORT_*,
# CONNECT_SERVICE_HOST, CONNECT_SERVICE_PORT*). A value's line breaks become spaces.
set -eu

STRAIT_BIN="${STRAIT_BIN:-strait}"

generate_worker_properties() {
    base="${STRAIT_WORKER_PROPERTIES:-/etc/strait/worker.properties}"
    out="${STRAIT_WORKER_GENERATED:-/var/lib/strait/worker.properties}"
    if [ ! -r "$base" ]; then
        base=/dev/null
    fi
    mkdir -p "$(dirname "$out")" 2>/dev/null || true
    if [ -z "${STRAIT_WORKER_GENERATED:-}" ] && [ ! -w "$(dirname "$out")" ]; then
        # Run as another uid (e.g. OpenShift's arbitrary ones): the temporary directory will do.
        out="${TMPDIR:-/tmp}/strait-worker.properties"
    fi
    tmp="$out.tmp.$$"
    awk '
        function excluded(name) {
            if (name !~ /^CONNECT_[A-Za-z0-9_]+$/) return 1
            if (name == "CONNECT_LOG4J_ROOT_LOGLEVEL" || name == "CONNECT_LOG4J_LOGGERS" ||
                name == "CONNECT_LOG4J_APPENDER_STDOUT_LAYOUT_CONVERSIONPATTERN" ||
                name == "CONNECT_TOOLS_LOG4J_LOGLEVEL") return 1
            # Kubernetes service links of a Service named "connect".
            if (name ~ /^CONNECT_PORT(_|$)/ || name ~ /^CONNECT_SERVICE_(HOST|PORT)(_|$)/) return 1
            return 0
        }
        function prop_name(name,    p) {
            p = tolower(substr(name, 9))
            gsub(/_/, ".", p)
            gsub(/\.\.\./, "-", p)
            gsub(/\.\./, "_", p)
            return p
        }
        # The key of a properties line (java.util.Properties: up to the first unescaped `=`,
        # `:` or blank), or "" for blanks and comments.
        function line_key(line,    i, c, k) {
            sub(/^[ \t\f]+/, "", line)
            if (line == "" || line ~ /^[#!]/) return ""
            k = ""
            for (i = 1; i <= length(line); i++) {
                c = substr(line, i, 1)
                if (c == "\\") { k = k substr(line, i + 1, 1); i++; continue }
                if (c == "=" || c == ":" || c == " " || c == "\t" || c == "\f") break
                k = k c
            }
            return k
        }
        # Does the line end in an odd number of backslashes (a continuation)?
        function continues(line,    n) {
            n = 0
            while (n < length(line) && substr(line, length(line) - n, 1) == "\\") n++
            return n % 2 == 1
        }
        BEGIN {
            n = 0
            for (name in ENVIRON) {
                if (excluded(name)) continue
                p = prop_name(name)
                if (p == "") continue
                v = ENVIRON[name]
                gsub(/\r?\n/, " ", v)
                if (!(p in val)) keys[++n] = p
                val[p] = v
                from[p] = name
            }
            # Sort the keys (insertion sort: a handful of them) for a stable file.
            for (i = 2; i <= n; i++) {
                k = keys[i]
                for (j = i - 1; j >= 1 && keys[j] > k; j--) keys[j + 1] = keys[j]
                keys[j + 1] = k
            }
            dropping = 0
            in_cont = 0
        }
        {
            if (in_cont) {
                # A continuation line belongs to the previous entry.
                if (dropping) print "# " $0; else print
                in_cont = continues($0)
                next
            }
            k = line_key($0)
            dropping = (k != "" && (k in val))
            if (dropping) print "# overridden by " from[k] ": " $0; else print
            in_cont = (k != "" && continues($0))
        }
        END {
            if (n > 0) print "# from the environment (CONNECT_*)"
            for (i = 1; i <= n; i++) print keys[i] "=" val[keys[i]]
        }
    ' "$base" >"$tmp"
    mv "$tmp" "$out"
    GENERATED="$out"
}

# CONNECT_LOG4J_ROOT_LOGLEVEL=WARN (Confluent's image) -> STRAIT_LOG=warn, unless a filter is set.
if [ -n "${CONNECT_LOG4J_ROOT_LOGLEVEL:-}" ] && [ -z "${STRAIT_LOG:-}" ] && [ -z "${RUST_LOG:-}" ]; then
    level=$(printf '%s' "$CONNECT_LOG4J_ROOT_LOGLEVEL" | tr '[:upper:]' '[:lower:]')
    case "$level" in
        fatal) level=error ;;
        all) level=trace ;;
    esac
    STRAIT_LOG="$level"
    export STRAIT_LOG
fi

if [ $# -eq 0 ]; then
    set -- distributed
fi

case "$1" in
    distributed)
        if [ $# -eq 1 ]; then
            generate_worker_properties
            exec "$STRAIT_BIN" distributed "$GENERATED"
        fi
        exec "$STRAIT_BIN" "$@"
        ;;
    standalone | plugins | demo | docs | help | -h | --help | -V | --version)
        exec "$STRAIT_BIN" "$@"
        ;;
esac
exec "$@"
