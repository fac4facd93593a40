/* bench/floor.c: the least a supervisor and a control client can do, as a
 * reference column in bench/run (x86_64, no libc: built with
 * cc -O2 -static -nostdlib, so that neither a dynamic loader nor libc's
 * start-up is in its figures).
 *
 *   floor sv DIR    start every DIR/NAME/run at once (vfork, then in the
 *                   child: empty signal mask, setsid, chdir NAME, exec
 *                   ./run); respawn a service the moment it exits (no
 *                   throttle, no state, no files read); on SIGTERM send
 *                   SIGTERM and SIGCONT to every service, wait for all,
 *                   exit. Idle, it sleeps in sigtimedwait.
 *   floor q NAME    one QUERY of NAME to $NITRO_SOCK (the control
 *   floor l         protocol), or one LIST; writes the raw reply to
 *                   stdout. Its reply socket is bound in notify/ and
 *                   removed, as the protocol has it; nothing else.
 *
 * A supervisor can hardly start, restart or stop the benchmark's services
 * in less time than this: what is left is the kernel's and /bin/sh's work,
 * the same under every supervisor.
 */
#include <asm/unistd.h>
#include <linux/signal.h>
#include <linux/socket.h>
#include <linux/un.h>

#define O_RDONLY_DIR 0200000 /* O_RDONLY | O_DIRECTORY */
#define WNOHANG 1
#define ECHILD 10
#define MAX 1024
#define SOCK_DGRAM 2
#define AF_UNIX 1

/* Inlined: the vfork child must not return through a frame its parent
   will use again. */
static inline __attribute__((always_inline)) long sc6(long n, long a, long b, long c, long d, long e, long f) {
    long r;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
    return r;
}
#define sc(n, a, b, c, d) sc6(n, a, b, c, d, 0, 0)

static char names[MAX][256];
static long pids[MAX];
static int count;
static char **envp;
static char buf[65536];

static void put(int fd, const char *s) {
    long n = 0;
    while (s[n]) n++;
    sc(__NR_write, fd, (long)s, n, 0);
}

static int eq(const char *a, const char *b) {
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}

static long spawn(int i) {
    static char *const argv[] = {"run", 0};
    unsigned long none = 0;
    long pid = sc(__NR_vfork, 0, 0, 0, 0);
    if (pid == 0) {
        sc(__NR_rt_sigprocmask, SIG_SETMASK, (long)&none, 0, 8);
        sc(__NR_setsid, 0, 0, 0, 0);
        if (sc(__NR_chdir, (long)names[i], 0, 0, 0) == 0)
            sc(__NR_execve, (long)"./run", (long)argv, (long)envp, 0);
        sc(__NR_exit, 127, 0, 0, 0);
    }
    return pid;
}

static int supervise(const char *dir) {
    unsigned long set = (1UL << (SIGCHLD - 1)) | (1UL << (SIGTERM - 1));
    sc(__NR_rt_sigprocmask, SIG_BLOCK, (long)&set, 0, 8);
    if (sc(__NR_chdir, (long)dir, 0, 0, 0) != 0) {
        put(2, "floor: cannot chdir to the service directory\n");
        return 111;
    }
    long fd = sc(__NR_open, (long)".", O_RDONLY_DIR, 0, 0);
    for (;;) {
        long n = sc(__NR_getdents64, fd, (long)buf, sizeof buf, 0);
        if (n <= 0) break;
        for (long off = 0; off < n;) {
            /* struct linux_dirent64: ino 8, off 8, reclen 2, type 1, name */
            unsigned short reclen = *(unsigned short *)(buf + off + 16);
            const char *name = buf + off + 19;
            if (name[0] != '.' && count < MAX) {
                int k = 0;
                while (name[k] && k < 255) names[count][k] = name[k], k++;
                names[count][k] = 0;
                count++;
            }
            off += reclen;
        }
    }
    sc(__NR_close, fd, 0, 0, 0);
    for (int i = 0; i < count; i++) pids[i] = spawn(i);
    for (;;) {
        char info[128];
        long sig = sc(__NR_rt_sigtimedwait, (long)&set, (long)info, 0, 8);
        if (sig == SIGTERM) break;
        long pid;
        int st;
        while ((pid = sc(__NR_wait4, -1, (long)&st, WNOHANG, 0)) > 0)
            for (int i = 0; i < count; i++)
                if (pids[i] == pid) {
                    pids[i] = spawn(i);
                    break;
                }
    }
    for (int i = 0; i < count; i++) {
        sc(__NR_kill, pids[i], SIGTERM, 0, 0);
        sc(__NR_kill, pids[i], SIGCONT, 0, 0);
    }
    while (sc(__NR_wait4, -1, 0, 0, 0) != -ECHILD) {
    }
    return 0;
}

