/* fuzz_cond.c -- libFuzzer harness: the condition loader, then running a small Raft
 * cluster until what it accepted holds.
 *
 * Conditions come from lesson files and, through them, from any instructor: any bytes
 * must get a message or a condition, never a crash, and any condition must evaluate
 * against a live run (states, happenings, summary numbers by any path). The run is one
 * simulated second of five Raft servers, so each input takes milliseconds. A crash it
 * finds becomes a test in tests/test_fuzz_regress.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "run/run.h"
#include "scenario/cond_load.h"

#define FUZZ_COND_INPUT_MAX (1u << 14)

static const char *const scenario_json =
    "{\"seed\": 3, \"duration\": \"1s\", \"nodes\": 5, \"protocol\": \"raft\","
    " \"workload\": {\"clients\": 2, \"ops\": {\"write\": 0.5, \"read\": 0.5}, \"keys\": 3, \"rate\": \"50/s\"},"
    " \"faults\": [{\"at\": \"400ms\", \"crash\": \"n1\"}, {\"at\": \"600ms\", \"partition\": [[\"n2\"], [\"n3\", \"n4\", \"n5\"]]}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static scn_t scn;
    static bool loaded;
    char err[1024];
    if (!loaded) {
        if (scn_load_string(scenario_json, "(fuzz)", &scn, err, sizeof err) != SIM_OK) abort();
        loaded = true;
    }
    if (size > FUZZ_COND_INPUT_MAX) return 0;
    char *json = malloc(size + 1);
    memcpy(json, data, size);
    json[size] = 0;
    cond_t c;
    if (cond_parse(json, "(fuzz)", &scn, &c, err, sizeof err) == SIM_OK) {
        run_t *r = run_create(&scn, NULL, err, sizeof err);
        if (r) {
            run_until_cond(r, &c, run_end(r));
            jw_t w;
            jw_init(&w, false);
            cond_write_json(run_sim(r), &c, &w);
            jw_free(&w);
            run_destroy(r);
        }
    }
    free(json);
    return 0;
}
