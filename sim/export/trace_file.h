/* trace_file.h -- writing trace records as JSON lines.
 *
 * The JSON form, one object per line:
 *   {"t":1500000,"ev":"send","id":7,"from":"n1","to":"n2","type":"push","size":64,"arrive":12400000}
 *   {"t":12400000,"ev":"deliver","id":7,"from":"n1","to":"n2","type":"push"}
 *   {"t":12400000,"ev":"drop","id":8,"from":"n1","to":"n3","type":"push","reason":"partition"}
 */
#ifndef SIM_EXPORT_TRACE_FILE_H
#define SIM_EXPORT_TRACE_FILE_H

#include "core/jw.h"
#include "core/sim.h"

/* Writes one record as a JSON object (no newline), as the --trace file has it. */
void trace_format(const sim_t *s, const trace_rec_t *r, jw_t *w);

/* The JSON-lines writer: written beside path and renamed into place when closed, so a
 * trace file is complete or absent. */
typedef struct trace_file trace_file_t;
trace_file_t *trace_file_open(const char *path, const sim_t *s);
void trace_file_write(void *tf, const trace_rec_t *r);     /* a trace_fn */
int trace_file_close(trace_file_t *tf, bool keep);          /* SIM_OK or SIM_EIO */

#endif
