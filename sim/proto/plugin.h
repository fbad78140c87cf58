/* plugin.h -- protocols loaded from shared libraries at run time, and kept on a leash.
 *
 * A student's protocol is a shared library exporting DSIM_PLUGIN_ENTRY (api.h). Loading
 * one checks, in order and each with its own sentence: the file exists, it is a shared
 * library for this machine, it exports the entry point, the API version is one this
 * dsim offers, and its table passes proto_register (name free, init present, parameter
 * declarations well-formed). The registered table is a copy whose callbacks go through
 * guards: a callback that crashes (a segmentation fault, abort, a failed assertion) or
 * does not return within the watchdog's limit stops the run with a sim_fault_t instead
 * of taking the process with it. Built-in protocols are never guarded and pay nothing.
 */
#ifndef SIM_PROTO_PLUGIN_H
#define SIM_PROTO_PLUGIN_H

#include "proto/proto.h"

#define PLUGIN_MAX 8                       /* plug-ins loaded at once */
#define PLUGIN_WATCHDOG_NS_DEFAULT (2 * SIM_SEC)

/* Loads the plug-in at path (the same file twice gives the same table) and returns its
 * registered table. On error, NULL is returned, a sentence that starts with the path
 * is in err, and nothing is registered. */
const proto_t *plugin_load(const char *path, char *err, size_t err_len);
/* True for a table plugin_load returned: its callbacks run guarded. */
bool plugin_owns(const proto_t *p);
/* The path a plug-in protocol was loaded from, or NULL for a built-in. */
const char *plugin_path(const proto_t *p);
/* Calls p->configure, guarded when p is a plug-in: a crash there is an error with a
 * sentence in err (SIM_EINPUT), as a refusal is. configure runs while a scenario is
 * loaded, before there is a simulation to stop. */
int plugin_configure(const proto_t *p, void *config, const proto_env_t *env, char *err, size_t err_len);
/* The wall-clock time one callback may take before the watchdog stops it; 0 turns the
 * watchdog off. Applies to every plug-in callback from the next one on. */
void plugin_set_watchdog(sim_time_t limit_ns);
sim_time_t plugin_watchdog(void);

#endif
