/* axvk bench: llama-bench's options and tables for any Vulkan GPU, with no model download —
 * synthetic models of real shapes (A.X 4.0, Qwen2.5) are made on the device in seconds. Walks
 * the chosen devices one after the other (one table for all), picks what to run on each, and
 * hands the timing to bench_run.c and the printing to bench_report.c / bench_svg.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/wtype.h"
#include "bench.h"
#include "cli.h"
#include "commands.h"
#include "kernels/basic.h"
#include "model/model.h"
#include "model/presets.h"
#include "model/quant_mix.h"
#include "vk/device.h"

#define MAX_LIST 32
#define MAX_MODELS 32
#define MAX_DEVICES 16
#define MAX_NOTES 64

/* Defaults on CPU implementations (lavapipe): the GPU defaults would take many minutes there. */
#define CPU_PROMPT 64
#define CPU_GEN 16
#define CPU_REPS 2

struct u32_list {
    uint32_t v[MAX_LIST];
    uint32_t n;
};

struct bench_args {
    const char *models[MAX_MODELS];   /* -m FILE */
    uint32_t n_models;
    const char *synth[MAX_MODELS];    /* --synthetic PRESET[:TYPE] */
    uint32_t n_synth;
    struct u32_list prompt, gen, depth, batch, ubatch, pg;
    uint32_t reps;
    int given_prompt, given_gen, given_reps;
    enum bench_format fmt;
    const char *device;               /* --device N|NAME|all|N,M,... */
    const char *plot;
    uint32_t kv_type;
    int profile;
    uint64_t seed;
};

/* Notes printed under the markdown table (on stderr for the other formats). */
struct notes {
    char text[MAX_NOTES][320];
    const char *ptr[MAX_NOTES];
    uint32_t n;
};

static void note(struct notes *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct notes *n, const char *fmt, ...)
{
    if (n->n == MAX_NOTES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(n->text[n->n], sizeof n->text[n->n], fmt, ap);
    va_end(ap);
    n->ptr[n->n] = n->text[n->n];
    n->n++;
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: axvk bench [options]   (llama-bench's options; lists: 1,2,3 or the flag repeated)\n"
        "  -m, --model FILE          GGUF file or Hugging Face directory (repeatable)\n"
        "  --synthetic PRESET[:TYPE] random weights of a real shape made on the device, e.g.\n"
        "                            ax4-light:q4_k_m, ax4:q4_k_m, qwen2.5-0.5b:q8_0, tiny:f16\n"
        "                            (TYPE default q4_k_m). With no -m and no --synthetic: per\n"
        "                            device, the largest of ax4, ax4-light (then smaller Qwen2.5)\n"
        "                            at q4_k_m that fits its memory; qwen2.5-0.5b on CPU devices\n"
        "  -p, --n-prompt N          prompt tokens of the pp test (default 512; 0: none)\n"
        "  -n, --n-gen N             generated tokens of the tg test (default 128; 0: none)\n"
        "  -pg P,N                   prompt then generation in one test (repeatable)\n"
        "  -d, --n-depth N           tokens already in the cache when timing starts (default 0)\n"
        "  -b, --batch-size N        logical batch (default 2048)\n"
        "  -ub, --ubatch-size N      physical batch: prompt tokens per submission (default 512)\n"
        "  -r, --repetitions N       timed runs per test (default 5), after one warm-up\n"
        "  -ctk, --kv-type f16|q8_0  KV cache type (default f16)\n"
        "  -o, --output md|csv|json|jsonl   format on stdout (default md)\n"
        "  --device N|NAME|all|N,M   devices, one after the other, in one table\n"
        "                            (default: $AXVK_DEVICE, else the best one)\n"
        "  --profile                 add GPU time per kernel to each test (timestamps)\n"
        "  --plot FILE.svg           also draw the results as a bar chart\n"
        "  --seed N                  of the synthetic weights and the prompt tokens (default 1)\n"
        "On CPU devices (lavapipe) the defaults are -p %d -n %d -r %d unless given.\n"
        "Generation rows show the bandwidth the weights and KV cache are read at, and its share\n"
        "of the device's measured copy bandwidth (axvk bandwidth): how close to the hardware.\n",
        CPU_PROMPT, CPU_GEN, CPU_REPS);
}

/* Appends "a,b,c" to l; -1 with a message when not a list of integers. */
static int parse_list(const char *flag, const char *value, struct u32_list *l)
{
    char buf[256];
    if (!value || strlen(value) >= sizeof buf) {
        fprintf(stderr, "axvk: %s needs a value\n", flag);
        return -1;
    }
    snprintf(buf, sizeof buf, "%s", value);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (l->n == MAX_LIST) {
            fprintf(stderr, "axvk: %s: at most %d values\n", flag, MAX_LIST);
            return -1;
        }
        if (cli_u32(flag, tok, &l->v[l->n]))
            return -1;
        l->n++;
    }
    return 0;
}

