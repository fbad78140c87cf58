/* main.c -- the dsim program: a table of commands and the flag parser they share. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>
#include "cli/cli.h"
#include "cli/cmd_check.h"
#include "proto/plugin.h"
#include "scenario/scenario.h"
#include "viz.h"

const cli_cmd_t cli_commands[] = {
    {"run", cmd_run, "run a scenario headless and print a summary",
     "usage: dsim run SCENARIO [--seed N] [--json] [--trace FILE] [--history FILE]\n"
     "                [--duration D] [--no-invariants] [--set PATH=VALUE]...\n"
     "                [--export DIR [--interval D] [--export-trace]]\n"
     "                [--plugin LIB.so] [--watchdog D]\n"
     "       dsim run A.json B.json [--seed N] [--json] [--duration D] [--no-invariants]\n"
     "\n"
     "Runs SCENARIO to its end without a window and prints a summary. Given two\n"
     "scenarios, runs both on one clock (each with its own faults) and prints their\n"
     "summaries in two columns ($COLUMNS wide, else 120), or with --json a list of\n"
     "the two summary objects; the exit status is the worse of the two.\n"
     "\n"
     "  --seed N          use seed N instead of the scenario's \"seed\"\n"
     "  --json            print the summary as exactly one JSON object on stdout\n"
     "  --trace FILE      write every event as one JSON line to FILE (- for stdout)\n"
     "  --history FILE    write the clients' operations as JSON lines (for dsim check)\n"
     "  --duration D      run for D (such as \"10s\") instead of the scenario's duration\n"
     "  --no-invariants   do not check the protocol's invariants after every event\n"
     "  --set PATH=VALUE  override one scenario value by its JSON path before the file\n"
     "                    is checked (repeatable): --set protocol.params.r=2,\n"
     "                    --set network.loss=0.05, --set duration=10s, --set faults[0].at=3s.\n"
     "                    VALUE is JSON when it parses as JSON, else a string; objects\n"
     "                    missing on the way are created\n"
     "  --durable-dir DIR a maelstrom run's folder for files that outlive a crash: each\n"
     "                    program finds DIR/NAME in DSIM_DURABLE_DIR (the same as\n"
     "                    --set protocol.params.durable_dir=DIR, DIR from here)\n"
     "  --export DIR      also write the run as a folder of tables and plots: summary.json,\n"
     "                    README.md (what every file and column is), ops.csv,\n"
     "                    messages.csv, nodes.csv, timeseries.csv, lamport.svg, shiviz.log,\n"
     "                    history.edn and plots/ (gnuplot data, scripts, SVG and PNG).\n"
     "                    Written completely or not at all (Ctrl-C during the run writes\n"
     "                    nothing); DIR must not exist or be a previous bundle (which is\n"
     "                    replaced); anything else is refused\n"
     "  --interval D      the step of timeseries.csv (default 100ms)\n"
     "  --export-trace    also write trace.jsonl (every event) into the bundle\n"
     "  --plugin LIB.so   load a protocol from a shared library first (dsim new protocol\n"
     "                    makes one); a scenario can also name it: {\"plugin\": \"LIB.so\"}\n"
     "  --watchdog D      stop a plug-in callback that runs longer than D of wall-clock\n"
     "                    time (default 2s; 0s: never)\n"
     "\n"
     "Output files are checked before the run starts. A regular file is replaced\n"
     "whole or not at all (keeping its mode), a link is followed, a FIFO or a device\n"
     "such as /dev/null is written to; a read-only file or a directory is refused.\n"
     "\n"
     "The same scenario, seed and build always give the same trace (and trace_hash).\n"
     "A plug-in whose callback crashes (a segmentation fault, abort, a failed assertion)\n"
     "or hangs stops the run with a report: the node, the callback, the event and its\n"
     "time, the last events before it and the command that replays it.\n"
     "\n"
     "Exit status: 0 the run completed (and every check the scenario's \"check\" asks\n"
     "for passed); 1 a check failed; 2 bad input; 3 an invariant was violated;\n"
     "4 a plug-in protocol crashed or hung."},
    {"validate", cmd_validate, "check scenario files without running them",
     "usage: dsim validate SCENARIO... [--set PATH=VALUE]... [--plugin LIB.so]\n"
     "\n"
     "Loads and checks each file: JSON syntax, keys, types, ranges, node and protocol\n"
     "names. Prints one line per file. Exit status: 0 all are valid; 2 otherwise.\n"
     "\n"
     "  --set PATH=VALUE  override a value in every file before checking it (repeatable;\n"
     "                    as for dsim run)"},
    {"list", cmd_list, "list protocols, nemeses, distributions, topologies or actions",
     "usage: dsim list protocols|nemeses|distributions|topologies|actions\n"
     "       dsim list protocols --plugin LIB.so\n"
     "\n"
     "  protocols      each protocol with its purpose, message types and parameters\n"
     "                 (with --plugin, the plug-in's alone, after checking it loads)\n"
     "  nemeses        the random fault generators and their keys\n"
     "  distributions  latency distributions and their keys\n"
     "  topologies     network topologies\n"
     "  actions        the fault actions a scenario's \"faults\" list can hold"},
    {"sweep", cmd_sweep, "run a scenario over a grid of values and seeds: tables and plots",
     "usage: dsim sweep SCENARIO --out DIR [--set PATH=V1,V2,...]... [--seeds 1..20] [-j N]\n"
     "                  [--plot METRIC[,METRIC...]] [--shard I/N|auto] [--no-invariants]\n"
     "       dsim sweep merge SLICE_DIR... --out DIR\n"
     "\n"
     "Runs SCENARIO once for every combination of the --set values and every seed, in\n"
     "this process on N threads, and writes into DIR:\n"
     "  sweep.json    what was asked (scenario, parameters, seeds, plots, slice)\n"
     "  runs.jsonl    one line per finished run (appended as runs finish)\n"
     "  runs.csv      one row per run: run, point, seed, a column per parameter and one\n"
     "                per number of the run's summary (dsim run --json), named by its\n"
     "                path (messages.dropped.loss; stale_reads.fraction = stale / reads)\n"
     "  summary.csv   per grid point and metric: runs, mean, sd, 95% confidence interval\n"
     "  plots/        each --plot metric against the first parameter, one line per value\n"
     "                of the others, 95% error bars: gnuplot data, script, SVG and PNG\n"
     "\n"
     "  --set PATH=V1,V2   a parameter and its values (repeatable; commas inside [], {}\n"
     "                     or quotes do not split). One value just overrides it\n"
     "  --seeds SEEDS      1..20, or 3,5,8 (default 1..10)\n"
     "  -j N               threads (default: the number of cores); results are the\n"
     "                     same whatever N is\n"
     "  --out DIR          the sweep's folder: new, empty, or this same sweep's (resumed)\n"
     "  --plot METRICS     metrics to plot, comma-separated, e.g. stale_reads.fraction\n"
     "  --shard I/N        run only slice I of N (runs with run % N = I - 1); merge the\n"
     "                     slices' folders with dsim sweep merge\n"
     "  --shard auto       the slice from a Slurm job array: SLURM_ARRAY_TASK_ID minus\n"
     "                     SLURM_ARRAY_TASK_MIN, of SLURM_ARRAY_TASK_COUNT\n"
     "  --no-invariants    do not check protocol invariants during the runs\n"
     "\n"
     "A progress bar (runs done, rate, time left) goes to stderr on a terminal, plain\n"
     "lines otherwise. Ctrl-C stops taking runs and keeps every finished one; running\n"
     "the same command again resumes. merge joins every slice of one sweep into DIR,\n"
     "byte for byte what one machine would have written. scenarios/cluster/ has a Slurm\n"
     "array job and a GNU parallel command line.\n"
     "\n"
     "Exit status: 0 done; 2 bad input; 130 interrupted (resume by running it again)."},
    {"bench", cmd_bench, "measure the simulator's speed",
     "usage: dsim bench gossip --nodes N --seconds T [--seed S]\n"
     "       dsim bench chain --events N\n"
     "\n"
     "gossip: every node sends one message to a random peer after an exponential delay\n"
     "of mean 1s, over links with latency uniform in [0.5ms, 1.5ms), for T simulated\n"
     "seconds. Prints one JSON object: nodes, sim_seconds, events, delivered,\n"
     "wall_seconds, events_per_second, delivered_per_second, peak_rss_bytes.\n"
     "chain: one node re-arming one timer N times: the cost of the event loop alone."},
    {"check", cmd_check, "check a history: linearizable, and if not, why",
     "usage: dsim check --model MODEL HISTORY [--timeout 10s] [--steps N] [--svg out.svg] [--json]\n"
     "       dsim check [--model MODEL] --checks LIST HISTORY [--json]\n"
     "\n"
     "Decides whether HISTORY is linearizable under MODEL and explains why not.\n"
     "HISTORY is a file of dsim JSON lines (dsim run --history) or Jepsen-style EDN\n"
     "lines (\"-\" reads stdin).\n"
     "\n"
     "  --model MODEL   register, cas-register, kv or counter\n"
     "  --checks LIST   weaker checks too, comma-separated: session (monotonic reads,\n"
     "                  read your writes, monotonic writes, writes follow reads),\n"
     "                  set-full (a broadcast reaches every reader), counter, stale\n"
     "                  (reads that missed an acknowledged newer write)\n"
     "  --timeout D     wall-clock limit for the search, e.g. 10s or 500ms; 0s for none\n"
     "                  (default 60s)\n"
     "  --steps N       limit the search to N steps instead (or as well): unlike time,\n"
     "                  the verdict then depends on the history alone, as in dsim run\n"
     "  --svg FILE      also draw the history, the violation in red, as an SVG picture\n"
     "  --json          print one JSON object (verdict, model, ops, keys, explanation)\n"
     "\n"
     "Exit status: 0 linearizable (and every --checks check passed), 1 not linearizable\n"
     "or a check failed, 3 unknown (a limit stopped the search), 2 bad input (message on\n"
     "stderr, nothing on stdout)."},
    {"swarm", cmd_swarm, "run a scenario under many seeds, each with its own random faults",
     "usage: dsim swarm SCENARIO --seeds N [-j J] [--first S] [--liveness D] [--without KINDS]\n"
     "                  [--verbose] [--plugin LIB.so] [--watchdog D]\n"
     "       dsim swarm SCENARIO --seeds 1 --first S --write-scenario FILE\n"
     "\n"
     "Swarm testing: runs SCENARIO with seeds S, S+1, ..., S+N-1 (S is 1 unless given).\n"
     "Each seed draws from itself alone a mix of faults added to the scenario's own:\n"
     "message loss (0-30%), duplication (0-20%), reordering (latency jitter), partitions\n"
     "(random minorities, some one-way, some isolating one node), crashes and restarts\n"
     "(never a majority at once), pauses, clock skew and drift, and the crash-leader and\n"
     "isolate-leader nemeses; each kind is on for about half the seeds. The protocol's\n"
     "invariants are checked after every event and the scenario's \"check\" object at the\n"
     "end, with convergence added for protocols that can compare replicas.\n"
     "\n"
     "When the scenario's duration is over, every fault stops: the network heals and is\n"
     "restored, every server is restarted and resumed. Clients go on, and within the\n"
     "liveness bound D the cluster must recover: a leader again (for protocols that\n"
     "elect one), equal replicas, and client operations completing ok in the second\n"
     "quarter of the bound (in its first half for a slow workload).\n"
     "\n"
     "  --seeds N            how many seeds to run\n"
     "  --first S            the first seed (default 1)\n"
     "  -j J                 run J seeds at once, each in its own process (default 1);\n"
     "                       what is printed does not depend on J\n"
     "  --liveness D         the recovery bound (default 5s)\n"
     "  --without KINDS      never draw these kinds, comma-separated: loss, duplication,\n"
     "                       reordering, partitions, crashes, pauses, clocks,\n"
     "                       crash-leader, isolate-leader\n"
     "  --write-scenario F   write the drawn scenario of seed S to F: dsim run F\n"
     "                       replays it event for event (the liveness verdict is swarm's)\n"
     "  --verbose            print every seed, passed or not, with its trace hash\n"
     "\n"
     "Each failing seed is printed with why it failed, its fault mix and the command\n"
     "that replays it. The last line gives seeds run, failed, and runs per second.\n"
     "Exit status: 0 every seed passed; 1 some seed failed; 2 bad input."},
    {"lesson", cmd_lesson, "step through a lesson, list the lessons, or check them",
     "usage: dsim lesson                     the lessons in order, with your progress\n"
     "       dsim lesson NAME|FILE.json [--terminal]\n"
     "       dsim lesson check FILE...|all\n"
     "       dsim lesson NAME --screenshot out.png [--step K]   the window's picture of step K\n"
     "       dsim lesson record SCENARIO OUT.json    build a lesson in the window\n"
     "       dsim lesson --reset             forget your progress\n"
     "\n"
     "NAME is a lesson of lessons/ by name (raft-election) or number (8); FILE.json a\n"
     "lesson file anywhere. With a display the lesson opens in the window (Enter: next,\n"
     "PageUp: back, Tab: hint, F5: show me, 1-8: choose; --terminal forces the\n"
     "terminal). In the terminal it narrates, shows the\n"
     "nodes and the messages in flight as text, and takes commands (`help` lists them):\n"
     "actions such as `crash n3`, `partition n1,n2 | n3,n4,n5`, `heal`, `drop 17`,\n"
     "`skew n2 +2s`, and `step`, `run 500ms`, `next`, `back`, `hint`, `show`, `answer b`,\n"
     "`quit`. Progress is kept in $XDG_STATE_HOME/dsim/lessons (~/.local/state/dsim).\n"
     "\n"
     "check plays every step of each lesson with its solution: each \"until\" and goal\n"
     "must be reached within the scenario's duration, each question's right answer\n"
     "must agree with the run, each highlighted number must exist. lessons/README.md\n"
     "documents the lesson format.\n"
     "\n"
     "record opens SCENARIO in the window, paused: play, act, and pause at each moment\n"
     "worth a step; closing the window writes OUT.json, one step per pause, your actions\n"
     "as tasks with their solutions, the narration left for you to write.\n"
     "\n"
     "Exit status: 0 success (every lesson checked works); 1 a check failed; 2 bad input."},
    {"view", viz_main, "watch a scenario live, break it, rewind it (or save a screenshot)",
     "usage: dsim view SCENARIO [--seed N] [--theme dark|light] [--size WxH] [--at T] [--set PATH=VALUE]...\n"
     "                 [--select NODE] [--layout auto|circle|rings|grid|scenario] [--speed D]\n"
     "                 [--out DIR]\n"
     "       dsim view SCENARIO --screenshot out.png [--at 2.5s] [--size 1280x800]\n"
     "       dsim view A.json B.json [--at T] [--size 1600x860] [--screenshot out.png]\n"
     "       dsim view SCENARIO --bench-frames N [--at T] [--size WxH]\n"
     "\n"
     "Opens a resizable window on SCENARIO: nodes coloured by role, messages moving\n"
     "along their links at the pace of simulated time, a space-time diagram below, the\n"
     "selected node's state and live statistics on the right. Everything you do to the\n"
     "cluster is recorded as a scenario action, so a session can be written out (w) and\n"
     "replayed exactly with dsim run or dsim view.\n"
     "\n"
     "Given two scenarios, one window shows both side by side on one clock, each pane\n"
     "headed by its scenario, protocol, writes accepted and refused in the last second,\n"
     "and stale reads. What you do in either pane (crash, cut, heal, skew, play, step,\n"
     "rewind, speed) happens to both, nodes matched by name; an action the other side\n"
     "cannot take (a node it lacks, a message) happens on one side and both panes say so.\n"
     "Each side stays a run of its own scenario. That window is not resizable.\n"
     "\n"
     "  --seed N            use seed N instead of the scenario's \"seed\"\n"
     "  --theme dark|light  colours (default dark; t switches)\n"
     "  --size WxH          window size, or picture size with --screenshot (1280x800)\n"
     "  --at T              start at simulated time T, such as 2.5s\n"
     "  --select NODE       show NODE's state in the side panel\n"
     "  --layout KIND       where nodes go (default: scenario positions, else a circle,\n"
     "                      rings for many nodes, a grid for a grid topology)\n"
     "  --speed D           simulated time per real second, 1ms to 100s (default: the\n"
     "                      scenario's \"view\", else so a typical message takes about half\n"
     "                      a second to cross and the first fault comes within seconds)\n"
     "  --out DIR           where w writes sessions (default: $XDG_DATA_HOME/dsim/sessions,\n"
     "                      or ~/.local/share/dsim/sessions)\n"
     "  --screenshot FILE   draw one frame at --at into a PNG file, without a display;\n"
     "                      given two scenarios, both panes at the same time\n"
     "  --plugin LIB.so     load a protocol from a shared library (see dsim help run)\n"
     "  --watchdog D        the limit for one plug-in callback (default 2s)\n"
     "  --bench-frames N    draw N frames without a display and print frames per second\n"
     "  --set PATH=VALUE    override a scenario value before loading (repeatable; as for\n"
     "                      dsim run); a session written with w keeps the overrides\n"
     "\n"
     "Keys:\n"
     "  Space            play or pause\n"
     "  Right / Left     next event / back one event\n"
     "  d / o / r        run to the next message delivery / client operation / role change\n"
     "  + / -            faster / slower (1 ms to 100 s of simulated time per second)\n"
     "  Home             back to time zero\n"
     "  c / p / i        crash or restart / pause or resume / isolate the selected server\n"
     "  x                send a client write to the selected server\n"
     "  h                heal every partition\n"
     "  g                partition the shift-clicked nodes from the rest\n"
     "  w                write the session as a scenario, NAME-session-K.json in the\n"
     "                   sessions directory (--out), and say where\n"
     "  s                save a screenshot (dsim-NAME-TIME.png, here)\n"
     "  t / l            dark or light theme / next layout\n"
     "  ? or F1          every key and mouse action; Esc closes menus and overlays\n"
     "  Ctrl+Q           quit\n"
     "\n"
     "Mouse:\n"
     "  click a node            select it; its menu crashes, restarts, pauses, resumes,\n"
     "                          isolates it or sends it a client request\n"
     "  shift-click nodes       pick a group for g\n"
     "  drag on empty canvas    cut the network: the servers on each side become a group\n"
     "  click a moving message  drop it; its decoded fields stay pinned (Esc closes)\n"
     "  shift-click a message   pin its fields without dropping it\n"
     "  hover                   a message's fields, a node's state\n"
     "  drag the time bar       rewind to any moment (re-run exactly) or jump ahead\n"
     "  click the diagram       go to the send or delivery under the pointer\n"
     "  wheel                   zoom the diagram's time span; scroll the state panel\n"
     "\n"
     "Exit status: 0 done; 2 bad input, or no display for a window (use --screenshot)."},
    {"new", cmd_new, "start a protocol of your own: a folder that builds, tests and runs",
     "usage: dsim new protocol NAME\n"
     "\n"
     "Makes the folder NAME/ with NAME.c (a small working protocol: each callback says\n"
     "when it is called and what it may do), test_NAME.c (tests with the test kit),\n"
     "NAME.json (a scenario that loads the plug-in NAME.so) and a Makefile that builds\n"
     "against an installed dsim (pkg-config dsim) or else this dsim's source tree.\n"
     "Then: cd NAME && make && make test, and dsim run NAME.json or dsim view NAME.json.\n"
     "\n"
     "NAME is a lower-case letter followed by letters, digits or '_' (at most 31), and\n"
     "not a built-in protocol's name. Exit status: 0 made; 2 a bad NAME, or NAME exists."},
    {"help", cmd_help, "show help for a command", "usage: dsim help [COMMAND]"},
    {NULL, NULL, NULL, NULL},
};

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "dsim %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see: dsim help %s)\n", cmd);
    return 2;
}

int cli_parse(const char *cmd, int argc, char **argv, const cli_flag_t *flags,
              const char **values, const char **positional, int *n_positional, int max_positional)
{
    *n_positional = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == 0) {
            if (*n_positional == max_positional) {
                cli_usage_error(cmd, "unexpected argument \"%s\"", a);
                return SIM_EINPUT;
            }
            positional[(*n_positional)++] = a;
            continue;
        }
        /* --flag=value is accepted as well as --flag value. */
        char name[64];
        const char *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        snprintf(name, sizeof name, "%.*s", (int)(len < 63 ? len : 63), a);
        int k = -1;
        for (int j = 0; flags[j].name; j++) if (strcmp(flags[j].name, name) == 0) k = j;
        if (k < 0) {
            const char *cands[32];
            int n = 0;
            for (int j = 0; flags[j].name && n < 31; j++) cands[n++] = flags[j].name;
            cands[n] = NULL;
            const char *s = scn_suggest(name, cands);
            if (s) cli_usage_error(cmd, "unknown flag %s; did you mean %s?", name, s);
            else cli_usage_error(cmd, "unknown flag %s", name);
            return SIM_EINPUT;
        }
        /* A second value would silently win over the first: say so instead. */
        if (values[k]) { cli_usage_error(cmd, "%s is given twice; give it once", name); return SIM_EINPUT; }
        if (!flags[k].takes_value) {
            if (eq) { cli_usage_error(cmd, "%s takes no value", name); return SIM_EINPUT; }
            values[k] = "";
            continue;
        }
        if (eq) values[k] = eq + 1;
        else if (i + 1 < argc) values[k] = argv[++i];
        else { cli_usage_error(cmd, "%s needs a value", name); return SIM_EINPUT; }
    }
    return SIM_OK;
}

