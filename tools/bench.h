/* bench: what `axvk bench` measures and prints. cmd_bench.c parses llama-bench's options and
 * walks devices and models; bench_run.c times the tests of one model on one device;
 * bench_report.c prints the results as llama-bench does (md, csv, json, jsonl); bench_svg.c
 * draws them. Results go to stdout, progress to stderr. */
#ifndef AXVK_TOOLS_BENCH_H
#define AXVK_TOOLS_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"

#define BENCH_MAX_REPS 100
#define BENCH_MAX_PROF 48

enum bench_format { BENCH_MD, BENCH_CSV, BENCH_JSON, BENCH_JSONL };

/* One device of the run, as every result row names it. */
struct bench_device {
    uint32_t slot;           /* position in the run (--device 0,0 runs device 0 twice) */
    uint32_t index;          /* Vulkan device index, as --device and `axvk devices` number it */
    char name[256];
    char vendor[32];
    char type[16];           /* "discrete", "integrated", "cpu", ... */
    char driver_name[256];
    char driver_version[64];
    char api_version[32];
    uint64_t memory_bytes;   /* budget, else the device-local heap */
    double copy_gbps;        /* measured copy bandwidth (read + write): the roofline */
    int cpu;                 /* a CPU implementation (lavapipe): smaller defaults */
};

/* Time per kernel summed over a test's timed repetitions. */
struct bench_prof {
    char kernel[48];
    uint32_t calls;
    double ms;
};

/* One row of the output: a test of one model on one device, over its repetitions. */
struct bench_result {
    struct bench_device dev;
    char model_filename[256];  /* the file, or "synthetic:PRESET:TYPE" */
    char model_type[96];       /* llama-bench's "qwen2 7B Q4_K - Medium" */
    uint64_t model_size;       /* weight bytes on the device */
    uint64_t model_n_params;
    char type_kv[8];           /* KV cache type: "f16", "q8_0" */
    uint32_t n_batch, n_ubatch;
    uint32_t n_prompt, n_gen, n_depth;
    char test[48];             /* "pp512", "tg128", "pp512+tg128", "... @ d4096" */
    char test_time[32];        /* ISO 8601 UTC, when the test started */
    uint32_t n_samples;
    double samples_ns[BENCH_MAX_REPS];
    double samples_ts[BENCH_MAX_REPS];
    double avg_ns, stddev_ns, avg_ts, stddev_ts;
    /* generation tests: bytes one token reads (weights + KV cache at the test's mean length),
     * the bandwidth that makes at avg_ts, and its share of the device's copy bandwidth */
    double bytes_per_token;
    double gbps;
    double pct_copy;
    uint32_t n_prof;           /* --profile: time per kernel, most first */
    struct bench_prof prof[BENCH_MAX_PROF];
};

/* What to run on each (model, device). */
struct bench_plan {
    const uint32_t *n_prompt, *n_gen, *depth, *batch, *ubatch;
    uint32_t n_n_prompt, n_n_gen, n_depth, n_batch, n_ubatch;
    const uint32_t *pg;        /* pairs (prompt, gen) */
    uint32_t n_pg;
    uint32_t reps;
    uint32_t kv_type;          /* WTYPE_F16 or WTYPE_Q8_0 */
    int profile;
    uint64_t seed;             /* of the random prompt tokens */
};

/* Growable list of results. */
struct bench_results {
    struct bench_result *rows;
    uint32_t n;
    size_t cap;
};

/* The context a plan needs: the largest depth + prompt + generated tokens of its tests. */
uint32_t bench_plan_ctx(const struct bench_plan *plan);

/* Runs every test of the plan on model m (on its device), appending one row per test to out;
 * each row starts as a copy of `base` (device and model fields). Progress goes to stderr. */
struct model;
axvk_status bench_model(struct model *m, const struct bench_result *base,
                        const struct bench_plan *plan, struct bench_results *out,
                        struct err *err);

/* The test name of (prompt, gen, depth) as llama-bench writes it. */
void bench_test_name(char *out, size_t size, uint32_t n_prompt, uint32_t n_gen, uint32_t depth);

/* Prints results in a format to f; `notes` (may be NULL) are lines under a markdown table. */
void bench_print(FILE *f, enum bench_format fmt, const struct bench_results *r,
                 const char *const *notes, uint32_t n_notes);

/* Writes a bar chart (t/s per device, one panel per model and test) as an SVG file. */
int bench_svg_write(const char *path, const struct bench_results *r);

#endif
