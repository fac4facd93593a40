# Run (not sourced) by the driver in the main scenario once every service
# is up, under a timeout: every example of the HTTP contract
# (README, "The HTTP endpoint") with curl against
# the real pid-1 nitro on /run/nitro/http.sock, as root. One check each,
# named http-*; qemu/test expects them when the image has curl (x86_64: the
# host's curl and its libraries; on ARM there is none, and a note says so).
# Every curl has --max-time; every wait has a deadline.
. /lib/test.sh
SOCK=/run/nitro/http.sock
CURL=/usr/bin/curl
D=/tmp/http
mkdir -p "$D/wd"

if [ ! -x "$CURL" ]; then
    note "http: no curl in this guest (the host's curl runs only in a guest of its own architecture): the in-guest HTTP checks run on x86_64 only"
    exit 0
fi

# one line, at most 300 bytes, for a report
short() { printf '%s' "$*" | tr '\n\r' '  ' | cut -c1-300; }

# req METHOD PATH [BODY]: sets CODE (000 when curl failed), BODY (the
# response body, its last newline dropped, without the jobs' event sequence
# numbers `,"seq":N`, which the contract's examples leave out; SEQ holds the
# first one) and CTYPE.
req() {
    if [ $# -ge 3 ]; then
        printf '%s' "$3" >"$D/req"
        set -- "$1" "$2" -H 'Content-Type: application/json' --data-binary "@$D/req"
    fi
    _m=$1 _p=$2
    shift 2
    : >"$D/resp"
    _w=$("$CURL" -q -sS --max-time 10 --unix-socket "$SOCK" -o "$D/resp" -w '%{http_code} %{content_type}' \
        -X "$_m" "$@" "http://localhost$_p" 2>"$D/err")
    CODE=${_w%% *} CTYPE=${_w#* }
    [ -n "$CODE" ] || CODE=000
    BODY=$(cat "$D/resp")
    SEQ=$(printf '%s' "$BODY" | sed -n 's/.*"seq":\([0-9]*\).*/\1/p' | head -n1)
    BODY=$(printf '%s' "$BODY" | sed 's/,"seq":[0-9]*//g')
    [ "$CODE" != 000 ] || BODY="curl: $(cat "$D/err")"
}

# want NAME CODE BODY: the last reply is exactly CODE BODY.
want() {
    if [ "$CODE" = "$2" ] && [ "$BODY" = "$3" ]; then
        ok "$1"
    else
        fail "$1: want $2 $(short "$3"), got $CODE $(short "$BODY")"
    fi
}

# want_like NAME CODE GLOB: the last reply is CODE with a body matching GLOB.
want_like() {
    # shellcheck disable=SC2254
    case $BODY in
        $3) if [ "$CODE" = "$2" ]; then ok "$1"; return; fi ;;
    esac
    fail "$1: want $2 $(short "$3"), got $CODE $(short "$BODY")"
}

# field KEY: the number after "KEY": in BODY.
field() { printf '%s' "$BODY" | sed -n "s/.*\"$1\":\\(-*[0-9]*\\).*/\\1/p" | head -n1; }
# uptimes vary: "uptime":N
norm_uptime() { printf '%s' "$BODY" | sed 's/"uptime":[0-9]*/"uptime":N/g'; }

# state_is SERVICE STATE: GET /service/SERVICE says STATE.
state_is() {
    req GET "/service/$1"
    case $BODY in *"\"state\":\"$2\""*) return 0 ;; esac
    return 1
}
# job_is JOB STATE
job_is() {
    req GET "/job/$1"
    case $BODY in *"\"state\":\"$2\""*) return 0 ;; esac
    return 1
}
job_gone() {
    req GET "/job/$1"
    [ "$CODE" = 404 ]
}

t0=$(uptime_s)
if v=$("$CURL" --version 2>&1); then
    ok http-curl-runs "$(short "$(echo "$v" | head -n1 | cut -d' ' -f1-2)")"
else
    fail "http-curl-runs: $(short "$v")"
fi
m=$(stat -c %a "$SOCK" 2>&1)
if [ "$m" = 600 ] && [ -S "$SOCK" ]; then ok http-socket-mode-0600; else fail "http-socket-mode-0600: $SOCK: $m"; fi

# ---- services ---------------------------------------------------------------
tpid=$(nitroctl pidof ticker)
req GET /services
case $BODY in
    "["*"{\"name\":\"ticker\",\"state\":\"UP\",\"pid\":$tpid,\"wstatus\":0,\"uptime\":"[0-9]*"}"*"]") r=ok ;;
    *) r=fail ;;
esac
case $BODY in *'{"name":"web","state":"DOWN","pid":0,"wstatus":0,"uptime":'[0-9]*'}'*) ;; *) r=fail ;; esac
if [ "$CODE $r" = "200 ok" ]; then
    ok http-get-services "$(printf '%s' "$BODY" | grep -o '"name"' | wc -l) services"
