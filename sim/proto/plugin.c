/* plugin.c -- loading protocols from shared libraries, and guarding their callbacks.
 *
 * Loading is a chain of checks, each a sentence a student can act on: we look at the
 * file's ELF header ourselves before dlopen, because dlopen's own complaint about a
 * library for another machine ("wrong ELF class: ELFCLASS32") is written for people
 * who already know the answer.
 *
 * A plug-in runs inside dsim's process, so a bad pointer in a student's on_message
 * would end the whole program with nothing but "Segmentation fault". Instead, the
 * table we register is a copy of the plug-in's whose callbacks are trampolines:
 *
 *      core ──> trampoline: sigsetjmp, arm watchdog ──> plug-in's callback ──> return
 *                   ^                                          |
 *                   └──── signal handler: siglongjmp ─────── SIGSEGV, SIGABRT, ...
 *                                                            SIGALRM (watchdog timer)
 *
 * On a signal the handler (on its own stack, since the fault may be a stack overflow)
 * jumps back into the trampoline, which records a sim_fault_t and stops the run; the
 * plug-in is not called again for that simulation. The watchdog is a per-thread POSIX
 * timer that sends SIGALRM to the thread running the callback, armed for each call.
 * That costs a few system calls per callback, which only plug-ins pay: built-in
 * protocols are registered without trampolines. What cannot be undone is what the
 * plug-in did to its own memory or to locks inside libc (a loop inside malloc): after
 * a fault, the right thing is to report and end, which is what dsim does.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#undef EV_NONE                  /* elf.h's, not the event pool's */
#include "core/sim_int.h"
#include "proto/plugin.h"

typedef struct plugin {
    char path[PATH_MAX];         /* as resolved by realpath */
    void *dl;
    proto_t orig;                /* the plug-in's own table (the slots its version has) */
    proto_t wrap;                /* the same with trampolines, as registered */
    const proto_t *reg;          /* the registry's copy of wrap */
} plugin_t;

static plugin_t plugins[PLUGIN_MAX];
static uint32_t n_plugins;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static sim_time_t watchdog_ns = PLUGIN_WATCHDOG_NS_DEFAULT;

void plugin_set_watchdog(sim_time_t limit_ns) { watchdog_ns = limit_ns > 0 ? limit_ns : 0; }
sim_time_t plugin_watchdog(void) { return watchdog_ns; }

/* Only plugin_load writes the table, and entries never move or go away. */
static const plugin_t *plugin_of(const proto_t *p)
{
    for (uint32_t i = 0; i < n_plugins; i++)
        if (plugins[i].reg == p || &plugins[i].wrap == p) return &plugins[i];
    return NULL;
}

bool plugin_owns(const proto_t *p) { return p && plugin_of(p) != NULL; }

const char *plugin_path(const proto_t *p)
{
    const plugin_t *g = plugin_of(p);
    return g ? g->path : NULL;
}

/* ---- The guard. -------------------------------------------------------------------- */

#define GUARD_ALTSTACK_BYTES (64 * 1024)
static const int guard_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGALRM};
#define GUARD_N_SIGNALS ((int)SIM_ARRAY_LEN(guard_signals))
static struct sigaction old_action[GUARD_N_SIGNALS];
static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;

static _Thread_local sigjmp_buf *volatile guard_jb;   /* set while a plug-in callback runs */
static _Thread_local bool guard_ready, timer_ok;
static _Thread_local timer_t guard_timer;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    sigjmp_buf *jb = guard_jb;
    if (jb) {
        guard_jb = NULL;
        siglongjmp(*jb, sig);
    }
    if (sig == SIGALRM) return;     /* a watchdog that fired as its callback returned */
    /* dsim's own fault, not a plug-in's: put the old action back, so the faulting
     * instruction runs again (or abort raises again) and fails as it always did. */
    for (int i = 0; i < GUARD_N_SIGNALS; i++)
        if (guard_signals[i] == sig) sigaction(sig, &old_action[i], NULL);
    if (si->si_code <= 0 && sig != SIGABRT) raise(sig);   /* sent, not caused: send it again */
}

static void install_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < GUARD_N_SIGNALS; i++) sigaction(guard_signals[i], &sa, &old_action[i]);
}

