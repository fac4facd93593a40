#!/usr/bin/env python3
"""The measuring half of bench/run (read bench/run for what is measured and how).

Runs as root: the kernel's proc connector (netlink NETLINK_CONNECTOR,
PROC_CN_MCAST_LISTEN) gives every fork, exec and exit with a CLOCK_MONOTONIC
timestamp, so latencies are taken from kernel timestamps, not from polling.

Invoked by bench/run; by hand: python3 bench/bench.py [--quick] [--out FILE].
"""

import argparse
import ctypes
import datetime
import errno
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NITRO = os.path.join(ROOT, "target/release/nitro")
NITROCTL = os.path.join(ROOT, "target/release/nitroctl")
NITRO_LEAN = os.path.join(ROOT, "target/lean/release/nitro")
BOOT_MS = os.path.join(ROOT, "target/qemu/boot-ms")
# bench/floor.c, built by bench/run: the least a supervisor (and a control
# client) can do; its column says how far ahead of any peer a supervisor can be.
FLOOR = os.path.join(ROOT, "target/bench/floor")


def find_peer():
    """Upstream nitro, the supervisor we replace: $NITRO_PEER, else
    ../shared/peers/x86_64 beside the checkout when it is there."""
    for d in (os.environ.get("NITRO_PEER"), os.path.join(ROOT, "..", "shared", "peers", "x86_64")):
        if d and all(os.access(os.path.join(d, b), os.X_OK) for b in ("nitro", "nitroctl")):
            return os.path.abspath(d)
    return None


PEER = find_peer()
# Upstream nitro has 500 slots and serves at most 499 services; its `list`
# fails once the reply passes 4 KiB (about 150 of our short names).
PEER_MAX = 499
PEER_LIST_MAX = 100
PATH_ENV = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
TAG = "nitro-bench-%d-%d" % (os.getpid(), int(time.time()))

RUN_PLAIN = "#!/bin/sh\nexec sleep 100000\n"
RUN_NOTIFY = "#!/bin/sh\necho >&3\nexec sleep 100000\n"  # s6 readiness on fd 3


def floor(base):
    """The floor's column, when bench/run could build it (x86_64)."""
    return [Floor(base)] if os.access(FLOOR, os.X_OK) else []


def mono():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- proc connector

NETLINK_CONNECTOR = 11
CN_IDX_PROC = 1
CN_VAL_PROC = 1
PROC_CN_MCAST_LISTEN = 1
PROC_CN_MCAST_IGNORE = 2
EV_FORK, EV_EXEC, EV_EXIT = 0x1, 0x2, 0x80000000
SO_RCVBUFFORCE = 33


class Tree:
    """One supervision tree, followed through the proc connector: every process
    forked (transitively) from the root; a 'service' is a process that has
    exec'd twice (the run script's /bin/sh, then sleep)."""

    def __init__(self, root, svc_execs=2):
        self.root = root
        self.svc_execs = svc_execs
        self.members = {root}
        self.alive = {root}
        self.execs = {}
        self.running = {}   # pid -> ts of its service exec
        self.forkts = {}
        self.exec1ts = {}
        self.exitts = {}
        self.fresh = []     # (pid, ts) services that became running, in order
        self.last_exit = 0

    def fork(self, ptgid, cpid, ctgid, ts):
        if cpid == ctgid and ptgid in self.members:
            self.members.add(cpid)
            self.alive.add(cpid)
            self.forkts[cpid] = ts

    def exec(self, pid, tgid, ts):
        if tgid in self.members and tgid != self.root:
            n = self.execs.get(tgid, 0) + 1
            self.execs[tgid] = n
            if n == 1:
                self.exec1ts[tgid] = ts
            if n == self.svc_execs:
                self.running[tgid] = ts
                self.fresh.append((tgid, ts))

    def exit(self, pid, tgid, ts):
        if pid == tgid and tgid in self.alive:
            self.alive.discard(tgid)
            self.exitts[tgid] = ts
            self.running.pop(tgid, None)
            self.last_exit = max(self.last_exit, ts)

    def supervisors(self):
        """Live tree members that are not services (supervisor processes)."""
        return sorted(p for p in self.alive if self.execs.get(p, 0) < self.svc_execs or p == self.root)


class ProcConn:
    def __init__(self):
        s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_CONNECTOR)
        try:
            s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 256 << 20)
        except OSError:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 20)
        s.bind((0, CN_IDX_PROC))
        self.s = s
        self._ctl(PROC_CN_MCAST_LISTEN)
        s.setblocking(False)
        self.trees = []
        self.overruns = 0

    def _ctl(self, op):
        cn = struct.pack("=IIIIHH", CN_IDX_PROC, CN_VAL_PROC, 0, 0, 4, 0) + struct.pack("=I", op)
        self.s.send(struct.pack("=IHHII", 16 + len(cn), 3, 0, 0, 0) + cn)

    def close(self):
        try:
            self._ctl(PROC_CN_MCAST_IGNORE)
        except OSError:
            pass
        self.s.close()

    def _handle(self, d):
        off = 0
        while off + 16 <= len(d):
            ln = struct.unpack_from("=I", d, off)[0]
            if ln < 16:
                break
            base = off + 16 + 20
            if base + 16 <= len(d):
                what, _cpu, ts = struct.unpack_from("=IIQ", d, base)
                p = base + 16
                if what == EV_FORK:
                    _ppid, ptgid, cpid, ctgid = struct.unpack_from("=iiii", d, p)
                    for t in self.trees:
                        t.fork(ptgid, cpid, ctgid, ts)
                elif what == EV_EXEC:
                    pid, tgid = struct.unpack_from("=ii", d, p)
                    for t in self.trees:
                        t.exec(pid, tgid, ts)
                elif what == EV_EXIT:
                    pid, tgid = struct.unpack_from("=ii", d, p)
                    for t in self.trees:
                        t.exit(pid, tgid, ts)
            off += (ln + 3) & ~3

    def pump(self, timeout):
        """Handle every queued event; if there was none, wait up to timeout for one."""
        got = False
        while True:
            try:
                d = self.s.recv(65536)
            except BlockingIOError:
                if got or timeout <= 0:
                    return
                select.select([self.s], [], [], timeout)
                timeout = 0
                continue
            except OSError as e:
                if e.errno == errno.ENOBUFS:
                    self.overruns += 1
                    continue
                raise
            got = True
            self._handle(d)

    def wait(self, pred, timeout, what="condition"):
        end = time.monotonic() + timeout
        while True:
            self.pump(0)
            if pred():
                return True
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("timed out after %.1f s waiting for %s" % (timeout, what))
            self.pump(min(left, 0.05))


# ---------------------------------------------------------------- helpers

libc = ctypes.CDLL(None, use_errno=True)
PR_SET_CHILD_SUBREAPER = 36


def reap_all():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def read_cpu():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return v[7], sum(v)


class Steal:
    def __init__(self):
        self.a = read_cpu()

    def pct(self):
        b = read_cpu()
        dt = b[1] - self.a[1]
        return round(100.0 * (b[0] - self.a[0]) / dt, 1) if dt > 0 else 0.0


def pctl(xs, q):
    xs = sorted(xs)
    if not xs:
        return None
    k = (len(xs) - 1) * q
    f = int(k)
    c = min(f + 1, len(xs) - 1)
    return xs[f] + (xs[c] - xs[f]) * (k - f)