double cli_wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

uint64_t cli_peak_rss_bytes(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)ru.ru_maxrss * 1024;   /* Linux reports kilobytes */
}

static void usage(FILE *f)
{
    fprintf(f, "dsim: a deterministic simulator of distributed systems, for learning\n\n"
               "usage: dsim COMMAND [ARGS]\n\ncommands:\n");
    for (int i = 0; cli_commands[i].name; i++) fprintf(f, "  %-10s %s\n", cli_commands[i].name, cli_commands[i].summary);
    fprintf(f, "\nRun 'dsim help COMMAND' for a command's flags. Scenarios are in scenarios/.\n");
}

/* Text for roff: a backslash is \e, a line may not start with a dot or a quote, and
 * dashes in flags are \- (so they can be searched for and copied). */
static void roff_text(const char *t)
{
    bool bol = true;
    for (; *t; t++) {
        if (bol && (*t == '.' || *t == '\'')) fputs("\\&", stdout);
        bol = *t == '\n';
        if (*t == '\\') fputs("\\e", stdout);
        else if (*t == '-') fputs("\\-", stdout);
        else putchar(*t);
    }
}

/* The manual page dsim(1), made from the same texts as dsim help: it cannot fall
 * behind a command or a flag. make install writes it. */
static void man_page(void)
{
    printf(".TH DSIM 1 \"\" \"dsim\" \"User Commands\"\n"
           ".SH NAME\ndsim \\- a deterministic simulator of distributed systems, for learning\n"
           ".SH SYNOPSIS\n.B dsim\n.I COMMAND\n.RI [ ARGS ]\n"
           ".SH DESCRIPTION\n"
           "A cluster of nodes runs a protocol and exchanges messages over a simulated network with\n"
           "latency, loss, duplication, partitions, crashes, pauses and skewed clocks. The same\n"
           "scenario with the same seed always gives the same run, event for event. Protocols are\n"
           "built in, or written by you as plug-ins: see\n.BR new .\n"
           ".SH COMMANDS\n");
    for (int i = 0; cli_commands[i].name; i++) {
        printf(".SS %s\n", cli_commands[i].name);
        roff_text(cli_commands[i].summary);
        printf(".\n.PP\n.nf\n");
        roff_text(cli_commands[i].usage);
        printf("\n.fi\n");
    }
    printf(".SH EXIT STATUS\n0 success; 1 a check failed; 2 bad input (a file or a flag), with a message naming\n"
           "the file, the JSON path, what was expected and what was found; 3 a protocol invariant\n"
           "was violated; 4 a plug-in protocol crashed or hung.\n"
           ".SH FILES\n.TP\n.I PREFIX/share/dsim/scenarios\nexample scenarios; a relative path that does not exist\n"
           "in the current folder is looked for here too\n.TP\n.I PREFIX/share/dsim/lessons\nlessons\n"
           ".TP\n.I PREFIX/include/dsim, PREFIX/lib/libdsim.a, PREFIX/lib/pkgconfig/dsim.pc\n"
           "the protocol interface, the test kit and the library, for plug-ins (pkg-config dsim)\n");
}