static int parse_format(const char *v, enum bench_format *fmt)
{
    static const char *const names[] = {"md", "csv", "json", "jsonl"};
    for (int i = 0; i < 4; i++)
        if (v && !strcmp(v, names[i])) {
            *fmt = (enum bench_format)i;
            return 0;
        }
    fprintf(stderr, "axvk: -o: \"%s\": expected md, csv, json or jsonl\n", v ? v : "");
    return -1;
}

static int is(const char *a, const char *s1, const char *s2)
{
    return !strcmp(a, s1) || (s2 && !strcmp(a, s2));
}

/* 0 parsed, 1 --help, -1 bad arguments (message printed). */
static int parse_args(int argc, char **argv, struct bench_args *a)
{
    a->reps = 5;
    a->seed = 1;
    a->kv_type = WTYPE_F16;
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
        if (is(f, "-h", "--help"))
            return 1;
        if (is(f, "--profile", NULL)) {
            a->profile = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "axvk: %s needs a value\n", f);
            return -1;
        }
        if (is(f, "-m", "--model") || is(f, "--synthetic", NULL)) {
            int file = f[1] != '-' || !strcmp(f, "--model");
            uint32_t *n = file ? &a->n_models : &a->n_synth;
            if (*n == MAX_MODELS) {
                fprintf(stderr, "axvk: at most %d models of each kind\n", MAX_MODELS);
                return -1;
            }
            (file ? a->models : a->synth)[(*n)++] = v;
        } else if (is(f, "-p", "--n-prompt")) {
            bad = parse_list(f, v, &a->prompt);
            a->given_prompt = 1;
        } else if (is(f, "-n", "--n-gen")) {
            bad = parse_list(f, v, &a->gen);
            a->given_gen = 1;
        } else if (is(f, "-pg", NULL)) {
            uint32_t before = a->pg.n;
            bad = parse_list(f, v, &a->pg) || a->pg.n != before + 2;
            if (bad && a->pg.n != before + 2)
                fprintf(stderr, "axvk: -pg takes two numbers: PROMPT,GEN\n");
        } else if (is(f, "-d", "--n-depth")) {
            bad = parse_list(f, v, &a->depth);
        } else if (is(f, "-b", "--batch-size")) {
            bad = parse_list(f, v, &a->batch);
        } else if (is(f, "-ub", "--ubatch-size")) {
            bad = parse_list(f, v, &a->ubatch);
        } else if (is(f, "-r", "--repetitions")) {
            bad = cli_u32(f, v, &a->reps) != 0;
            if (!bad && (a->reps < 1 || a->reps > BENCH_MAX_REPS)) {
                fprintf(stderr, "axvk: -r: 1 to %d\n", BENCH_MAX_REPS);
                bad = 1;
            }
            a->given_reps = 1;
        } else if (is(f, "-ctk", "--kv-type") || is(f, "-ctv", NULL)) {
            int t = wtype_from_name(v);
            bad = t != WTYPE_F16 && t != WTYPE_Q8_0;
            if (bad)
                fprintf(stderr, "axvk: %s: \"%s\": expected f16 or q8_0\n", f, v);
            else
                a->kv_type = (uint32_t)t;
        } else if (is(f, "-o", "--output")) {
            bad = parse_format(v, &a->fmt);
        } else if (is(f, "--device", "-dev")) {
            a->device = v;
        } else if (is(f, "--plot", NULL)) {
            a->plot = v;
        } else if (is(f, "--seed", NULL)) {
            bad = cli_u64(f, v, &a->seed) != 0;
        } else {
            fprintf(stderr, "axvk: bench: unknown option %s\n", f);
            return -1;
        }
        if (bad)
            return -1;
        i++;
    }
    /* llama-bench's defaults */
    struct {
        struct u32_list *l;
        uint32_t value;
    } defaults[] = {{&a->prompt, 512}, {&a->gen, 128}, {&a->depth, 0}, {&a->batch, 2048},
                    {&a->ubatch, 512}};
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        if (!defaults[i].l->n)
            defaults[i].l->v[defaults[i].l->n++] = defaults[i].value;
    for (uint32_t i = 0; i < MAX_LIST; i++)
        if ((i < a->ubatch.n && !a->ubatch.v[i]) || (i < a->batch.n && !a->batch.v[i])) {
            fprintf(stderr, "axvk: batch sizes must be positive\n");
            return -1;
        }
    return 0;
}