def summary(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return {"n": len(xs), "median": statistics.median(xs), "p25": pctl(xs, 0.25), "p75": pctl(xs, 0.75),
            "p99": pctl(xs, 0.99), "min": min(xs), "max": max(xs)}


def spawn(argv, env=None, out=None, setsid=False):
    """posix_spawn argv with stdin /dev/null and stdout/stderr to out (or /dev/null)."""
    nul = os.open(os.devnull, os.O_RDWR)
    o = nul if out is None else out
    fa = [(os.POSIX_SPAWN_DUP2, nul, 0), (os.POSIX_SPAWN_DUP2, o, 1), (os.POSIX_SPAWN_DUP2, o, 2)]
    try:
        return os.posix_spawn(argv[0], argv, env if env is not None else os.environ,
                              file_actions=fa, setsid=setsid)
    finally:
        os.close(nul)


def time_cmd(argv, env):
    """Wall time of one fork+exec+wait of argv, output to /dev/null (ns)."""
    t = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=DEVNULL_FA)
    _, st = os.waitpid(pid, 0)
    d = time.perf_counter_ns() - t
    return d, st


DEVNULL_FD = os.open(os.devnull, os.O_RDWR)
DEVNULL_FA = [(os.POSIX_SPAWN_DUP2, DEVNULL_FD, 0), (os.POSIX_SPAWN_DUP2, DEVNULL_FD, 1),
              (os.POSIX_SPAWN_DUP2, DEVNULL_FD, 2)]


def http_get(path, sock):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    buf = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    s.close()
    return buf