/* Once per thread: an alternate stack for the handler and the watchdog's timer. Both
 * live as long as the thread (a few kilobytes; threads that run plug-ins are few). */
static void guard_thread_init(void)
{
    guard_ready = true;
    pthread_once(&handlers_once, install_handlers);
    stack_t ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_sp = malloc(GUARD_ALTSTACK_BYTES);
    ss.ss_size = GUARD_ALTSTACK_BYTES;
    if (ss.ss_sp) sigaltstack(&ss, NULL);
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = SIGALRM;
#ifdef sigev_notify_thread_id
    ev.sigev_notify_thread_id = (pid_t)syscall(SYS_gettid);
#else
    ev._sigev_un._tid = (pid_t)syscall(SYS_gettid);    /* glibc before 2.41 names it so */
#endif
    timer_ok = timer_create(CLOCK_MONOTONIC, &ev, &guard_timer) == 0;
}

static void timer_arm(sim_time_t ns)
{
    if (!timer_ok) return;
    struct itimerspec it;
    memset(&it, 0, sizeof it);
    it.it_value.tv_sec = (time_t)(ns / SIM_SEC);
    it.it_value.tv_nsec = (long)(ns % SIM_SEC);
    timer_settime(guard_timer, 0, &it, NULL);
}

/* Begin returns the previous guard (guards nest when a plug-in's callback makes the
 * core call another, which none does today); end takes it back. */
static sigjmp_buf *guard_begin(sigjmp_buf *jb)
{
    if (!guard_ready) guard_thread_init();
    sigjmp_buf *prev = guard_jb;
    guard_jb = jb;
    if (!prev && watchdog_ns) timer_arm(watchdog_ns);
    return prev;
}

static void guard_end(sigjmp_buf *prev)
{
    if (!prev && watchdog_ns) timer_arm(0);
    guard_jb = prev;
}

/* Runs `call` guarded; on a signal, runs `on_fault` with sig_ set. Locals the call
 * assigns must be volatile (they live across the siglongjmp). */
#define GUARDED(call, on_fault)                                                        \
    do {                                                                               \
        sigjmp_buf jb_;                                                                \
        sigjmp_buf *volatile prev_ = guard_jb;                                         \
        int sig_ = sigsetjmp(jb_, 1);                                                  \
        if (sig_ == 0) {                                                               \
            prev_ = guard_begin(&jb_);                                                 \
            call;                                                                      \
            guard_end(prev_);                                                          \
        } else {                                                                       \
            guard_end(prev_);                                                          \
            on_fault;                                                                  \
        }                                                                              \
    } while (0)

static const char *signal_what(int sig)
{
    switch (sig) {
    case SIGSEGV: return "a segmentation fault (SIGSEGV): a bad pointer, or an index past the end of an array";
    case SIGBUS: return "a bus error (SIGBUS): a misaligned or vanished memory access";
    case SIGFPE: return "an arithmetic error (SIGFPE), such as a division by zero";
    case SIGILL: return "an illegal instruction (SIGILL)";
    case SIGABRT: return "an abort (SIGABRT): abort() was called or an assertion failed";
    case SIGALRM: return "it did not return: the watchdog stopped it (an endless loop?)";
    }
    return "a signal";
}

/* Records the fault and stops the run. Returns the fault's event text to fill. */
static char *fault_set(sim_t *s, int64_t node, const char *callback, int sig)
{
    s->fault.signal = sig;
    s->fault.what = signal_what(sig);
    s->fault.callback = callback;
    s->fault.node = node;
    s->fault.t = s->now;
    s->fault.event[0] = 0;
    s->stopped = true;
    s->in_callback = false;
    return s->fault.event;
}

#define EV_LEN sizeof(((sim_fault_t *)0)->event)

/* ---- Trampolines, one per callback that sees the simulation. --------------------- */

static const plugin_t *of(const sim_t *s) { return plugin_of(s->proto); }

static void t_init(sim_ctx *c)
{
    sim_t *s = c->s;
    if (s->fault.callback) return;
    GUARDED(of(s)->orig.init(c),
            snprintf(fault_set(s, c->node, "init", sig_), EV_LEN, "its start (init runs at time zero and at each restart)"));
}