int cmd_help(int argc, char **argv)
{
    if (argc < 2) { usage(stdout); return 0; }
    if (strcmp(argv[1], "--man") == 0) { man_page(); return 0; }
    for (int i = 0; cli_commands[i].name; i++)
        if (strcmp(cli_commands[i].name, argv[1]) == 0) { puts(cli_commands[i].usage); return 0; }
    const char *cands[32];
    int n = 0;
    for (int i = 0; cli_commands[i].name && n < 31; i++) cands[n++] = cli_commands[i].name;
    cands[n] = NULL;
    const char *s = scn_suggest(argv[1], cands);
    fprintf(stderr, "dsim help: no command \"%s\"%s%s%s\n", argv[1], s ? "; did you mean \"" : "", s ? s : "", s ? "\"?" : "");
    return 2;
}

/* An installed dsim is PREFIX/bin/dsim, its data PREFIX/share/dsim: found from where
 * the program is, so a staged install (DESTDIR) and a moved one work as well. */
static void share_dir_find(void)
{
    static char dir[4096];
    ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 32);
    if (n <= 0) return;
    dir[n] = 0;
    char *slash = strrchr(dir, '/');
    if (!slash) return;
    snprintf(slash, sizeof dir - (size_t)(slash - dir), "/../share/dsim");
    struct stat st;
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) scn_share_dir = dir;
}

