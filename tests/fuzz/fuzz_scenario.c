/* fuzz_scenario.c -- libFuzzer harness: the scenario loader, then a short run of what
 * it accepted.
 *
 * Any bytes may reach the loader; it must answer with a message or a scenario, never
 * crash. What it accepts is run for at most FUZZ_EVENTS_MAX events and
 * FUZZ_SIM_NS_MAX of simulated time, and only when it is small (a fuzzer that asks
 * for a million nodes finds the machine's memory, not a bug), so each input takes
 * milliseconds. Run by make fuzz; a crash it finds becomes a test in
 * tests/test_fuzz_regress.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "check/runcheck.h"
#include "scenario/scenario.h"
#include "core/sim.h"

#define FUZZ_INPUT_MAX   (1u << 16)
#define FUZZ_EVENTS_MAX  20000
#define FUZZ_SIM_NS_MAX  (2 * SIM_SEC)
#define FUZZ_NODES_MAX   64
#define FUZZ_KEYS_MAX    4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_INPUT_MAX) return 0;
    char *json = malloc(size + 1);
    memcpy(json, data, size);
    json[size] = 0;
    scn_t scn;
    char err[1024];
    if (scn_load_string(json, "(fuzz)", &scn, err, sizeof err) == SIM_OK) {
        if (scn.n_servers <= FUZZ_NODES_MAX && scn.wl.clients <= FUZZ_NODES_MAX && scn.wl.keys <= FUZZ_KEYS_MAX) {
            sim_opts_t o = {0};
            o.duration_ns = scn.duration_ns < FUZZ_SIM_NS_MAX ? scn.duration_ns : FUZZ_SIM_NS_MAX;
            sim_t *s = sim_create(&scn, &o, err, sizeof err);
            if (s) {
                for (uint32_t i = 0; i < FUZZ_EVENTS_MAX && sim_step(s); i++) {}
                sim_finish(s);
                /* The checks a scenario asks for, except linearizability, whose
                 * search can take exponential time on a history this random. */
                scn.check.linearizable = -1;
                runcheck_t c;
                runcheck_run(s, &c);
                runcheck_free(&c);
                sim_destroy(s);
            }
        }
        scn_free(&scn);
    }
    free(json);
    return 0;
}