/* Device indices to run on, in order (the same index may come twice). */
static int choose_devices(const char *sel, uint32_t *idx, uint32_t *n)
{
    struct vkdev_info *list = NULL;
    uint32_t count = 0;
    struct err err = {0};
    *n = 0;
    axvk_status st = vkdev_list(&list, &count, &err);
    if (st || !count) {
        fprintf(stderr, "axvk: no usable Vulkan device: %s\n", st ? err.msg : "none listed");
        mem_free(list);
        return -1;
    }
    int rc = 0;
    if (sel && !strcmp(sel, "all")) {
        for (uint32_t i = 0; i < count && *n < MAX_DEVICES; i++)
            if (list[i].usable)
                idx[(*n)++] = i;
            else
                fprintf(stderr, "axvk: skipping device %u (%s): %s\n", i, list[i].name,
                        list[i].unusable_reason);
    } else if (sel && strchr(sel, ',')) {
        struct u32_list l = {0};
        rc = parse_list("--device", sel, &l);
        for (uint32_t i = 0; !rc && i < l.n && *n < MAX_DEVICES; i++) {
            if (l.v[i] >= count) {
                fprintf(stderr, "axvk: --device: no device %u (%u listed)\n", l.v[i], count);
                rc = -1;
            }
            idx[(*n)++] = l.v[i];
        }
    } else if ((st = vkdev_select(list, count, sel, &idx[0], &err))) {
        fprintf(stderr, "axvk: %s\n", err.msg);
        rc = -1;
    } else {
        *n = 1;
    }
    mem_free(list);
    return rc || !*n ? -1 : 0;
}

static void device_row(struct bench_device *d, const struct vkdev *dev, uint32_t slot)
{
    const struct vkdev_info *i = &dev->info;
    memset(d, 0, sizeof *d);
    d->slot = slot;
    d->index = i->index;
    snprintf(d->name, sizeof d->name, "%s", i->name);
    snprintf(d->vendor, sizeof d->vendor, "%s", i->vendor);
    snprintf(d->type, sizeof d->type, "%s", i->type_name);
    snprintf(d->driver_name, sizeof d->driver_name, "%s", i->driver_name);
    snprintf(d->driver_version, sizeof d->driver_version, "%s", i->driver_version_str);
    snprintf(d->api_version, sizeof d->api_version, "%u.%u.%u",
             VK_API_VERSION_MAJOR(i->api_version), VK_API_VERSION_MINOR(i->api_version),
             VK_API_VERSION_PATCH(i->api_version));
    d->memory_bytes = i->budget_bytes ? i->budget_bytes : i->device_local_bytes;
    d->cpu = i->type == VK_PHYSICAL_DEVICE_TYPE_CPU;
}

