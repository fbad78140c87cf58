/* ld.h -- the loader's way of reading JSON, shared by everything that loads a file a
 * person wrote: scenarios (scenario.c), conditions (cond_load.c) and lessons.
 *
 * A loader walks the JSON with the path of every value in hand ("$.faults[2].at"), so
 * any mistake can be reported where it is: the file, the JSON path, what was expected
 * and what was found, and the nearest valid name for a misspelt one. The first
 * mistake ends the load: ld_fail longjmps back to whoever set L->fail, which frees
 * what it had allocated. One clear message beats a cascade.
 */
#ifndef SIM_SCENARIO_LD_H
#define SIM_SCENARIO_LD_H

#include <setjmp.h>
#include <cJSON.h>
#include "scenario/scenario.h"

#define JPATH_MAX 192

typedef struct ld {
    scn_t *s;                    /* the scenario, for node names (may be read-only use) */
    const char *path;            /* the file, for messages */
    char *err;
    size_t err_len;
    jmp_buf fail;
    cJSON *root;
    cJSON *tmp;                  /* a parsed default, freed on failure too */
} ld_t;

/* Each of these ends the load with a message "FILE: JPATH: ..." (they do not return). */
void ld_fail(ld_t *L, const char *jpath, const char *fmt, ...) __attribute__((format(printf, 3, 4), noreturn));
void ld_expected(ld_t *L, const char *jpath, const char *what, const cJSON *found) __attribute__((noreturn));
void ld_unknown_name(ld_t *L, const char *jpath, const char *what, const char *name,
                     const char *const *cands) __attribute__((noreturn));

void ld_child(char *out, const char *jpath, const char *key);   /* out = jpath.key (JPATH_MAX bytes) */
void ld_elem(char *out, const char *jpath, int i);              /* out = jpath[i] */
/* Every key of obj must be in allowed (NULL-terminated); a duplicate key is a mistake too. */
void ld_check_keys(ld_t *L, const cJSON *obj, const char *jpath, const char *const *allowed);
const cJSON *ld_get(const cJSON *obj, const char *key);

/* Typed getters: each checks and ends the load with "expected WHAT, found ...". */
sim_time_t ld_as_duration(ld_t *L, const cJSON *v, const char *jpath, bool signed_ok);
double ld_as_number(ld_t *L, const cJSON *v, const char *jpath, double lo, double hi, const char *what);
int64_t ld_as_int(ld_t *L, const cJSON *v, const char *jpath, double lo, double hi, const char *what);
bool ld_as_bool(ld_t *L, const cJSON *v, const char *jpath);
const char *ld_as_string(ld_t *L, const cJSON *v, const char *jpath, const char *what);
/* A node name of L->s ("n1", "c2"); clients_ok allows clients. */
uint32_t ld_as_node(ld_t *L, const cJSON *v, const char *jpath, bool clients_ok);

/* One action in the form of a scenario's "faults" entries ({"at": "5s", "crash": "n3"}),
 * for the scenario's own list and for lessons. With now_ok, "at" may be left out or be
 * "now", which gives at_ns = -1: whenever it is applied. Memory a partition needs is
 * owned by L->s (freed by scn_free). */
void ld_action(ld_t *L, const cJSON *e, const char *jpath, sim_action_t *a, bool now_ok);

#endif