def http_keepalive_rate(sock, path, secs):
    """GETs a second over one keep-alive connection, each request sent when
    the previous answer has arrived in full (closed loop): the figure the
    faults test's offered load (1,000/s) is checked against. The client is
    Python, so the figure is a floor of what the endpoint serves."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    req = b"GET " + path.encode() + b" HTTP/1.1\r\nHost: localhost\r\n\r\n"
    n, buf, t0 = 0, b"", time.perf_counter()
    end = t0 + secs
    while time.perf_counter() < end:
        s.sendall(req)
        while True:
            head, sep, rest = buf.partition(b"\r\n\r\n")
            if sep:
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length":
                        length = int(v)
                if len(rest) >= length:
                    if not head.startswith(b"HTTP/1.1 200"):
                        raise RuntimeError("keep-alive GET %s: %r" % (path, head[:80]))
                    buf = rest[length:]
                    break
            d = s.recv(65536)
            if not d:
                raise RuntimeError("keep-alive GET %s: connection closed after %d requests" % (path, n))
            buf += d
        n += 1
    el = time.perf_counter() - t0
    s.close()
    return n / el


def proc_mem(pid):
    r = {"pss": 0, "uss": 0, "rss": 0, "hwm": 0}
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k == "Pss":
                    r["pss"] = int(v.split()[0])
                elif k in ("Private_Clean", "Private_Dirty"):
                    r["uss"] += int(v.split()[0])
                elif k == "Rss":
                    r["rss"] = int(v.split()[0])
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    r["hwm"] = int(line.split()[1])
    except OSError:
        return None
    return r


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return "?"


def svc_of(pid):
    try:
        return os.path.basename(os.readlink("/proc/%d/cwd" % pid))
    except OSError:
        return None


def kill_tagged(sig=signal.SIGKILL):
    """Every process carrying our tag in its environment (the fallback sweep)."""
    me = os.getpid()
    n = 0
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == me:
            continue
        try:
            with open("/proc/%s/environ" % d, "rb") as f:
                env = f.read()
        except OSError:
            continue
        if ("BENCH_TAG=" + TAG).encode() in env:
            try:
                os.kill(int(d), sig)
                n += 1
            except OSError:
                pass
    return n


# ---------------------------------------------------------------- supervisors


class Sup:
    name = "?"
    # Ours (and the floor's): a failed control command ends the run; a
    # peer's is counted (ctl_once).
    ours = False
    svc_run = RUN_PLAIN
    notify = False

    def __init__(self, base):
        self.base = base

    def layout(self, d, n):
        os.makedirs(d)
        names = ["s%03d" % i for i in range(n)]
        for nm in names:
            sd = os.path.join(d, nm)
            os.mkdir(sd)
            with open(os.path.join(sd, "run"), "w") as f:
                f.write(self.svc_run)
            os.chmod(os.path.join(sd, "run"), 0o755)
            if self.notify:
                with open(os.path.join(sd, "notification-fd"), "w") as f:
                    f.write("3\n")
        # As on a real system, the directory was not modified in the last second
        # (runsvdir holds back its scan of a directory modified within the second).
        past = time.time() - 60
        for x in [d] + [os.path.join(d, nm) for nm in names]:
            os.utime(x, (past, past))
        return names

    def env(self, work):
        return {"PATH": PATH_ENV, "BENCH_TAG": TAG, "HOME": "/"}

    def ctl_one(self, svdir, name):
        raise NotImplementedError

    def ctl_all(self, svdir, names):
        raise NotImplementedError


class Ours(Sup):
    """nitro-rs; the same harness drives upstream nitro (`Peer`) and our lean
    build: one protocol, one socket layout."""
    name = "nitro-rs"
    ours = True
    nitro = NITRO
    nitroctl = NITROCTL
    has_http = True

    def argv(self, svdir):
        return [self.nitro, svdir]

    def env(self, work):
        e = super().env(work)
        e["NITRO_SOCK"] = os.path.join(work, "run", "nitro.sock")
        return e

    def ctl_env(self, work):
        return {"PATH": PATH_ENV, "NITRO_SOCK": os.path.join(work, "run", "nitro.sock")}

    def http(self, work):
        return os.path.join(work, "run", "http.sock")

    def ready(self, work):
        return os.path.exists(os.path.join(work, "run", "nitro.sock"))

    def ctl_one(self, svdir, name):
        return [self.nitroctl, "pidof", name]

    def ctl_all(self, svdir, names):
        return [self.nitroctl, "list"]

    def shutdown(self, tree, work, svdir, names):
        os.kill(tree.root, signal.SIGTERM)


class Lean(Ours):
    """Ours without the HTTP endpoint (cargo --no-default-features)."""
    name = "nitro-rs lean"
    nitro = NITRO_LEAN
    has_http = False


class Peer(Ours):
    """Upstream nitro with its own nitroctl (static musl builds)."""
    name = "nitro"
    ours = False
    nitro = os.path.join(PEER, "nitro") if PEER else None
    nitroctl = os.path.join(PEER, "nitroctl") if PEER else None
    has_http = False


class Floor(Sup):
    """bench/floor.c: spawns every run at once, respawns at once, stops with
    TERM+CONT; its queries (the least a client can do) go to nitro's tree,
    else ours (see paired50)."""
    name = "floor"
    ours = True

    def argv(self, svdir):
        return [FLOOR, "sv", svdir]

    def shutdown(self, tree, work, svdir, names):
        os.kill(tree.root, signal.SIGTERM)


class Runit(Sup):
    name = "runit"

    def argv(self, svdir):
        return ["/usr/bin/runsvdir", svdir]

    def ctl_one(self, svdir, name):
        return ["/usr/bin/sv", "status", os.path.join(svdir, name)]

    def ctl_all(self, svdir, names):
        return ["/usr/bin/sv", "status"] + [os.path.join(svdir, n) for n in names]

    def shutdown(self, tree, work, svdir, names):
        # runit's own stage 3 does `sv force-stop` + `sv exit` on every service;
        # we write the same commands ("d", "x") into each supervise/control fifo.
        os.kill(tree.root, signal.SIGTERM)
        fifo_all(svdir, names, b"dx")


class S6(Sup):
    name = "s6"

    def argv(self, svdir):
        return ["/usr/bin/s6-svscan", "-c", "1000", svdir]

    def ctl_one(self, svdir, name):
        return ["/usr/bin/s6-svstat", os.path.join(svdir, name)]

    def ctl_all(self, svdir, names):
        # s6 has no multi-service status command: one s6-svstat per service.
        return ["/bin/sh", "-c", 'for d in "$0"/*; do /usr/bin/s6-svstat "$d"; done', svdir]

    def shutdown(self, tree, work, svdir, names):
        # = s6-svscanctl -t: s6-svscan brings every service down and exits.
        fifo_write(os.path.join(svdir, ".s6-svscan", "control"), b"t")


class S6Notify(S6):
    name = "s6 (notification-fd)"
    svc_run = RUN_NOTIFY
    notify = True


class Daemontools(Sup):
    name = "daemontools"

    def argv(self, svdir):
        return ["/usr/bin/svscan", svdir]

    def ctl_one(self, svdir, name):
        return ["/usr/bin/svstat", os.path.join(svdir, name)]

    def ctl_all(self, svdir, names):
        return ["/usr/bin/svstat"] + [os.path.join(svdir, n) for n in names]

    def shutdown(self, tree, work, svdir, names):
        # svscan has no shutdown of its own: kill it, then `svc -dx` every service.
        os.kill(tree.root, signal.SIGTERM)
        fifo_all(svdir, names, b"dx")


def fifo_write(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def fifo_all(svdir, names, data):
    for n in names:
        try:
            fifo_write(os.path.join(svdir, n, "supervise", "control"), data)
        except OSError as e:
            log("warning: %s/%s control: %s" % (svdir, n, e))


# ---------------------------------------------------------------- the bench


class Bench:
    def __init__(self, quick, out):
        self.quick = quick
        self.out = out
        q = quick
        self.cfg = {
            "trials": 2 if q else 5,             # sessions of 50 services per supervisor
            "idle_trials": 1 if q else 3,
            "idle_secs": 3 if q else 10,
            "kills": 20 if q else 200,           # restart kills in total (over the trials)
            "kills_s6_delayed": 4 if q else 20,  # s6 without readiness: ~1 s per kill
            "ctl_runs": 20 if q else 200,        # control round trips in total per command
            "http_rate_runs": 2 if q else 5,     # 1 s each: keep-alive GETs/s
            "scale_n": [10, 100, 500],
            "scale_trials": 1 if q else 3,
            "scale_kills": 10 if q else 60,
            "scale_list_runs": 10 if q else 60,
            "reap_n": 1000 if q else 10000,
            "reap_trials": 2 if q else 3,
        }
        self.work = None
        self.conn = None
        self.live_trees = []
        self.straces = []
        self.data = {}
        self.session_no = 0

    # ---- plumbing

    def setup(self):
        if os.geteuid() != 0:
            sys.exit("bench: must run as root (the proc connector needs CAP_NET_ADMIN)")
        # /dev/shm is tmpfs: the service directories (and the status files runsv,
        # supervise and s6-supervise write on every restart) live there, as under /run.
        self.work = "/dev/shm/" + TAG
        os.makedirs(self.work)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # orphans come to us, not to pid 1
        self.conn = ProcConn()
        self.conn.trees = self.live_trees

    def cleanup(self):
        for p in self.straces:
            try:
                p.kill()
                p.wait()
            except Exception:
                pass
        for _ in range(5):
            left = False
            for t in self.live_trees:
                try:
                    self.conn.pump(0)
                except Exception:
                    pass
                # supervisors first, so they cannot restart the services
                for p in sorted(t.alive, key=lambda p: p not in t.running):
                    try:
                        os.kill(p, signal.SIGKILL)
                        left = True
                    except OSError:
                        pass
            if kill_tagged():
                left = True
            reap_all()
            if not left:
                break
            time.sleep(0.1)
        reap_all()
        if self.conn:
            self.conn.close()
        if self.work and os.path.isdir(self.work):
            shutil.rmtree(self.work, ignore_errors=True)

    def rec(self, key, sup, val):
        self.data.setdefault(key, {}).setdefault(sup, []).append(val)

    # ---- one supervision tree

    def start_tree(self, sup, n):
        self.session_no += 1
        work = os.path.join(self.work, "%03d-%s" % (self.session_no, re.sub(r"\W", "", sup.name)))
        os.makedirs(os.path.join(work, "run"))
        svdir = os.path.join(work, "sv")
        names = sup.layout(svdir, n)
        outfd = os.open(os.path.join(work, "supervisor.log"), os.O_WRONLY | os.O_CREAT, 0o644)
        self.conn.pump(0)  # drop stale events
        t0 = mono()
        pid = spawn(sup.argv(svdir), env=sup.env(work), out=outfd, setsid=True)
        os.close(outfd)
        tree = Tree(pid)
        self.live_trees.append(tree)
        self.conn.wait(lambda: len(tree.running) >= n, 60 + n * 0.2, "%d services of %s" % (n, sup.name))
        startup = (max(tree.running.values()) - t0) / 1e6
        if isinstance(sup, Ours):
            self.conn.wait(lambda: sup.ready(work), 10, "nitro's socket")
        svc = {}
        for p, ts in tree.running.items():
            svc[svc_of(p)] = [p, ts]
        bad = [p for p in tree.running if comm(p) != "sleep"]
        if bad or set(svc) != set(names):
            raise RuntimeError("%s: service processes not as expected (%s, %d/%d mapped)"
                               % (sup.name, [comm(p) for p in bad][:3], len(set(svc) & set(names)), n))
        tree.fresh.clear()
        return {"sup": sup, "tree": tree, "work": work, "svdir": svdir, "names": names, "svc": svc,
                "startup_ms": startup}

    def stop_tree(self, s):
        sup, tree = s["sup"], s["tree"]
        self.conn.pump(0)
        t0 = mono()
        sup.shutdown(tree, s["work"], s["svdir"], s["names"])
        try:
            self.conn.wait(lambda: not tree.alive, 30, "%s to shut down" % sup.name)
            ms = (tree.last_exit - t0) / 1e6
        except TimeoutError as e:
            log("warning:", e, "left:", [(p, comm(p)) for p in tree.alive])
            ms = None
        for p in list(tree.alive):
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        reap_all()
        self.conn.wait(lambda: not tree.alive, 10, "tree to be gone")
        self.live_trees.remove(tree)
        reap_all()
        shutil.rmtree(s["work"], ignore_errors=True)
        return ms

    def kill_one(self, s, min_up_ns=1_200_000_000):
        """One restart: SIGKILL to the service up longest (at least 1.2 s, since
        nitro and runsv hold back a restart of a service that ran < 1 s); latency
        to the new process exec'ing sleep, from kernel timestamps."""
        tree, svc = s["tree"], s["svc"]
        name = min(svc, key=lambda n: svc[n][1])
        pid, up = svc[name]
        wait = (up + min_up_ns - mono()) / 1e9
        if wait > 0:
            time.sleep(wait)
        self.conn.pump(0)
        tree.fresh.clear()
        t0 = mono()
        os.kill(pid, signal.SIGKILL)
        self.conn.wait(lambda: tree.fresh, 10, "restart of %s under %s" % (name, s["sup"].name))
        npid, ts = tree.fresh[0]
        got = svc_of(npid)
        if got != name:
            raise RuntimeError("restart: expected %s, got %s (pid %d)" % (name, got, npid))
        svc[name] = [npid, ts]
        ex = tree.exitts.get(pid)
        fk = tree.forkts.get(npid)
        e1 = tree.exec1ts.get(npid)
        reap_all()
        return {"total": (ts - t0) / 1e6,
                "exit_to_fork": (fk - ex) / 1e6 if ex and fk else None,
                "fork_to_running": (ts - fk) / 1e6 if fk else None,
                "fork_to_exec": (e1 - fk) / 1e6 if e1 and fk else None,
                "exec_to_running": (ts - e1) / 1e6 if e1 else None}

    def ctl_once(self, kind, arg, env, check=True, peer=None):
        """One control round trip (ms): fork+exec+wait, or an in-process HTTP GET.
        A command of ours (or the floor's) that fails ends the run; a peer's is
        counted and its time kept (upstream nitroctl can take a state
        notification for its reply and exit 1, a nitro bug)."""
        if kind == "exec":
            d, st = time_cmd(arg, env)
            if st != 0 and check and peer:
                key = "%s %s" % (peer, arg[1] if len(arg) > 1 else arg[0])
                fails = self.data.setdefault("ctl_failed", {})
                fails[key] = fails.get(key, 0) + 1
                log("warning: %s exited %d (counted, kept)" % (arg[:3], st))
            elif st != 0 and check:
                raise RuntimeError("%s exited %d" % (arg[:3], st))
        else:
            t = time.perf_counter_ns()
            r = http_get("/services", arg)
            d = time.perf_counter_ns() - t
            if not r.startswith(b"HTTP/1.1 200"):
                raise RuntimeError("HTTP /services: %r" % r[:80])
        return d / 1e6

    def check_outputs(self, s, cmds):
        """Run each control command once, capturing its output, as a sanity check."""
        out = {}
        for k, (kind, arg, env) in cmds.items():
            if kind == "exec":
                r = subprocess.run(arg, env=env, capture_output=True)
                txt = r.stdout.decode(errors="replace")  # the floor's replies are raw
            else:
                txt = http_get("/services", arg).decode(errors="replace")
            out[k] = txt[:300]
        return out

    def ctl_cmds(self, s, all_too=True, http=True):
        sup, work, svdir, names = s["sup"], s["work"], s["svdir"], s["names"]
        env = sup.ctl_env(work) if isinstance(sup, Ours) else {"PATH": PATH_ENV}
        c = {"one": ("exec", sup.ctl_one(svdir, names[0]), env)}
        if all_too:
            c["all"] = ("exec", sup.ctl_all(svdir, names), env)
        if http and isinstance(sup, Ours) and sup.has_http:
            c["curl"] = ("exec", ["/usr/bin/curl", "-s", "-o", "/dev/null", "--unix-socket", sup.http(work),
                                  "http://localhost/services"], env)
            c["http_inproc"] = ("http", sup.http(work), None)
        return c

    def idle(self, s, secs):
        """strace -c -f on the supervisor pid only, then on every supervisor process."""
        tree = s["tree"]
        self.conn.pump(0)
        sups = tree.supervisors()
        r = {"root": self.strace([tree.root], secs)}
        if len(sups) > 1:
            r["tree"] = self.strace(sups, secs)
            r["tree_procs"] = len(sups)
        else:
            r["tree"] = r["root"]
            r["tree_procs"] = 1
        return r

    def strace(self, pids, secs):
        outf = os.path.join(self.work, "strace.out")
        argv = ["strace", "-c", "-f", "-q", "-o", outf]
        for p in pids:
            argv += ["-p", str(p)]
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.straces.append(p)
        time.sleep(0.3)   # let it attach
        time.sleep(secs)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=30)
        self.straces.remove(p)
        calls, by = 0, {}
        try:
            with open(outf) as f:
                for line in f:
                    m = line.split()
                    if len(m) >= 5 and m[0][0].isdigit() and m[-1] != "total":
                        n = int(m[3])
                        by[m[-1]] = by.get(m[-1], 0) + n
                    if m and m[-1] == "total":
                        calls = int(m[3])
            os.unlink(outf)
        except OSError:
            pass
        if err.strip():
            log("strace:", err.decode(errors="replace").strip()[:300])
        return {"calls": calls, "per_s": calls / secs, "by": by}

    def memory(self, s):
        tree = s["tree"]
        self.conn.pump(0)
        sups = tree.supervisors()
        tot = {"pss": 0, "uss": 0, "rss": 0, "hwm": 0}
        for p in sups:
            m = proc_mem(p)
            if m:
                for k in tot:
                    tot[k] += m[k]
        tot["procs"] = len(sups)
        tot["root_hwm"] = (proc_mem(tree.root) or {}).get("hwm")
        return tot

    # ---- rows

    def alone50(self, sup, trial):
        """A tree of 50 services alone on the machine: start-up, idle syscalls,
        memory, shutdown."""
        cfg = self.cfg
        st = Steal()
        s = self.start_tree(sup, 50)
        self.rec("startup_50", sup.name, s["startup_ms"])
        # past the 2 s STARTING -> UP timers (ours) and any start-up work
        time.sleep(2.5)
        if not isinstance(sup, Floor):
            if trial < cfg["idle_trials"]:
                self.rec("idle", sup.name, self.idle(s, cfg["idle_secs"]))
            self.rec("memory_50", sup.name, self.memory(s))
        self.rec("shutdown_50", sup.name, self.stop_tree(s))
        self.rec("steal", "alone", st.pct())

    def paired50(self):
        """All trees of 50 services up at once; each round kills one service of
        every supervisor and runs every control command once, in a shuffled
        order, so that the supervisors are compared kill by kill (paired)."""
        cfg = self.cfg
        sups = [Ours(self.work)] + ([Peer(self.work)] if PEER else []) + floor(self.work) + [
            Runit(self.work), S6(self.work), S6Notify(self.work), Daemontools(self.work)]
        ss = {}
        for sup in sups:
            ss[sup.name] = self.start_tree(sup, 50)
        time.sleep(1.3)
        cmds = {k: self.ctl_cmds(s) for k, s in ss.items() if k not in (S6Notify.name, Floor.name)}
        if Floor.name in ss:
            # The least a client can do, asking the tree of nitro (else ours).
            t = ss[Peer.name if PEER else Ours.name]
            env = t["sup"].ctl_env(t["work"])
            cmds[Floor.name] = {"one": ("exec", [FLOOR, "q", t["names"][0]], env), "all": ("exec", [FLOOR, "l"], env)}
        self.data["ctl_sample_output"] = {k: self.check_outputs(ss[k], c) for k, c in cmds.items()}
        base = self.baseline_cmds()
        rounds = max(cfg["kills"], cfg["ctl_runs"])
        every_s6 = max(1, rounds // cfg["kills_s6_delayed"])
        nblocks = 10 if rounds >= 50 else 2
        st = None
        for r in range(rounds):
            if r % max(1, rounds // nblocks) == 0:
                if st:
                    self.rec("steal", "paired", st.pct())
                st = Steal()
                blk = r // max(1, rounds // nblocks)
                log("  paired round %d/%d" % (r + 1, rounds))
            order = list(ss)
            random.shuffle(order)
            for k in order:
                if r < cfg["kills"] and (k != S6.name or r % every_s6 == 0):
                    smp = self.kill_one(ss[k])
                    smp["block"] = blk
                    self.rec("restart_50", k, smp)
                if r < cfg["ctl_runs"] and k in cmds:
                    for c, (kind, arg, env) in cmds[k].items():
                        peer = None if ss[k]["sup"].ours else k
                        self.rec("ctl_" + c, k, self.ctl_once(kind, arg, env, peer=peer))
            if r < cfg["ctl_runs"]:
                for c, (kind, arg, env) in base.items():
                    self.rec("exec_baseline", c, self.ctl_once(kind, arg, env, check=False))
        self.rec("steal", "paired", st.pct())
        ours = ss[Ours.name]
        for _ in range(cfg["http_rate_runs"]):
            self.rec("http_rate", Ours.name, http_keepalive_rate(ours["sup"].http(ours["work"]), "/services", 1.0))
        m = proc_mem(ss[Ours.name]["tree"].root)
        self.data["ours_vmhwm_after_activity"] = m["hwm"] if m else None
        for s in ss.values():
            self.stop_tree(s)

    def scale(self, trial, n):
        cfg = self.cfg
        sups = [Ours(self.work)] + ([Peer(self.work)] if PEER else []) + floor(self.work) + [
            Runit(self.work), S6Notify(self.work), Daemontools(self.work)]
        k = (trial + n) % len(sups)
        order = sups[k:] + sups[:k]
        log("scale trial %d/%d, %d services: %s" % (trial + 1, cfg["scale_trials"], n,
                                                     ", ".join(s.name for s in order)))
        st = Steal()
        # Start-up alone first: with the other trees up (up to 2,000 more
        # processes) a start is slower, and the rotation over few trials
        # would put some supervisors later than others.
        def count(sup):
            return min(n, PEER_MAX) if isinstance(sup, Peer) else n
        for sup in order:
            s = self.start_tree(sup, count(sup))
            self.rec("startup_%d" % n, sup.name, s["startup_ms"])
            self.stop_tree(s)
        ss = []
        for sup in order:
            ss.append(self.start_tree(sup, count(sup)))
        time.sleep(1.3)
        kills = -(-cfg["scale_kills"] // cfg["scale_trials"])
        lists = -(-cfg["scale_list_runs"] // cfg["scale_trials"])
        for r in range(max(kills, lists)):
            random.shuffle(ss)
            for s in ss:
                key = "%s@%d" % (s["sup"].name, n)
                if r < kills:
                    self.rec("scale_restart", key, self.kill_one(s))
                if r < lists and not (isinstance(s["sup"], Peer) and n > PEER_LIST_MAX) and not isinstance(s["sup"], Floor):
                    kind, arg, env = self.ctl_cmds(s, http=False)["all"]
                    peer = None if s["sup"].ours else s["sup"].name
                    self.rec("scale_list", key, self.ctl_once(kind, arg, env, peer=peer))
        for s in sorted(ss, key=lambda s: order.index(s["sup"])):
            self.rec("shutdown_%d" % n, s["sup"].name, self.stop_tree(s))
        self.rec("steal", "scale", st.pct())

    def baseline_cmds(self):
        """Exec cost of a trivial dynamic glibc binary against static ones."""
        env = {"PATH": PATH_ENV}
        cmds = {"/bin/true (dynamic glibc)": ("exec", ["/bin/true"], env)}
        if os.path.exists("/usr/bin/tini-static"):
            cmds["tini-static --version (static glibc)"] = ("exec", ["/usr/bin/tini-static", "--version"], env)
        cmds["nitroctl -h (static, no libc)"] = ("exec", [NITROCTL, "-h"], env)
        return cmds

    def reap_trial(self, who, n):
        """n orphaned zombies under a child subreaper (ours or tini -s)."""
        st = Steal()
        work = os.path.join(self.work, "reap-%s" % who)
        os.makedirs(work)
        gen = os.path.join(work, "gen.py")
        outf = os.path.join(work, "gen.out")
        with open(gen, "w") as f:
            f.write(GEN_PY)
        env = {"PATH": PATH_ENV, "BENCH_TAG": TAG, "HOME": "/"}
        genargv = [sys.executable, gen, str(n), outf]
        if who == "nitro-rs":
            sv = os.path.join(work, "sv", "gen")
            os.makedirs(sv)
            os.makedirs(os.path.join(work, "run"))
            with open(os.path.join(sv, "run"), "w") as f:
                f.write("#!/bin/sh\nexec %s\n" % " ".join(genargv))
            os.chmod(os.path.join(sv, "run"), 0o755)
            env["NITRO_SOCK"] = os.path.join(work, "run", "nitro.sock")
            argv = [NITRO, os.path.join(work, "sv")]
        else:
            argv = ["/usr/bin/tini", "-s", "--"] + genargv
        pid = spawn(argv, env=env, setsid=True)
        tree = Tree(pid)
        self.live_trees.append(tree)
        try:
            path = "/proc/%d/task/%d/children" % (pid, pid)
            deadline = time.monotonic() + 120
            while True:
                if os.path.exists(outf):
                    with open(path) as f:
                        kids = f.read().split()
                    if len(kids) <= 1:
                        end = mono()
                        break
                if time.monotonic() > deadline:
                    raise TimeoutError("reaping under %s" % who)
                time.sleep(0.0005)
            with open(outf) as f:
                t0, t1, gpid = [int(x) for x in f.read().split()]
            if kids and int(kids[0]) != gpid:
                raise RuntimeError("reap: unexpected child %s" % kids)
            info = None
            if who == "nitro-rs":
                r = subprocess.run([NITROCTL, "info"], env=env, capture_output=True, text=True)
                info = r.stdout.split("\n")
        finally:
            self.conn.pump(0)
            for p in sorted(tree.alive, key=lambda p: p != tree.root):
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
            reap_all()
            try:
                self.conn.wait(lambda: not tree.alive, 20, "reap tree gone")
            except TimeoutError as e:
                log("warning:", e)
            self.live_trees.remove(tree)
            shutil.rmtree(work, ignore_errors=True)
        self.rec("reap", who, {"total_ms": (end - t0) / 1e6, "tail_ms": (end - t1) / 1e6,
                               "fork_ms": (t1 - t0) / 1e6, "info": info})
        self.rec("steal", "reap " + who, st.pct())

    # ---- static figures

    def sizes(self):
        def stripped_size(path):
            out = subprocess.run(["file", "-bL", path], capture_output=True, text=True).stdout
            if "not stripped" in out:
                tmp = os.path.join(self.work, "strip.tmp")
                subprocess.run(["strip", "-o", tmp, path], check=True)
                sz = os.path.getsize(tmp)
                os.unlink(tmp)
                return sz, "dynamic" not in out
            return os.path.getsize(path), "dynamic" not in out

        def libs(paths):
            seen = {}
            for p in paths:
                out = subprocess.run(["ldd", p], capture_output=True, text=True).stdout
                for line in out.splitlines():
                    m = re.search(r"(/\S+)\s+\(0x", line)
                    if m:
                        real = os.path.realpath(m.group(1))
                        seen[os.path.basename(m.group(1))] = os.path.getsize(real)
            return seen

        def which(b):
            return shutil.which(b, path=PATH_ENV)

        # column: (supervisor binaries, control tools), as (name, path)
        sets = {
            "nitro-rs": ([("nitro", NITRO)], [("nitroctl", NITROCTL)]),
            "runit": ([(b, which(b)) for b in ("runsvdir", "runsv")], [("sv", which("sv"))]),
            "s6": ([(b, which(b)) for b in ("s6-svscan", "s6-supervise")],
                   [(b, which(b)) for b in ("s6-svstat", "s6-svscanctl")]),
            "daemontools": ([(b, which(b)) for b in ("svscan", "supervise")],
                            [(b, which(b)) for b in ("svstat", "svc")]),
            "tini": ([("tini", which("tini"))], []),
        }
        if PEER:
            sets["nitro"] = ([("nitro", Peer.nitro)], [("nitroctl", Peer.nitroctl)])
        if os.access(FLOOR, os.X_OK):
            sets["floor"] = ([("floor", FLOOR)], [("floor", FLOOR)])
        res = {}
        for k, (sv, ctl) in sets.items():
            ent = {"bins": {}, "ctl": {}}
            for group, named in (("bins", sv), ("ctl", ctl)):
                for b, p in named:
                    if not p:
                        continue
                    sz, static = stripped_size(p)
                    ent[group][b] = {"bytes": sz, "static": static}
            ent["libs"] = libs([p for _, p in sv + ctl if p])
            res[k] = ent
        if os.path.exists(NITRO_LEAN):
            res["nitro-rs"]["lean"] = os.path.getsize(NITRO_LEAN)
        return res

    # ---- driver

    def run(self):
        cfg = self.cfg
        t_start = time.monotonic()
        self.data["config"] = cfg
        self.data["sizes"] = self.sizes()
        alone = [Ours(self.work)] + ([Peer(self.work)] if PEER else []) + floor(self.work) + [
            Runit(self.work), S6(self.work), Daemontools(self.work)]
        if os.path.exists(NITRO_LEAN):
            alone.append(Lean(self.work))
        for t in range(cfg["trials"]):
            k = t % len(alone)
            order = alone[k:] + alone[:k]
            log("trial %d/%d, 50 services alone: %s" % (t + 1, cfg["trials"], ", ".join(s.name for s in order)))
            for sup in order:
                self.alone50(sup, t)
        log("paired restarts and control round trips, 50 services each, all supervisors up")
        self.paired50()
        for t in range(cfg["scale_trials"]):
            for n in cfg["scale_n"]:
                self.scale(t, n)
        for t in range(cfg["reap_trials"]):
            order = ["nitro-rs", "tini"] if t % 2 == 0 else ["tini", "nitro-rs"]
            log("reaping trial %d/%d: %d orphans" % (t + 1, cfg["reap_trials"], cfg["reap_n"]))
            for who in order:
                self.reap_trial(who, cfg["reap_n"])
        self.data["proc_connector_overruns"] = self.conn.overruns
        self.data["elapsed_s"] = round(time.monotonic() - t_start, 1)


GEN_PY = r"""
import os, sys, time
n, out = int(sys.argv[1]), sys.argv[2]
B = 100
t0 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
made = 0
while made < n:
    k = min(B, n - made)
    p = os.fork()
    if p == 0:
        # k children that exit at once; this parent exits without waiting, so
        # they are orphaned zombies, reparented to the nearest subreaper.
        for i in range(k):
            if os.fork() == 0:
                os._exit(0)
        os._exit(0)
    os.waitpid(p, 0)
    made += k
t1 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
with open(out + ".tmp", "w") as f:
    f.write("%d %d %d\n" % (t0, t1, os.getpid()))
os.rename(out + ".tmp", out)
while True:
    time.sleep(1000)
"""


# ---------------------------------------------------------------- report


def fmt_ms(x):
    if x is None:
        return "n/a"
    if x >= 100:
        return "%.0f" % x
    if x >= 10:
        return "%.1f" % x
    if x >= 1:
        return "%.2f" % x
    return "%.3f" % x


def cell(xs, unit="ms", ours=None, spread="iqr", fmt=fmt_ms):
    sm = summary(xs)
    if not sm:
        return "n/a", None
    med = sm["median"]
    if spread == "iqr" and sm["n"] >= 5:
        sp = "[%s-%s]" % (fmt(sm["p25"]), fmt(sm["p75"]))
    elif sm["n"] > 1:
        sp = "(%s-%s)" % (fmt(sm["min"]), fmt(sm["max"]))
    else:
        sp = ""
    s = "%s %s" % (fmt(med), sp)
    if ours is not None and ours > 0 and med is not None:
        s += ratio(med, ours)
    return s.strip(), med


def ratio(v, ours):
    r = v / ours
    return " x%.2g" % r if r < 10 else " x%.0f" % r


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    def ver(pkg):
        r = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", pkg], capture_output=True, text=True)
        return r.stdout or "?"
    mem = 0
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) // 1024
    return {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "nproc": os.cpu_count(), "model": model, "kernel": os.uname().release, "mem_mb": mem,
            "os": open("/etc/debian_version").read().strip() if os.path.exists("/etc/debian_version") else "?",
            "versions": {p: ver(p) for p in ("runit", "s6", "daemontools", "tini", "strace")},
            "python": sys.version.split()[0]}


def report(data, mach, quick):
    cols = (["nitro-rs"] + (["nitro"] if "nitro" in data["sizes"] else []) + (["floor"] if "floor" in data["sizes"] else [])
            + ["runit", "s6", "daemontools"])
    L = []
    w = 33

    def row(label, cells, note=""):
        L.append("%-*s | %s%s" % (w, label, " | ".join("%-24s" % c for c in cells), ("  " + note) if note else ""))

    def at(col, text, first=""):
        """Cells with `text` in column `col` only (and `first` in ours)."""
        return [first if c == cols[0] else (text if c == col else "") for c in cols]

    L.append("nitro-rs benchmark, %s%s" % (mach["date"], " (--quick)" if quick else ""))
    L.append("machine: %d x %s, %d MB, kernel %s, Debian %s; runit %s, s6 %s, daemontools %s, tini %s%s"
             % (mach["nproc"], mach["model"], mach["mem_mb"], mach["kernel"], mach["os"], mach["versions"]["runit"],
                mach["versions"]["s6"], mach["versions"]["daemontools"], mach["versions"]["tini"],
                "; nitro: upstream v0.8 (static musl) from %s" % PEER if "nitro" in cols else "; nitro: no peer found"))
    cfg = data["config"]
    L.append("runs: rows 1, 4 (50), 6: %d trials per supervisor, each tree alone, rotated order (idle: %d); "
             "rows 2-3: %d paired rounds with all trees up (one kill and one command per supervisor "
             "per round, shuffled; s6 without readiness: %d kills); row 5: %d trials, %d kills and %d lists per "
             "size; row 7: %d trials. Cells: median [p25-p75] (n >= 5) else median (min-max); xN = peer/ours"
             % (cfg["trials"], cfg["idle_trials"], max(cfg["kills"], cfg["ctl_runs"]), cfg["kills_s6_delayed"],
                cfg["scale_trials"], cfg["scale_kills"], cfg["scale_list_runs"], cfg["reap_trials"]))
    L.append("")
    row("row", cols)
    L.append("-" * (w + len(cols) * 27))

    # 1 footprint
    sz = data["sizes"]

    def kb(b):
        return "%.1f KiB" % (b / 1024)

    cells = []
    for c in cols:
        e = sz[c]
        tot = sum(v["bytes"] for v in e["bins"].values())
        kind = "static" if all(v["static"] for v in e["bins"].values()) else "dynamic"
        cells.append("%s %s" % (kb(tot), kind))
    row("1 supervisor binaries", cells, "nitro | runsvdir+runsv | s6-svscan+s6-supervise | svscan+supervise; stripped")
    if "lean" in sz["nitro-rs"]:
        row("1 ours without HTTP (lean)", at(None, "", kb(sz["nitro-rs"]["lean"])), "cargo --no-default-features")
    row("1 control tool", [kb(sum(v["bytes"] for v in sz[c]["ctl"].values())) for c in cols],
        "nitroctl | sv | s6-svstat+s6-svscanctl | svstat+svc")
    row("1 shared libraries mapped", [("%.0f KiB (%d libs)" % (sum(sz[c]["libs"].values()) / 1024, len(sz[c]["libs"]))
                                       if sz[c]["libs"] else "none") for c in cols],
        "file sizes: " + "; ".join("%s %s" % (k, kb(v)) for k, v in
                                   {**sz["runit"]["libs"], **sz["s6"]["libs"]}.items())
        + "; libc and ld.so are shared with the rest of the system")
    mem = data.get("memory_50", {})
    o = summary([m["pss"] for m in mem.get("nitro-rs", [])])
    om = o["median"] if o else None
    row("1 Pss sum, 50 services (KiB)", [cell([m["pss"] for m in mem.get(c, [])], ours=None if c == cols[0] else om,
                                              fmt=lambda x: "%.0f" % x)[0] for c in cols],
        "procs: " + "/".join(str(mem[c][0]["procs"]) if mem.get(c) else "?" for c in cols))
    lean = summary([m["pss"] for m in mem.get(Lean.name, [])])
    if lean and "nitro" in cols:
        peer = [m["pss"] for m in mem.get("nitro", [])]
        row("1 Pss, lean ours (KiB)", at("nitro", cell(peer, ours=lean["median"], fmt=lambda x: "%.0f" % x)[0],
                                         "%.0f" % lean["median"]), "without HTTP; the ratio: nitro / lean")
    o = summary([m["uss"] for m in mem.get("nitro-rs", [])])
    row("1 USS sum (private, KiB)", [cell([m["uss"] for m in mem.get(c, [])],
                                          ours=None if c == cols[0] or not o else o["median"],
                                          fmt=lambda x: "%.0f" % x)[0] for c in cols])
    o = summary([m["hwm"] for m in mem.get("nitro-rs", [])])
    row("1 VmHWM sum (KiB)", [cell([m["hwm"] for m in mem.get(c, [])], ours=None if c == cols[0] or not o else o["median"],
                                   fmt=lambda x: "%.0f" % x)[0] for c in cols],
        "counts shared libc pages once per process")

    # 2 restart
    rs = data.get("restart_50", {})

    def rrow(label, src, keyf, field="total", q=None, note=""):
        ours = [r[field] for r in src.get(keyf("nitro-rs"), [])]
        om = (pctl(ours, q) if q else statistics.median(ours)) if ours else None
        cells = []
        for c in cols:
            xs = [r[field] for r in src.get(keyf(c), []) if r[field] is not None]
            if q:
                v = pctl(xs, q) if xs else None
                s = fmt_ms(v) + (ratio(v, om) if (v and om and c != cols[0]) else "")
                cells.append(s + (" n=%d" % len(xs) if xs else ""))
            else:
                cells.append(cell(xs, ours=None if c == cols[0] else om)[0])
        row(label, cells, note)

    rrow("2 restart median (ms)", rs, lambda c: c, note="kill -9 -> new pid exec'd sleep; s6: no readiness (1 s throttle)")
    rrow("2 restart p99 (ms)", rs, lambda c: c, q=0.99)
    s6n = rs.get("s6 (notification-fd)", [])
    if s6n:
        xs = [r["total"] for r in s6n]
        om = statistics.median([r["total"] for r in rs["nitro-rs"]])
        row("2 restart, s6 notification-fd", at("s6", cell(xs, ours=om)[0] + " p99 %s" % fmt_ms(pctl(xs, 0.99))),
            "run: echo >&3; exec sleep (ready at once)")
    rrow("2 supervisor share: exit->fork", rs, lambda c: c, field="exit_to_fork",
         note="s6 column: the 1 s throttle")
    if s6n:
        xs = [r["exit_to_fork"] for r in s6n if r["exit_to_fork"] is not None]
        om = statistics.median([r["exit_to_fork"] for r in rs["nitro-rs"] if r["exit_to_fork"] is not None])
        row("2 ... s6 notification-fd", at("s6", cell(xs, ours=om)[0]))
    rrow("2 fork->exec of run", rs, lambda c: c, field="fork_to_exec", note="the new child until it execs run")
    rrow("2 exec of run->exec sleep", rs, lambda c: c, field="exec_to_running", note="/bin/sh running the run script")

    # 3 control
    def crow(label, key, note=""):
        src = data.get(key, {})
        ours = src.get("nitro-rs")
        om = statistics.median(ours) if ours else None
        row(label, [cell(src.get(c, []), ours=None if c == cols[0] else om)[0] for c in cols], note)

    crow("3 query one service (ms)", "ctl_one", "nitroctl pidof | sv status | s6-svstat | svstat")
    crow("3 status of all 50 (ms)", "ctl_all", "nitroctl list | sv status * | s6-svstat loop in sh | svstat *")
    crow("3 curl HTTP /services (ms)", "ctl_curl", "curl is dynamic, ~40 libs")
    crow("3 HTTP /services in-process", "ctl_http_inproc", "python socket, new connection each")
    hr = data.get("http_rate", {}).get("nitro-rs")
    if hr:
        row("3 HTTP GETs/s, keep-alive", at(None, "", cell(hr, fmt=lambda x: "%.0f" % x)[0]),
            "GET /services (50), one connection, closed loop, python client; 1 s each")
    for k, v in data.get("exec_baseline", {}).items():
        row("3 exec baseline (ms)", at(None, "", cell(v)[0]), k)

    # 4 startup / shutdown
    crow("4 start-up, 50 services (ms)", "startup_50", "supervisor exec -> last service exec'd sleep; alone")
    for n in cfg["scale_n"]:
        src = dict(data.get("startup_%d" % n, {}))
        if "s6 (notification-fd)" in src:
            src["s6"] = src.pop("s6 (notification-fd)")
        data["_startup_%d" % n] = src
    crow("4 start-up, 500 services (ms)", "_startup_500",
         "alone" + ("; nitro: 499, its most" if "nitro" in cols else ""))
    crow("4 shutdown, 50 services (ms)", "shutdown_50", "request -> last process of the tree exited")

    # 5 scale
    for n in cfg["scale_n"]:
        def key(c, n=n):
            return "%s@%d" % ("s6 (notification-fd)" if c == "s6" else c, n)
        rrow("5 restart, %d services (ms)" % n, data.get("scale_restart", {}), key,
             note="s6 with notification-fd" if n == cfg["scale_n"][0] else "")
    for n in cfg["scale_n"]:
        src = data.get("scale_list", {})
        ours = src.get("nitro-rs@%d" % n)
        om = statistics.median(ours) if ours else None
        row("5 list, %d services (ms)" % n,
            [cell(src.get("%s@%d" % ("s6 (notification-fd)" if c == "s6" else c, n), []),
                  ours=None if c == cols[0] else om)[0] for c in cols])

    for n in cfg["scale_n"][:-1]:
        crow("5 start-up, %d services (ms)" % n, "_startup_%d" % n)

    # 6 idle
    idle = data.get("idle", {})
    secs = cfg["idle_secs"]
    row("6 idle syscalls/%ds, supervisor" % secs,
        [cell([r["root"]["calls"] for r in idle.get(c, [])], fmt=lambda x: "%.0f" % x)[0] for c in cols],
        "strace -c -f -p <supervisor pid>")
    row("6 idle syscalls/%ds, whole tree" % secs,
        [cell([r["tree"]["calls"] for r in idle.get(c, [])], fmt=lambda x: "%.0f" % x)[0] for c in cols],
        "supervisor + per-service supervisors")

    # 7 reaping
    rp = data.get("reap", {})
    if rp:
        L.append("")
        row("7 reaping %d orphans" % cfg["reap_n"], ["nitro-rs", "tini -s"] + [""] * (len(cols) - 2))
        o = [r["total_ms"] for r in rp.get("nitro-rs", [])]
        om = statistics.median(o) if o else None
        row("7 fork loop start -> none left", [cell(o)[0], cell([r["total_ms"] for r in rp.get("tini", [])], ours=om)[0]]
            + [""] * (len(cols) - 2))
        o = [r["tail_ms"] for r in rp.get("nitro-rs", [])]
        om = statistics.median(o) if o else None
        row("7 last orphan made -> none left", [cell(o)[0], cell([r["tail_ms"] for r in rp.get("tini", [])], ours=om)[0]]
            + [""] * (len(cols) - 2),
            "1 ms polling of /proc/PID/task/PID/children")

    # 8 boot
    boot, note = "n/a", "no boot figure (qemu/test's demo scenario writes %s)" % os.path.relpath(BOOT_MS, ROOT)
    if os.path.exists(BOOT_MS):
        boot = open(BOOT_MS).read().strip() + " ms"
        age = (time.time() - os.path.getmtime(BOOT_MS)) / 60
        note = ("kernel's /init -> all demo services UP (guest clock, TCG unless KVM); "
                + ("booted by this run" if os.environ.get("NITRO_BENCH_BOOTED") == "yes"
                   else "written by qemu/test %.0f min before this report" % age))
    row("8 QEMU boot to demo UP", at(None, "", boot), note)

    # How far ahead of nitro a supervisor can be at all: nitro / floor.
    if "floor" in cols and "nitro" in cols:
        def med(key, c, field=None, q=None):
            xs = data.get(key, {}).get(c, [])
            if field:
                xs = [r[field] for r in xs if r[field] is not None]
            if not xs:
                return None
            return pctl(xs, q) if q else statistics.median(xs)
        L.append("")
        row("9 reach against nitro", ["nitro / ours", "nitro / floor"] + [""] * (len(cols) - 2),
            "floor: bench/floor.c, the least a supervisor (and a client) can do: the most any could be ahead")
        for label, key, field, q in (("restart median", "restart_50", "total", None),
                                     ("restart p99", "restart_50", "total", 0.99),
                                     ("exit->fork", "restart_50", "exit_to_fork", None),
                                     ("fork->exec of run", "restart_50", "fork_to_exec", None),
                                     ("query one service", "ctl_one", None, None),
                                     ("status of all 50", "ctl_all", None, None),
                                     ("start-up, 50 services", "startup_50", None, None),
                                     ("start-up, 500 services", "_startup_500", None, None),
                                     ("shutdown, 50 services", "shutdown_50", None, None)):
            n, o, f = (med(key, c, field, q) for c in ("nitro", "nitro-rs", "floor"))
            if n and o and f:
                row("9 " + label, ["x%.2f" % (n / o), "x%.2f" % (n / f)] + [""] * (len(cols) - 2),
                    "nitro %s, ours %s, floor %s ms" % (fmt_ms(n), fmt_ms(o), fmt_ms(f)))

    L.append("")
    st = data.get("steal", {})
    parts = []
    for k, v in st.items():
        parts.append("%s %.1f %% (%.1f-%.1f, n=%d)" % (k, statistics.median(v), min(v), max(v), len(v)))
    L.append("CPU steal (/proc/stat) per trial, median (min-max): " + "; ".join(parts))
    if data.get("ours_vmhwm_after_activity"):
        L.append("ours VmHWM after the paired restart/control rounds (incl. HTTP): %d KiB"
                 % data["ours_vmhwm_after_activity"])
    L.append("notes: peers are Debian's dynamic glibc binaries (see the exec baseline: each control"
             " command pays the dynamic loader); service directories on tmpfs (/dev/shm), as under /run;"
             " ours: nitro and nitroctl static, no libc.")
    if data.get("ctl_failed"):
        L.append("control commands of peers that failed (timed and kept): "
                 + "; ".join("%s: %d" % kv for kv in sorted(data["ctl_failed"].items())))
    if data.get("proc_connector_overruns"):
        L.append("warning: the proc connector overran %d times (events lost)" % data["proc_connector_overruns"])
    return "\n".join(L)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=os.path.join(ROOT, "target/bench/results.json"))
    a = ap.parse_args()
    for p in (NITRO, NITROCTL):
        if not os.path.exists(p):
            sys.exit("bench: %s missing (cargo build --release --workspace)" % p)
    b = Bench(a.quick, a.out)

    def on_sig(sig, _f):
        raise SystemExit("bench: interrupted by signal %d" % sig)

    signal.signal(signal.SIGTERM, on_sig)
    signal.signal(signal.SIGINT, on_sig)
    signal.signal(signal.SIGHUP, on_sig)
    mach = machine()
    try:
        b.setup()
        b.run()
    finally:
        b.cleanup()
    b.data["machine"] = mach
    b.data["quick"] = a.quick
    text = report(b.data, mach, a.quick)
    b.data["table"] = text.split("\n")
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(b.data, f, indent=1, default=str)
    print(text)
    print("\nresults: %s" % a.out)


if __name__ == "__main__":
    main()