else
    fail "http-get-services: want 200 with ticker UP (pid $tpid) and web DOWN, got $CODE $(short "$BODY")"
fi
req GET /service/ticker
BODY=$(norm_uptime)
want http-get-service 200 "{\"name\":\"ticker\",\"state\":\"UP\",\"pid\":$tpid,\"wstatus\":0,\"uptime\":N}"
req GET /service/nope
want http-get-service-unknown-404 404 '{"error":"not found"}'

# The event stream, from before web comes up until it is down again:
# curl -N in the background (bounded); its verbose log (events.head) shows
# when the reply has begun.
rm -f "$D/events" "$D/events.head"
"$CURL" -q -sSNv --max-time 60 --unix-socket "$SOCK" -o "$D/events" http://localhost/events 2>"$D/events.head" &
epid=$!
wait_until 10 grep -q '^< HTTP/1.1 200' "$D/events.head" 2>/dev/null ||
    note "http: the event stream's head did not come within 10 s: $(short "$(cat "$D/events.head" 2>&1)")"

req POST /service/web/up
want_like http-service-up 200 '{"name":"web","state":"*'
if wait_until 10 state_is web UP; then
    ok http-service-up-reaches-up
else
    fail "http-service-up-reaches-up: $(short "$BODY")"
fi
wpid=$(nitroctl pidof web)

rm -f "$D/web-ready"
req POST /service/web/restart
want_like http-service-restart 200 '{"name":"web","state":"*'
if wait_until 10 sh -c '[ -s /tmp/http/web-ready ] && p=$(nitroctl pidof web) && [ "$p" != "$0" ] && [ "$p" = "$(cat /tmp/http/web-ready)" ]' "$wpid"; then
    ok http-service-restart-new-pid "$wpid -> $(nitroctl pidof web)"
else
    fail "http-service-restart-new-pid: pid $wpid before, now $(nitroctl pidof web) ($(nitroctl list web))"
fi

req POST /service/web/signal/HUP
want http-service-signal-hup 200 '{"status":"ok"}'
if wait_until 5 grep -q HUP "$D/web-hup" 2>/dev/null; then
    ok http-service-got-hup
else
    fail "http-service-got-hup: no HUP recorded by web ($(nitroctl list web))"
fi
req POST /service/nope/signal/HUP
want http-service-signal-unknown-404 404 '{"error":"no such running service"}'

# GET /metrics while web is up after a restart
wait_until 10 state_is web UP
req GET /metrics
metrics=$BODY
mfail=
[ "$CODE" = 200 ] || mfail="$mfail status $CODE;"
[ "$CTYPE" = "text/plain; version=0.0.4" ] || mfail="$mfail Content-Type $CTYPE;"
for line in '# TYPE nitro_service_state gauge' \
    'nitro_service_state{service="ticker",state="UP"} 4' \
    'nitro_service_state{service="web",state="UP"} 4' \
    'nitro_service_state{service="hello",state="ONESHOT"} 5' \
    'nitro_service_up{service="ticker"} 1' \
    'nitro_service_up{service="web"} 1' \
    'nitro_service_restarts_total{service="web"} 1' \
    '# TYPE nitro_service_restarts_total counter' \
    '# TYPE nitro_reaps_total counter'; do
    printf '%s\n' "$metrics" | grep -qxF "$line" || mfail="$mfail no '$line';"
done
printf '%s\n' "$metrics" | grep -q '^nitro_service_uptime_seconds{service="ticker"} [0-9]*$' || mfail="$mfail no ticker uptime;"
reaps=$(printf '%s\n' "$metrics" | sed -n 's/^nitro_reaps_total //p')
[ "${reaps:-0}" -ge 300 ] 2>/dev/null || mfail="$mfail nitro_reaps_total '$reaps' < 300 (the orphans);"
slots=$(printf '%s\n' "$metrics" | sed -n 's/^nitro_slots_used //p')
nsv=$(nitroctl list | wc -l)
[ "$slots" = "$nsv" ] || mfail="$mfail nitro_slots_used '$slots', nitroctl lists $nsv;"
# every sample: NAME[{LABELS}] NUMBER
bad=$(printf '%s\n' "$metrics" | grep -v '^#' | grep -v '^[a-z_]*\({.*}\)* [0-9][0-9.]*$' | head -n2)
[ -z "$bad" ] || mfail="$mfail bad sample line(s): $bad;"
if [ -z "$mfail" ]; then
    ok http-get-metrics "$(printf '%s\n' "$metrics" | grep -vc '^#') samples"
else
    fail "http-get-metrics: $(short "$mfail")"
fi