const proto_t *cli_plugins[PLUGIN_MAX];
int cli_n_plugins;
char cli_plugin_args[1024];

/* --plugin PATH (any number) and --watchdog D, taken out of argv before the command
 * sees it: run, view, validate and list all load plug-ins the same way, and the
 * replay command a report prints repeats the plug-ins (cli_plugin_args). */
static int plugin_flags_take(const char *cmd, int *argc, char **argv)
{
    static const char *const takes[] = {"run", "view", "validate", "list", "swarm", "sweep", NULL};
    bool ok = false;
    for (int i = 0; takes[i]; i++) ok = ok || strcmp(cmd, takes[i]) == 0;
    if (!ok) return 0;
    int out = 2;
    for (int i = 2; i < *argc; i++) {
        const char *a = argv[i];
        bool plug = strncmp(a, "--plugin", 8) == 0 && (a[8] == 0 || a[8] == '=');
        bool dog = strncmp(a, "--watchdog", 10) == 0 && (a[10] == 0 || a[10] == '=');
        if (!plug && !dog) { argv[out++] = argv[i]; continue; }
        const char *v = strchr(a, '=') ? strchr(a, '=') + 1 : (i + 1 < *argc ? argv[++i] : NULL);
        if (!v) return cli_usage_error(cmd, "%s needs a value", plug ? "--plugin" : "--watchdog");
        if (dog) {
            sim_time_t d;
            if (sim_parse_duration(v, false, &d) != SIM_OK || d < 0)
                return cli_usage_error(cmd, "--watchdog: expected a duration such as \"2s\" (0s: no watchdog), found \"%s\"", v);
            plugin_set_watchdog(d);
            continue;
        }
        char err[1024];
        const proto_t *p = plugin_load(v, err, sizeof err);
        if (!p) { fprintf(stderr, "dsim %s: --plugin: %s\n", cmd, err); return 2; }
        if (cli_n_plugins < PLUGIN_MAX) cli_plugins[cli_n_plugins++] = p;
        size_t n = strlen(cli_plugin_args);
        snprintf(cli_plugin_args + n, sizeof cli_plugin_args - n, " --plugin %s", v);
    }
    *argc = out;
    argv[out] = NULL;
    return 0;
}

int main(int argc, char **argv)
{
    share_dir_find();
    if (argc < 2) { usage(stderr); return 2; }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) { usage(stdout); return 0; }
    for (int i = 0; cli_commands[i].name; i++) {
        if (strcmp(cli_commands[i].name, argv[1]) != 0) continue;
        for (int j = 2; j < argc; j++)
            if (strcmp(argv[j], "--help") == 0 || strcmp(argv[j], "-h") == 0) { puts(cli_commands[i].usage); return 0; }
        if (plugin_flags_take(argv[1], &argc, argv) != 0) return 2;
        return cli_commands[i].fn(argc - 1, argv + 1);
    }
    const char *cands[32];
    int n = 0;
    for (int i = 0; cli_commands[i].name && n < 31; i++) cands[n++] = cli_commands[i].name;
    cands[n] = NULL;
    const char *s = scn_suggest(argv[1], cands);
    fprintf(stderr, "dsim: unknown command \"%s\"%s%s%s\n\n", argv[1], s ? "; did you mean \"" : "", s ? s : "", s ? "\"?" : "");
    usage(stderr);
    return 2;
}