/* llama.cpp's names of the file types ("Q4_K - Medium"). */
static const char *scheme_label(int scheme)
{
    switch (scheme) {
    case QUANT_F32: return "all F32";
    case QUANT_F16: return "F16";
    case QUANT_BF16: return "BF16";
    case QUANT_Q8_0: return "Q8_0";
    case QUANT_Q4_0: return "Q4_0";
    case QUANT_Q4_1: return "Q4_1";
    case QUANT_Q5_0: return "Q5_0";
    case QUANT_Q5_1: return "Q5_1";
    case QUANT_Q4_K_S: return "Q4_K - Small";
    case QUANT_Q4_K_M: return "Q4_K - Medium";
    case QUANT_Q5_K_S: return "Q5_K - Small";
    case QUANT_Q5_K_M: return "Q5_K - Medium";
    case QUANT_Q6_K: return "Q6_K";
    }
    return "?";
}

/* llama-bench's model_type, "qwen2 7.6B Q4_K - Medium": what, how many parameters, which type. */
static void model_type(char *out, size_t size, const char *what, uint64_t params, const char *type)
{
    if (params >= 1000000000ull)
        snprintf(out, size, "%s %.1fB %s", what, (double)params / 1e9, type);
    else if (params >= 1000000ull)
        snprintf(out, size, "%s %.0fM %s", what, (double)params / 1e6, type);
    else
        snprintf(out, size, "%s %.0fK %s", what, (double)params / 1e3, type);
}

/* The per-device plan: the shared lists, with smaller defaults on CPU devices. */
static void device_plan(const struct bench_args *a, const struct bench_device *d,
                        struct bench_plan *p, struct u32_list *cpu_prompt, struct u32_list *cpu_gen,
                        struct notes *notes)
{
    *p = (struct bench_plan){.n_prompt = a->prompt.v, .n_n_prompt = a->prompt.n,
                             .n_gen = a->gen.v, .n_n_gen = a->gen.n, .depth = a->depth.v,
                             .n_depth = a->depth.n, .batch = a->batch.v, .n_batch = a->batch.n,
                             .ubatch = a->ubatch.v, .n_ubatch = a->ubatch.n, .pg = a->pg.v,
                             .n_pg = a->pg.n / 2, .reps = a->reps, .kv_type = a->kv_type,
                             .profile = a->profile, .seed = a->seed};
    if (!d->cpu || (a->given_prompt && a->given_gen && a->given_reps))
        return;
    *cpu_prompt = (struct u32_list){.v = {CPU_PROMPT}, .n = 1};
    *cpu_gen = (struct u32_list){.v = {CPU_GEN}, .n = 1};
    if (!a->given_prompt)
        p->n_prompt = cpu_prompt->v, p->n_n_prompt = 1;
    if (!a->given_gen)
        p->n_gen = cpu_gen->v, p->n_n_gen = 1;
    if (!a->given_reps)
        p->reps = CPU_REPS;
    note(notes, "device %u (%s) is a CPU implementation: defaults reduced to -p %u -n %u -r %u "
         "(give -p, -n, -r to override)", d->index, d->name, p->n_prompt[0], p->n_gen[0], p->reps);
}

/* No model given: the largest preset at q4_k_m whose plan fits the device. A.X first; CPU devices
 * (minutes per token at 7B) go straight to the smallest Qwen2.5. */