req POST /service/web/down
want_like http-service-down 200 '{"name":"web","state":"*'
if wait_until 10 state_is web DOWN; then
    BODY=$(norm_uptime)
    want http-service-down-reaches-down 200 '{"name":"web","state":"DOWN","pid":0,"wstatus":15,"uptime":N}'
else
    fail "http-service-down-reaches-down: $(short "$BODY")"
fi

# The stream saw web come up, restart and go down, in that order, one JSON
# object per line.
wait_until 5 grep -q '"service":"web","state":"DOWN"' "$D/events" 2>/dev/null
kill "$epid" 2>/dev/null
wait "$epid" 2>/dev/null
# (Every line carries its sequence number: checked, then left out.)
seqs_ok=$(sed -n 's/.*,"seq":\([0-9]*\)}$/\1/p' "$D/events" 2>/dev/null | awk 'NR > 1 && $1 <= p { bad = 1 } { p = $1; n++ } END { print (n > 0 && !bad) ? "yes" : "no" }')
sed -i 's/,"seq":[0-9]*}$/}/' "$D/events" 2>/dev/null
ev=$(grep '"service":"web"' "$D/events" 2>/dev/null | tr '\n' ' ')
if awk 'BEGIN { n = split("STARTING UP RESTART STARTING UP DOWN", w, " "); i = 1 }
        $0 == "{\"service\":\"web\",\"state\":\"" w[i] "\"}" && i <= n { i++ }
        END { exit !(i > n) }' "$D/events" &&
    ! grep -qv '^{"service":"[^"]*","state":"[A-Z]*"}$' "$D/events" && [ "$seqs_ok" = yes ] &&
    grep -qi '^< Transfer-Encoding: chunked' "$D/events.head"; then
    ok http-events-stream "$(short "$ev")"
else
    fail "http-events-stream: want web STARTING UP RESTART STARTING UP DOWN; got $(short "$(tr '\n' ' ' <"$D/events" 2>/dev/null)") curl: $(short "$(grep -e '^< ' -e '^curl' "$D/events.head" 2>/dev/null)")"
fi

# ---- jobs -----------------------------------------------------------------------
# The contract's example, as root: exec looked up in the task's PATH, args,
# envs, cwd, fds 0-2 as files (r, w, a), user and group 65534.
printf 'input-data\n' >"$D/in"
printf 'old content, longer than what replaces it\n' >"$D/job.out"
printf 'old\n' >"$D/job.log"
# The task opens its descriptors itself, as 65534: the files are its own.
chown 65534:65534 "$D/job.out" "$D/job.log"
req PUT /job/example '{"tasks": [
  {"exec": "sh", "args": ["-c", "id -u; id -g; pwd; echo \"$GREETING\" \"${TASK_EXIT-unset}\" \"$0\"; cat; echo to-stderr >&2"],
   "envs": {"PATH": "/nonexistent:/bin", "GREETING": "hello job"}, "cwd": "/tmp/http/wd",
   "fd": [{"type": "file", "path": "/tmp/http/in", "mode": "r"},
          {"type": "file", "path": "/tmp/http/job.out", "mode": "w"},
          {"type": "file", "path": "/tmp/http/job.log", "mode": "a"}],
   "user": 65534, "group": 65534}
]}'
want_like http-job-put-example 201 '{"name":"example","state":"running","task":0,"pid":[1-9]*,"exits":[[][]]}'
if wait_until 10 job_is example done; then
    want http-job-get-done 200 '{"name":"example","state":"done","task":0,"pid":0,"exits":["0"]}'
else
    fail "http-job-get-done: $(short "$CODE $BODY")"
fi
out=$(cat "$D/job.out")
check http-job-user-65534 [ "$(sed -n 1p "$D/job.out")" = 65534 ]
check http-job-group-65534 [ "$(sed -n 2p "$D/job.out")" = 65534 ]
want_out=$(printf '65534\n65534\n/tmp/http/wd\nhello job unset sh\ninput-data')
if [ "$out" = "$want_out" ]; then
    ok http-job-exec-args-envs-cwd-fds
else
    fail "http-job-exec-args-envs-cwd-fds: fd 1 (mode w) holds: $(short "$out")"
fi
log=$(cat "$D/job.log")
if [ "$log" = "$(printf 'old\nto-stderr')" ]; then
    ok http-job-fd-append
else
    fail "http-job-fd-append: fd 2 (mode a) holds: $(short "$log")"
fi

# Two tasks: the second sees how the first ended.
req PUT /job/two '{"tasks": [
  {"exec": "sh", "args": ["-c", "exit 3"], "envs": {"PATH": "/bin"}, "cwd": "/", "fd": []},
  {"exec": "sh", "args": ["-c", "echo \"$TASK_EXIT\""], "envs": {"PATH": "/bin"}, "cwd": "/",
   "fd": [{"type": "null"}, {"type": "file", "path": "/tmp/http/te", "mode": "w"}]}]}'
