/* trace_file.c -- a run's trace records as JSON lines: the --trace file, the lines a
 * violation report shows, and the trace of an export bundle.
 *
 * A record names nodes and message types by number; this resolves them through the
 * run's read-only views, so the core never formats anything.
 */
#include <stdlib.h>
#include <string.h>
#include "core/afile.h"
#include "core/jw.h"
#include "core/sim.h"
#include "export/trace_file.h"

struct trace_file {
    afile_t af;
    jw_t w;
    const sim_t *s;
    bool failed;
};

trace_file_t *trace_file_open(const char *path, const sim_t *s)
{
    trace_file_t *tf = sim_xcalloc(1, sizeof *tf);
    if (afile_open(&tf->af, path) != SIM_OK) { free(tf); return NULL; }
    jw_init(&tf->w, false);
    tf->s = s;
    return tf;
}

static void kname(jw_t *w, const char *k, const sim_t *s, uint32_t node) { jw_kstr(w, k, sim_name_of(s, node)); }

void trace_file_write(void *ud, const trace_rec_t *r)
{
    trace_file_t *tf = ud;
    trace_format(tf->s, r, &tf->w);
    jw_newline(&tf->w);
    if (tf->w.len > (1u << 16) && jw_flush(&tf->w, tf->af.f) != SIM_OK) tf->failed = true;
}

void trace_format(const sim_t *s, const trace_rec_t *r, jw_t *w)
{
    jw_obj_begin(w);
    jw_kint(w, "t", r->t);
    jw_kstr(w, "ev", trace_kind_names[r->kind]);
    switch ((trace_kind_t)r->kind) {
    case TR_SEND: case TR_DELIVER: case TR_DROP: case TR_DUPLICATE:
        jw_kuint(w, "id", r->id);
        kname(w, "from", s, r->a);
        kname(w, "to", s, r->b);
        jw_kstr(w, "type", sim_msg_type_name(s, r->type));
        if (r->kind == TR_DROP) jw_kstr(w, "reason", drop_reason_names[r->reason]);
        else if (r->kind != TR_DELIVER) { jw_kint(w, "size", r->x); jw_kint(w, "arrive", r->t2); }
        break;
    case TR_TIMER:
        kname(w, "node", s, r->a);
        jw_kint(w, "kind", r->x);
        break;
    case TR_CRASH: case TR_RESTART: case TR_PAUSE: case TR_RESUME: case TR_ISOLATE: case TR_CLOCK:
    case TR_JOIN: case TR_LEAVE:
        kname(w, "node", s, r->a);
        if (r->kind == TR_CLOCK) { jw_kint(w, "skew", r->x); }
        break;
    case TR_LINK:
        kname(w, "from", s, r->a);
        kname(w, "to", s, r->b);
        break;
    case TR_PARTITION:
        if (r->text) jw_kstr(w, "groups", r->text);
        if (r->x) jw_kbool(w, "oneway", true);
        break;
    case TR_HEAL: case TR_NETWORK:
        break;
    case TR_INVOKE:
        jw_kuint(w, "op", r->id);
        kname(w, "client", s, r->a);
        jw_kstr(w, "f", sim_op_names[r->type]);
        jw_kint(w, "key", r->x);
        jw_kint(w, "value", r->y);
        break;
    case TR_COMPLETE:
        jw_kuint(w, "op", r->id);
        kname(w, "client", s, r->a);
        jw_kstr(w, "f", sim_op_names[r->type]);
        jw_kstr(w, "result", hist_type_names[r->reason]);
        jw_kint(w, "latency", r->t - r->t2);
        break;
    case TR_LOG:
        kname(w, "node", s, r->a);
        jw_kstr(w, "text", r->text);
        break;
    case TR_VIOLATION:
        jw_kstr(w, "invariant", r->text);
        break;
    case TR_ROLE:
        kname(w, "node", s, r->a);
        jw_kstr(w, "role", sim_role_name(s, r->type));
        jw_kint(w, "term", r->x);
        break;
    case TR_COUNT_:
        break;
    }
    jw_obj_end(w);
}

int trace_file_close(trace_file_t *tf, bool keep)
{
    if (!tf) return SIM_OK;
    int rc = SIM_OK;
    if (jw_flush(&tf->w, tf->af.f) != SIM_OK) tf->failed = true;
    if (!keep || tf->failed) { afile_abort(&tf->af); rc = keep ? SIM_EIO : SIM_OK; }
    else rc = afile_commit(&tf->af);
    jw_free(&tf->w);
    free(tf);
    return rc;
}
