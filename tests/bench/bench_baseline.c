/* bench_baseline.c -- the floor: a bare heap-and-pool loop doing the gossip
 * benchmark's work with nothing else (no network model, statistics or trace hash).
 *
 * N nodes each fire a timer after Exp(1s), send one message to a uniformly random
 * other node over a link with latency uniform in [0.5ms, 1.5ms), and re-arm. dsim's
 * `bench gossip` is compared against this figure on the same machine.
 *
 * usage: bench_baseline N SECONDS
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct { int64_t at; uint64_t seq; uint32_t node; uint8_t msg; } item_t;

static item_t *heap;
static uint32_t n_heap;
static uint64_t seq, rs = 0x853c49e6748fea9bULL;

static uint64_t next(void)
{
    rs += 0x9e3779b97f4a7c15ULL;
    uint64_t z = rs;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static double unif(void) { return (double)(next() >> 11) * 0x1.0p-53; }
static int less(const item_t *a, const item_t *b) { return a->at < b->at || (a->at == b->at && a->seq < b->seq); }

static void push(int64_t at, uint32_t node, uint8_t msg)
{
    item_t e = {at, seq++, node, msg};
    uint32_t i = n_heap++;
    while (i && less(&e, &heap[(i - 1) / 2])) { heap[i] = heap[(i - 1) / 2]; i = (i - 1) / 2; }
    heap[i] = e;
}

static item_t pop(void)
{
    item_t top = heap[0], last = heap[--n_heap];
    uint32_t i = 0;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n_heap) break;
        if (c + 1 < n_heap && less(&heap[c + 1], &heap[c])) c++;
        if (!less(&heap[c], &last)) break;
        heap[i] = heap[c];
        i = c;
    }
    heap[i] = last;
    return top;
}

int main(int argc, char **argv)
{
    uint32_t n = argc > 1 ? (uint32_t)atoi(argv[1]) : 1000;
    double secs = argc > 2 ? atof(argv[2]) : 1000;
    int64_t end = (int64_t)(secs * 1e9);
    heap = calloc((size_t)n * 2 + 1024, sizeof *heap);
    for (uint32_t i = 0; i < n; i++) push((int64_t)(-log1p(-unif()) * 1e9), i, 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t delivered = 0, events = 0;
    while (n_heap && heap[0].at <= end) {
        item_t e = pop();
        events++;
        if (e.msg) { delivered++; continue; }
        uint32_t to = (uint32_t)(((unsigned __int128)next() * (n - 1)) >> 64);
        if (to >= e.node) to++;
        push(e.at + 500000 + (int64_t)(unif() * 1e6), to, 1);
        push(e.at + (int64_t)(-log1p(-unif()) * 1e9), e.node, 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    printf("{\"baseline\":true,\"nodes\":%u,\"sim_seconds\":%g,\"events\":%llu,\"delivered\":%llu,"
           "\"wall_seconds\":%.3f,\"delivered_per_second\":%.0f}\n",
           n, secs, (unsigned long long)events, (unsigned long long)delivered, wall, (double)delivered / wall);
    free(heap);
    return 0;
}