want_like http-job-put-two-tasks 201 '{"name":"two","state":"running","task":0,"pid":[1-9]*,"exits":[[][]]}'
if wait_until 10 job_is two done; then
    want http-job-two-tasks-done 200 '{"name":"two","state":"done","task":1,"pid":0,"exits":["3","0"]}'
else
    fail "http-job-two-tasks-done: $(short "$CODE $BODY")"
fi
te=$(cat "$D/te" 2>&1)
check http-job-task-exit [ "$te" = 3 ]
[ "$te" = 3 ] || note "http: the second task's TASK_EXIT: $te"

req GET /jobs
want http-get-jobs 200 '[{"name":"example","state":"done","task":0,"pid":0,"exits":["0"]},{"name":"two","state":"done","task":1,"pid":0,"exits":["3","0"]}]'

# A signal to a running job's task.
req PUT /job/sleepy '{"tasks": [{"exec": "sleep", "args": ["30"], "envs": {"PATH": "/bin"}, "cwd": "/", "fd": []}]}'
spid=$(field pid)
want_like http-job-put-sleepy 201 '{"name":"sleepy","state":"running","task":0,"pid":[1-9]*,"exits":[[][]]}'
req PUT /job/sleepy '{"tasks": [{"exec": "true", "args": [], "envs": {"PATH": "/bin"}, "cwd": "/", "fd": []}]}'
want http-job-put-running-409 409 '{"error":"job still running"}'
req POST /job/sleepy/signal/TERM
want http-job-signal-term 200 "{\"name\":\"sleepy\",\"state\":\"running\",\"task\":0,\"pid\":$spid,\"exits\":[]}"
if wait_until 10 job_is sleepy done; then
    want http-job-signalled-done 200 '{"name":"sleepy","state":"done","task":0,"pid":0,"exits":["SIGTERM"]}'
else
    fail "http-job-signalled-done: $(short "$CODE $BODY")"
fi

# DELETE a running job: SIGTERM, no later task, removed once down.
rm -f "$D/del.pid" "$D/termed" "$D/second"
req PUT /job/del '{"tasks": [
  {"exec": "/bin/sh", "args": ["-c", "trap \"echo TERM >/tmp/http/termed; exit 0\" TERM; echo $$ >/tmp/http/del.pid; while :; do sleep 0.1; done"],
   "envs": {"PATH": "/bin"}, "cwd": "/", "fd": []},
  {"exec": "/bin/sh", "args": ["-c", ": >/tmp/http/second"], "envs": {"PATH": "/bin"}, "cwd": "/", "fd": []}]}'
[ "$CODE" = 201 ] || note "http: PUT /job/del: $CODE $(short "$BODY")"
wait_until 10 [ -s "$D/del.pid" ]
dpid=$(cat "$D/del.pid" 2>/dev/null)
req DELETE /job/del
want http-job-delete-running-202 202 "{\"name\":\"del\",\"state\":\"running\",\"task\":0,\"pid\":$dpid,\"exits\":[]}"
if wait_until 10 job_gone del; then
    sleep 0.3
    if [ "$(cat "$D/termed" 2>/dev/null)" = TERM ] && [ ! -e "$D/second" ] && [ ! -d "/proc/$dpid" ]; then
        ok http-job-delete-removes
    else
        fail "http-job-delete-removes: termed '$(cat "$D/termed" 2>/dev/null)', second task ran: $([ -e "$D/second" ] && echo yes || echo no), pid $dpid alive: $([ -d "/proc/$dpid" ] && echo yes || echo no)"
    fi
else
    fail "http-job-delete-removes: still there: $(short "$CODE $BODY")"
fi
req DELETE /job/example
want http-job-delete-finished-200 200 '{"name":"example","state":"removed"}'

# Errors: an fd type nitro does not implement, malformed JSON.
req PUT /job/bad '{"tasks": [{"exec": "true", "args": [], "envs": {"PATH": "/bin"}, "cwd": "/",
   "fd": [{"type": "tty", "path": "/dev/tty1"}]}]}'
want_like http-job-unknown-fd-type-501 501 '{"error":"fd type not implemented*"}'
req PUT /job/bad '{"tasks": ['
want_like http-job-malformed-json-400 400 '{"error":"malformed JSON*"}'
req GET /job/bad
want http-job-unknown-404 404 '{"error":"not found"}'

# Clean up: no job left behind.
req DELETE /job/two
req DELETE /job/sleepy
req GET /jobs
want http-jobs-empty-after-delete 200 '[]'
note "http: checks took $(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { printf "%.1f", b - a }')s (guest uptime)"