static void t_on_message(sim_ctx *c, const sim_msg_t *m)
{
    sim_t *s = c->s;
    if (s->fault.callback) return;
    GUARDED(of(s)->orig.on_message(c, m),
            snprintf(fault_set(s, c->node, "on_message", sig_), EV_LEN, "a \"%s\" message from %s (%u bytes)",
                     (unsigned)m->type + SIM_MSG_BUILTIN < s->n_mtypes ? s->mtype[m->type + SIM_MSG_BUILTIN] : "?",
                     sim_name_of(s, m->from), m->len));
}

static void t_on_timer(sim_ctx *c, int kind, uint64_t data)
{
    sim_t *s = c->s;
    if (s->fault.callback) return;
    GUARDED(of(s)->orig.on_timer(c, kind, data),
            snprintf(fault_set(s, c->node, "on_timer", sig_), EV_LEN, "a timer of kind %d (data %llu)", kind,
                     (unsigned long long)data));
}

static void t_on_request(sim_ctx *c, const sim_req_t *req)
{
    sim_t *s = c->s;
    if (s->fault.callback) return;
    GUARDED(of(s)->orig.on_request(c, req),
            snprintf(fault_set(s, c->node, "on_request", sig_), EV_LEN, "a %s request from %s (key %u, value %lld)",
                     req->f < SIM_OP_COUNT_ ? sim_op_names[req->f] : "?", sim_name_of(s, req->client), req->key,
                     (long long)req->value));
}

static void t_on_crash(sim_ctx *c)
{
    sim_t *s = c->s;
    if (s->fault.callback) return;
    GUARDED(of(s)->orig.on_crash(c), snprintf(fault_set(s, c->node, "on_crash", sig_), EV_LEN, "the node's crash"));
}

static void t_describe(sim_ctx *c, proto_desc_t *d)
{
    sim_t *s = c->s;
    if (s->fault.callback) return;
    GUARDED(of(s)->orig.describe(c, d),
            snprintf(fault_set(s, c->node, "describe", sig_), EV_LEN, "the window's request for its state line"));
}

static void t_export_state(sim_ctx *c, jw_t *w)
{
    sim_t *s = c->s;
    if (s->fault.callback) { jw_null(w); return; }
    GUARDED(of(s)->orig.export_state(c, w),
            snprintf(fault_set(s, c->node, "export_state", sig_), EV_LEN, "an export of its state as JSON"));
}

static void t_on_membership(sim_ctx *c, uint32_t node, bool joined)
{
    sim_t *s = c->s;
    if (s->fault.callback) return;
    GUARDED(of(s)->orig.on_membership(c, node, joined),
            snprintf(fault_set(s, c->node, "on_membership", sig_), EV_LEN, "%s %s the cluster", sim_name_of(s, node),
                     joined ? "joining" : "leaving"));
}

static bool t_check(sim_t *s, sim_violation_t *v)
{
    if (s->fault.callback) return false;
    volatile bool r = false;
    GUARDED(r = of(s)->orig.check(s, v),
            snprintf(fault_set(s, -1, "check", sig_), EV_LEN, "the invariant check after the last event"));
    return r;
}

static void t_summary(sim_t *s, jw_t *w)
{
    if (s->fault.callback) return;
    GUARDED(of(s)->orig.summary(s, w), snprintf(fault_set(s, -1, "summary", sig_), EV_LEN, "the summary at the end of the run"));
}

static bool t_replicas_equal(sim_t *s)
{
    if (s->fault.callback) return false;
    volatile bool r = false;
    GUARDED(r = of(s)->orig.replicas_equal(s),
            snprintf(fault_set(s, -1, "replicas_equal", sig_), EV_LEN, "a comparison of the replicas"));
    return r;
}

static void t_summary_top(sim_t *s, jw_t *w)
{
    if (s->fault.callback) return;
    GUARDED(of(s)->orig.summary_top(s, w), snprintf(fault_set(s, -1, "summary_top", sig_), EV_LEN, "the summary at the end of the run"));
}

int plugin_configure(const proto_t *p, void *config, const proto_env_t *env, char *err, size_t err_len)
{
    const plugin_t *g = plugin_of(p);
    if (!g) return p->configure(config, env, err, err_len);
    volatile int rc = SIM_EINPUT;
    GUARDED(rc = g->orig.configure(config, env, err, err_len),
            snprintf(err, err_len, "protocol %s failed in configure: %s", p->name, signal_what(sig_)));
    return rc;
}