static const char *auto_model(const struct vkdev *dev, const struct bench_device *d,
                              const struct bench_plan *p, struct notes *notes)
{
    static const char *const gpu[] = {"ax4", "ax4-light", "qwen2.5-3b", "qwen2.5-1.5b",
                                      "qwen2.5-0.5b", "tiny"};
    static const char *const cpu[] = {"qwen2.5-0.5b", "tiny"};
    const char *const *list = d->cpu ? cpu : gpu;
    size_t n = d->cpu ? 2 : 6;
    uint32_t chunk = 0;
    for (uint32_t i = 0; i < p->n_ubatch; i++)
        chunk = p->ubatch[i] > chunk ? p->ubatch[i] : chunk;
    for (size_t i = 0; i < n; i++) {
        const struct model_preset *preset = preset_find(list[i]);
        struct model_opts o = {.n_ctx = bench_plan_ctx(p), .n_seq = 1, .kv_type = p->kv_type};
        struct model_plan plan;
        struct err err = {0};
        int scheme = strcmp(list[i], "tiny") ? QUANT_Q4_K_M : QUANT_Q8_0;
        if (!preset || model_plan_synthetic(preset, scheme, &o, chunk, &dev->info, &plan, &err) ||
            plan.need > plan.avail)
            continue;
        if (d->cpu)
            note(notes, "device %u (%s): no model given: synthetic %s:%s (%.2f of %.2f GiB with "
                 "cache and scratch), the smallest real shape, as the device is a CPU", d->index,
                 d->name, list[i], quant_scheme_name(scheme), (double)plan.need / (1 << 30),
                 (double)plan.avail / (1 << 30));
        else
            note(notes, "device %u (%s): no model given: synthetic %s:%s, the largest preset "
                 "that fits (%.2f of %.2f GiB with cache and scratch)", d->index, d->name,
                 list[i], quant_scheme_name(scheme), (double)plan.need / (1 << 30),
                 (double)plan.avail / (1 << 30));
        return list[i];
    }
    return NULL;
}

/* Makes (or loads) one model on dev and runs the plan on it. */
static int run_model(struct vkdev *dev, const struct bench_device *d, const char *file,
                     const char *spec, const struct bench_plan *p, struct bench_results *out)
{
    struct model *m = NULL;
    struct err err = {0};
    struct bench_result *base = mem_calloc(1, sizeof *base);
    if (!base) {
        fprintf(stderr, "axvk: out of memory\n");
        return -1;
    }
    base->dev = *d;
    snprintf(base->type_kv, sizeof base->type_kv, "%s", wtype_get(p->kv_type)->name);
    struct model_opts o = {.n_ctx = bench_plan_ctx(p), .n_seq = 1, .kv_type = p->kv_type,
                           .quant_scheme = -1, .progress = isatty(2) ? cli_progress : NULL,
                           .progress_user = (void *)(file ? "loading" : "making weights")};
    axvk_status st;
    if (file) {
        fprintf(stderr, "bench: device %u (%s): loading %s\n", d->index, d->name, file);
        st = model_load(&m, dev, file, &o, &err);
        if (!st) {
            snprintf(base->model_filename, sizeof base->model_filename, "%s", file);
            char type[16];
            snprintf(type, sizeof type, "%s", wtype_get(m->main_type)->name);
            for (char *c = type; *c; c++)
                *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
            model_type(base->model_type, sizeof base->model_type,
                       model_arch_name(m->hp.arch), m->n_params, type);
        }
    } else {
        const struct model_preset *preset;
        fprintf(stderr, "bench: device %u (%s): making synthetic %s on the device\n", d->index,
                d->name, spec);
        st = model_synthetic_spec(spec, &preset, &o.quant_scheme, &err);
        if (!st)
            st = model_create_synthetic(&m, dev, preset, p->seed, &o, &err);
        if (!st) {
            snprintf(base->model_filename, sizeof base->model_filename, "synthetic:%s:%s",
                     preset->name, quant_scheme_name(o.quant_scheme));
            model_type(base->model_type, sizeof base->model_type, preset->name, m->n_params,
                       scheme_label(o.quant_scheme));
        }
    }
    if (!st) {
        base->model_size = m->weight_bytes;
        base->model_n_params = m->n_params;
        st = bench_model(m, base, p, out, &err);
    }
    model_destroy(m);
    mem_free(base);
    if (st) {
        /* the message names the file or the synthetic model itself */
        fprintf(stderr, "axvk: device %u (%s): %s\n", d->index, d->name, err.msg);
        return -1;
    }
    return 0;
}

