/* trace.c -- the names of trace records and drop reasons.
 *
 * The hash folds the record's fields (not its text form: trace.h), so computing it
 * costs a few multiplications per event and is the same whether or not a file is
 * written; writing records as JSON is export/trace_file.c's.
 */
#include "core/trace.h"

const char *const trace_kind_names[] = {
    "send", "deliver", "drop", "duplicate", "timer", "crash", "restart", "pause", "resume",
    "partition", "heal", "isolate", "link", "network", "clock", "invoke", "complete", "log",
    "violation", "role", "join", "leave", NULL,
};
const char *const drop_reason_names[] = {"loss", "partition", "crash", "unreachable", "user", NULL};