/* ---- Loading. ---------------------------------------------------------------------- */

static const char *machine_name(unsigned m)
{
    switch (m) {
    case EM_386: return "x86 (32-bit)";
    case EM_X86_64: return "x86-64";
    case EM_ARM: return "ARM (32-bit)";
    case EM_AARCH64: return "ARM64 (aarch64)";
    case EM_RISCV: return "RISC-V";
    case EM_PPC64: return "POWER (ppc64)";
    case EM_S390: return "s390";
    case EM_MIPS: return "MIPS";
    }
    return "an unusual machine";
}

/* The fields of an ELF header that say what it is for; false when it is not ELF. */
typedef struct elf_id { unsigned char cls, data; unsigned type, machine; } elf_id_t;

static bool elf_read(const char *path, elf_id_t *id)
{
    unsigned char h[64];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    ssize_t n = read(fd, h, sizeof h);
    close(fd);
    if (n < 20 || memcmp(h, ELFMAG, SELFMAG) != 0) return false;
    id->cls = h[EI_CLASS];
    id->data = h[EI_DATA];
    bool le = id->data == ELFDATA2LSB;
    id->type = le ? (unsigned)(h[16] | h[17] << 8) : (unsigned)(h[16] << 8 | h[17]);
    id->machine = le ? (unsigned)(h[18] | h[19] << 8) : (unsigned)(h[18] << 8 | h[19]);
    return true;
}

/* This process's own machine, from its own program file; compile-time values when
 * /proc is not there. */
static void elf_self(elf_id_t *id)
{
    if (elf_read("/proc/self/exe", id)) return;
    id->cls = sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32;
    uint16_t one = 1;
    id->data = *(uint8_t *)&one ? ELFDATA2LSB : ELFDATA2MSB;
    id->type = ET_DYN;
#if defined(__x86_64__)
    id->machine = EM_X86_64;
#elif defined(__aarch64__)
    id->machine = EM_AARCH64;
#else
    id->machine = 0;
#endif
}

/* dlerror's text starts with the path again; keep what follows it, and explain the
 * common case of a symbol the plug-in expected dsim to export. */
static void dl_why(const char *path, char *err, size_t len)
{
    const char *e = dlerror();
    if (!e) e = "unknown reason";
    size_t pl = strlen(path);
    if (strncmp(e, path, pl) == 0 && e[pl] == ':') e += pl + 1;
    while (*e == ' ') e++;
    const char *u = strstr(e, "undefined symbol: ");
    if (u)
        snprintf(err, len, "%s: cannot be loaded: it calls %s, which nothing defines (a plug-in reaches dsim only "
                 "through the API table: build it with -DDSIM_PLUGIN, and link nothing of dsim into it)",
                 path, u + strlen("undefined symbol: "));
    else
        snprintf(err, len, "%s: cannot be loaded: %s", path, e);
}