/* Everything on one device: its copy bandwidth, then each model. */
static int run_device(const struct bench_args *a, uint32_t index, uint32_t slot,
                      struct bench_results *out, struct notes *notes)
{
    char sel[16];
    snprintf(sel, sizeof sel, "%u", index);
    struct vkdev *dev = NULL;
    struct err err = {0};
    if (vkdev_create(sel, &dev, &err)) {
        fprintf(stderr, "axvk: device %u: %s\n", index, err.msg);
        return -1;
    }
    struct bench_device d;
    struct kern_bandwidth bw;
    struct bench_plan plan;
    struct u32_list cpu_prompt, cpu_gen;
    int failed = 0;
    device_row(&d, dev, slot);
    fprintf(stderr, "bench: device %u (%s): measuring copy bandwidth\n", index, d.name);
    if (kern_copy_bandwidth(dev, 0, 0, &bw, &err)) {
        fprintf(stderr, "axvk: device %u: copy bandwidth: %s\n", index, err.msg);
        vkdev_destroy(dev);
        return -1;
    }
    d.copy_gbps = bw.gbps;
    note(notes, "device %u (%s, %s %s, Vulkan %s): copy bandwidth %.1f GB/s (read + write)",
         index, d.name, d.driver_name, d.driver_version, d.api_version, d.copy_gbps);
    device_plan(a, &d, &plan, &cpu_prompt, &cpu_gen, notes);
    for (uint32_t i = 0; i < a->n_models; i++)
        failed |= run_model(dev, &d, a->models[i], NULL, &plan, out);
    for (uint32_t i = 0; i < a->n_synth; i++)
        failed |= run_model(dev, &d, NULL, a->synth[i], &plan, out);
    if (!a->n_models && !a->n_synth) {
        const char *spec = auto_model(dev, &d, &plan, notes);
        char full[64];
        if (spec) {
            snprintf(full, sizeof full, "%s:%s", spec, strcmp(spec, "tiny") ? "q4_k_m" : "q8_0");
            failed |= run_model(dev, &d, NULL, full, &plan, out);
        } else {
            fprintf(stderr, "axvk: device %u (%s): no preset fits its memory\n", index, d.name);
            failed = 1;
        }
    }
    vkdev_destroy(dev);
    return failed ? -1 : 0;
}

int cmd_bench(int argc, char **argv)
{
    struct bench_args *a = mem_calloc(1, sizeof *a);
    struct notes *notes = mem_calloc(1, sizeof *notes);
    struct bench_results results = {0};
    uint32_t devices[MAX_DEVICES], n_devices = 0;
    int rc = 0;
    if (!a || !notes) {
        fprintf(stderr, "axvk: out of memory\n");
        rc = 1;
        goto done;
    }
    int parsed = parse_args(argc, argv, a);
    if (parsed) {
        usage(parsed > 0 ? stdout : stderr);
        rc = parsed > 0 ? 0 : 2;
        goto done;
    }
    for (uint32_t i = 0; i < a->n_synth; i++) { /* before any device work */
        const struct model_preset *preset;
        int scheme;
        struct err err = {0};
        if (model_synthetic_spec(a->synth[i], &preset, &scheme, &err)) {
            fprintf(stderr, "axvk: --synthetic: %s\n", err.msg);
            rc = 1;
            goto done;
        }
    }
    if (choose_devices(a->device, devices, &n_devices)) {
        rc = 1;
        goto done;
    }
    for (uint32_t i = 0; i < n_devices; i++)
        if (run_device(a, devices[i], i, &results, notes))
            rc = 1;
    if (a->fmt == BENCH_MD && results.n) {
        bench_print(stdout, a->fmt, &results, notes->ptr, notes->n);
    } else {
        if (results.n || a->fmt == BENCH_JSON)
            bench_print(stdout, a->fmt, &results, NULL, 0);
        for (uint32_t i = 0; i < notes->n; i++)
            fprintf(stderr, "bench: %s\n", notes->ptr[i]);
    }
    if (a->plot && results.n && bench_svg_write(a->plot, &results))
        rc = 1;
done:
    mem_free(results.rows);
    mem_free(notes);
    mem_free(a);
    return rc;
}