static int ask(const char *name) {
    const char *sock = 0;
    for (char **e = envp; *e; e++) {
        const char *s = *e, *k = "NITRO_SOCK=";
        while (*k && *s == *k) s++, k++;
        if (!*k) sock = s;
    }
    if (!sock) {
        put(2, "floor: NITRO_SOCK is not set\n");
        return 111;
    }
    struct sockaddr_un to = {.sun_family = AF_UNIX}, me = {.sun_family = AF_UNIX};
    int l = 0, slash = -1;
    while (sock[l] && l < (int)sizeof to.sun_path - 1) {
        if (sock[l] == '/') slash = l;
        to.sun_path[l] = sock[l], l++;
    }
    /* As the protocol has it (and every nitroctl does): the reply socket is
       bound at <dir of the socket>/notify/<name>,<pid>_0, so that it is
       reachable from any network namespace; removed at the end. */
    char digits[20], *m = me.sun_path, *end = me.sun_path + sizeof me.sun_path - 16;
    if (slash + 1 + 7 + 16 > (int)sizeof me.sun_path) {
        put(2, "floor: the socket's directory is too long for notify/ paths\n");
        return 111;
    }
    for (int i = 0; i <= slash; i++) *m++ = sock[i];
    for (const char *t = "notify/"; *t; t++) *m++ = *t;
    for (const char *t = name ? name : ""; *t && m < end; t++) *m++ = *t;
    *m++ = ',';
    long pid = sc(__NR_getpid, 0, 0, 0, 0), k = 0;
    do digits[k++] = '0' + pid % 10; while ((pid /= 10));
    while (k) *m++ = digits[--k];
    *m++ = '_', *m++ = '0', *m = 0;
    long fd = sc(__NR_socket, AF_UNIX, SOCK_DGRAM, 0, 0);
    if (sc(__NR_bind, fd, (long)&me, sizeof me, 0) != 0) {
        put(2, "floor: cannot bind in notify/\n");
        return 111;
    }
    /* A request: u16 length of the argument, little-endian; the tag; the
       argument. QUERY is '}', LIST is '|'. */
    char req[260];
    int n = 0;
    while (name && name[n] && n < 255) req[3 + n] = name[n], n++;
    req[0] = n, req[1] = 0, req[2] = name ? '}' : '|';
    long sent = sc6(__NR_sendto, fd, (long)req, 3 + n, 0, (long)&to, 2 + l + 1);
    long got = sent == 3 + n ? sc(__NR_recvfrom, fd, (long)buf, sizeof buf, 0) : -1;
    sc(__NR_unlink, (long)me.sun_path, 0, 0, 0);
    if (sent != 3 + n) {
        put(2, "floor: no supervisor at NITRO_SOCK\n");
        return 4;
    }
    if (got <= 0) return 111;
    sc(__NR_write, 1, (long)buf, got, 0);
    return 0;
}

static int start(long argc, char **argv) {
    if (argc == 3 && eq(argv[1], "sv")) return supervise(argv[2]);
    if (argc == 3 && eq(argv[1], "q")) return ask(argv[2]);
    if (argc == 2 && eq(argv[1], "l")) return ask(0);
    put(2, "usage: floor sv DIR | floor q NAME | floor l\n");
    return 100;
}

void floor_main(long *sp) {
    long argc = sp[0];
    char **argv = (char **)(sp + 1);
    envp = argv + argc + 1;
    sc(__NR_exit_group, start(argc, argv), 0, 0, 0);
}

__asm__(".globl _start\n_start:\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall floor_main\n\thlt\n");