static const proto_t *load_locked(const char *path, char *err, size_t len)
{
    char real[PATH_MAX];
    if (!realpath(path, real)) {
        if (errno == ENOENT)
            snprintf(err, len, "%s: no such file (a plug-in is a shared library such as myraft.so: run make in its folder)", path);
        else
            snprintf(err, len, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    for (uint32_t i = 0; i < n_plugins; i++)
        if (strcmp(plugins[i].path, real) == 0) return plugins[i].reg;
    struct stat st;
    if (stat(real, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, len, "%s: not a file (a plug-in is a shared library such as myraft.so)", path);
        return NULL;
    }
    elf_id_t id, self;
    if (!elf_read(real, &id)) {
        snprintf(err, len, "%s: not a shared library: it is not an ELF file at all (build it with "
                 "cc -shared -fPIC -DDSIM_PLUGIN, or make in its folder)", path);
        return NULL;
    }
    elf_self(&self);
    if (id.cls != self.cls || id.data != self.data || (self.machine && id.machine != self.machine)) {
        snprintf(err, len, "%s: a shared library for another machine: it was built for %s (%d-bit), and this dsim "
                 "runs on %s (%d-bit); rebuild it here", path, machine_name(id.machine), id.cls == ELFCLASS64 ? 64 : 32,
                 machine_name(self.machine), self.cls == ELFCLASS64 ? 64 : 32);
        return NULL;
    }
    if (id.type != ET_DYN) {
        snprintf(err, len, "%s: not a shared library: it is an ELF %s (link it with cc -shared -fPIC)", path,
                 id.type == ET_REL ? "object file (.o)" : id.type == ET_EXEC ? "program" : "file of another kind");
        return NULL;
    }
    if (n_plugins == PLUGIN_MAX) {
        snprintf(err, len, "%s: more than PLUGIN_MAX (%d) plug-ins loaded at once", path, PLUGIN_MAX);
        return NULL;
    }
    dlerror();
    void *dl = dlopen(real, RTLD_NOW | RTLD_LOCAL);
    if (!dl) { dl_why(real, err, len); return NULL; }
    dsim_plugin_init_fn init = (dsim_plugin_init_fn)(uintptr_t)dlsym(dl, DSIM_PLUGIN_ENTRY);
    if (!init) {
        snprintf(err, len, "%s: does not export %s, the one entry point of a plug-in (end the protocol's file with "
                 "DSIM_PLUGIN_DEFINE(proto_NAME) and build it with -DDSIM_PLUGIN)", path, DSIM_PLUGIN_ENTRY);
        dlclose(dl);
        return NULL;
    }
    /* The entry point is the plug-in's code too: guard it like a callback. */
    const proto_t *volatile out = NULL;
    volatile int rc = 0, crashed = 0;
    GUARDED(rc = init(dsim_api(), (const proto_t **)&out), crashed = sig_);
    if (crashed) {
        snprintf(err, len, "%s: %s failed with %s", path, DSIM_PLUGIN_ENTRY, signal_what(crashed));
        return NULL;          /* not dlclosed: its code may still be on a stack somewhere */
    }
    /* A refusal says which version it needs; an entry point written by hand that does
     * not refuse, but was built for a newer table, is refused here the same way. */
    if (rc < 0 || rc > DSIM_API_VERSION) {
        snprintf(err, len, "%s: needs dsim with API version %d; this dsim offers version %d: update dsim, or rebuild "
                 "the plug-in against this dsim's headers", path, rc < 0 ? -rc : rc, DSIM_API_VERSION);
        dlclose(dl);
        return NULL;
    }
    if (!out || rc == 0) {
        snprintf(err, len, "%s: %s returned no protocol table", path, DSIM_PLUGIN_ENTRY);
        dlclose(dl);
        return NULL;
    }
    plugin_t *g = &plugins[n_plugins];
    memset(g, 0, sizeof *g);
    snprintf(g->path, sizeof g->path, "%s", real);
    g->dl = dl;
    const proto_t *p = out;
    /* Only the slots its version has; the registry checks the version itself. */
    memcpy(&g->orig, p, proto_table_bytes(p->version));
    g->wrap = g->orig;
    proto_t *w = &g->wrap;
    if (w->init) w->init = t_init;
    if (w->on_message) w->on_message = t_on_message;
    if (w->on_timer) w->on_timer = t_on_timer;
    if (w->on_request) w->on_request = t_on_request;
    if (w->on_crash) w->on_crash = t_on_crash;
    if (w->describe) w->describe = t_describe;
    if (w->export_state) w->export_state = t_export_state;
    if (w->on_membership) w->on_membership = t_on_membership;
    if (w->check) w->check = t_check;
    if (w->summary) w->summary = t_summary;
    if (w->replicas_equal) w->replicas_equal = t_replicas_equal;
    if (w->summary_top) w->summary_top = t_summary_top;
    char why[512];
    if (proto_register(w, why, sizeof why) != SIM_OK) {
        snprintf(err, len, "%s: %s", path, why);
        dlclose(dl);
        return NULL;
    }
    g->reg = proto_find(w->name);
    n_plugins++;
    return g->reg;
}

const proto_t *plugin_load(const char *path, char *err, size_t err_len)
{
    pthread_mutex_lock(&lock);
    const proto_t *p = load_locked(path, err, err_len);
    pthread_mutex_unlock(&lock);
    return p;
}
