/* sample: dispatch plans of argmax and of the sampling chain (sort into runs, merge runs by rank
 * until one is left, final draw), the per-row settings and the penalty window count.
 * Arithmetic lives in the shaders; the plan here only sizes scratch and groups. */
#include "kernels/sample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

#define ARGMAX_MAX_GROUPS 128

/* Runs merged per group. While runs still grow (the whole vocabulary kept), and for any run
 * longer than a chunk, pairs are merged along the merge path (sample_merge_pairs: about one load
 * per entry and level); short runs cut to `keep` are merged eight at a time by rank
 * (sample_merge: a binary search per entry and other run, but fewer levels and dispatches). */
#define MERGE_FAN_IN 8
#define PAIR_SPAN 16 /* outputs per invocation of sample_merge_pairs */
#define SCRATCH_ALIGN 256 /* the largest minStorageBufferOffsetAlignment Vulkan allows */

static uint64_t fan_in(uint64_t len, uint64_t keep)
{
    return len * 2 <= keep || len > SAMPLE_CHUNK ? 2 : MERGE_FAN_IN;
}

static uint64_t align_up(uint64_t v)
{
    return (v + SCRATCH_ALIGN - 1) / SCRATCH_ALIGN * SCRATCH_ALIGN;
}

/* argmax: enough groups to spread a row over the GPU, at least 8 logits per invocation */
static void argmax_plan(uint32_t n, uint32_t wg, uint32_t *n_groups, uint32_t *chunk)
{
    uint64_t g = kern_div_up(n, (uint64_t)wg * 8);
    *n_groups = (uint32_t)(g < 1 ? 1 : g > ARGMAX_MAX_GROUPS ? ARGMAX_MAX_GROUPS : g);
    *chunk = (uint32_t)kern_div_up(n, *n_groups);
}

uint64_t kern_argmax_scratch_bytes(uint32_t n, uint32_t n_rows)
{
    /* sized for the largest group count any workgroup size can give */
    return (uint64_t)n_rows * ARGMAX_MAX_GROUPS * 8;
}

axvk_status kern_argmax(struct vkrec *rec, const struct vkbuf *out, const struct vkbuf *logits,
                        const struct vkbuf *scratch, uint32_t n, uint32_t n_rows)
{
    const struct vkdev *dev = vkrec_dev(rec);
    uint64_t bytes = (uint64_t)n * n_rows * sizeof(float);
    uint64_t s_bytes = kern_argmax_scratch_bytes(n, n_rows);
    if (n == 0 || bytes > logits->size || (uint64_t)n_rows * 4 > out->size || s_bytes > scratch->size)
        return vkrec_fail(rec, AXVK_ERR_INVALID_ARGUMENT, "kern_argmax: %u rows of %u, buffers hold "
                          "logits %llu, out %llu, scratch %llu bytes", n_rows, n,
                          (unsigned long long)logits->size, (unsigned long long)out->size,
                          (unsigned long long)scratch->size);
    if (n_rows > dev->info.max_wg_count[1])
        return vkrec_fail(rec, AXVK_ERR_UNSUPPORTED, "kern_argmax: %u rows exceed the device's grid",
                          n_rows);
    if (n_rows == 0)
        return vkrec_err(rec)->status;
    uint32_t n_groups, chunk;
    argmax_plan(n, vkspec_wg_size(dev, NULL), &n_groups, &chunk);
    struct push_argmax pc = {.n = n, .chunk = chunk, .n_groups = n_groups};
    struct vkbuf part = vkbuf_view(scratch, 0, (uint64_t)n_rows * n_groups * 8);
    struct vkbuf bind1[2] = {vkbuf_view(logits, 0, bytes), part};
    uint32_t grid1[3] = {n_groups, n_rows, 1};
    axvk_status st = kern_dispatch3(rec, KERNEL_argmax_partial, NULL, bind1, 2, &pc, sizeof pc, grid1);
    if (st)
        return st;
    struct vkbuf bind2[2] = {part, vkbuf_view(out, 0, (uint64_t)n_rows * 4)};
    uint32_t grid2[3] = {1, n_rows, 1};
    return kern_dispatch3(rec, KERNEL_argmax_final, NULL, bind2, 2, &pc, sizeof pc, grid2);
}

void kern_sample_params(struct sample_params *out, const struct kern_sampling *s, float u,
                        uint32_t n_pen)
{
    memset(out, 0, sizeof *out);
    out->temperature = s->temperature;
    out->top_k = s->top_k;
    out->top_p = s->top_p;
    out->min_p = s->min_p;
    /* the floor is max + logf(min_p), rounded exactly as the reference rounds it */
    out->min_p_log = s->min_p > 0.0f ? logf(s->min_p) : 0.0f;
    out->u = u;
    out->repeat = s->repeat;
    out->presence = s->presence;
    out->frequency = s->frequency;
    out->n_pen = n_pen;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

axvk_status kern_sample_penalty_list(int32_t *pairs, uint32_t max_pairs, uint32_t *n_pairs,
                                     const int32_t *prev, size_t n_prev, uint32_t n_vocab,
                                     struct err *err)
{
    *n_pairs = 0;
    if (n_prev == 0)
        return AXVK_OK;
    int32_t *ids = mem_calloc(n_prev, sizeof *ids);
    if (!ids)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "penalty window of %zu ids", n_prev);
    size_t n = 0;
    for (size_t i = 0; i < n_prev; i++)
        if (prev[i] >= 0 && (uint32_t)prev[i] < n_vocab)
            ids[n++] = prev[i];
    qsort(ids, n, sizeof *ids, cmp_i32);
    axvk_status st = AXVK_OK;
    uint32_t out = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && ids[j] == ids[i])
            j++;
        if (out == max_pairs) {
            st = err_set(err, AXVK_ERR_INVALID_ARGUMENT, "penalty window has more than %u distinct "
                         "ids", max_pairs);
            goto fail;
        }
        pairs[2 * out] = ids[i];
        pairs[2 * out + 1] = (int32_t)(j - i);
        out++;
        i = j;
    }
    *n_pairs = out;
fail:
    mem_free(ids);
    return st;
}

/* Sizes of the sort: level 0 writes n_chunks runs of len0 into region A, then each merge level
 * reads one region and writes the other until one run of len_final is left. */
struct sample_plan {
    uint32_t keep;
    uint32_t n_chunks;
    uint32_t len0;
    uint32_t levels;
    uint32_t len_final;
    uint64_t a_bytes, b_bytes, lse_bytes;
};

static int plan_make(struct sample_plan *p, const struct kern_sample_shape *s)
{
    if (s->n_vocab == 0 || s->n_rows == 0 || s->n_rows > KERN_SAMPLE_MAX_ROWS ||
        s->n_logprobs > SAMPLE_MAX_LOGPROBS || s->n_logprobs > s->n_vocab)
        return -1;
    uint32_t keep = s->keep == 0 || s->keep > s->n_vocab ? s->n_vocab : s->keep;
    if (keep < s->n_logprobs)
        keep = s->n_logprobs;
    p->keep = keep;
    p->n_chunks = (uint32_t)kern_div_up(s->n_vocab, SAMPLE_CHUNK);
    p->len0 = keep < SAMPLE_CHUNK ? keep : SAMPLE_CHUNK;
    p->a_bytes = (uint64_t)s->n_rows * p->n_chunks * p->len0 * 8;
    p->b_bytes = 0;
    p->levels = 0;
    uint64_t runs = p->n_chunks, len = p->len0;
    while (runs > 1) {
        uint64_t fan = fan_in(len, keep);
        uint64_t n_out = kern_div_up(runs, fan);
        uint64_t len_out = len * fan < keep ? len * fan : keep;
        uint64_t bytes = (uint64_t)s->n_rows * n_out * len_out * 8;
        uint64_t *dst = p->levels % 2 ? &p->a_bytes : &p->b_bytes;
        if (bytes > *dst)
            *dst = bytes;
        p->levels++;
        runs = n_out;
        len = len_out;
    }
    p->len_final = (uint32_t)len;
    p->lse_bytes = (uint64_t)s->n_rows * p->n_chunks * 8;
    return 0;
}

uint64_t kern_sample_scratch_bytes(const struct kern_sample_shape *s)
{
    struct sample_plan p;
    if (plan_make(&p, s))
        return 0;
    return align_up(p.a_bytes) + align_up(p.b_bytes) + align_up(p.lse_bytes);
}

axvk_status kern_sample(struct vkrec *rec, const struct kern_sample_bufs *b,
                        const struct kern_sample_shape *s)
{
    const struct vkdev *dev = vkrec_dev(rec);
    struct sample_plan p;
    if (plan_make(&p, s))
        return vkrec_fail(rec, AXVK_ERR_INVALID_ARGUMENT, "kern_sample: %u rows (1..%d) of %u "
                          "logits, %u logprobs (at most %d)", s->n_rows, KERN_SAMPLE_MAX_ROWS,
                          s->n_vocab, s->n_logprobs, SAMPLE_MAX_LOGPROBS);
    uint64_t rows = s->n_rows;
    uint64_t l_bytes = rows * s->n_vocab * sizeof(float);
    uint64_t prm_bytes = rows * sizeof(struct sample_params);
    uint64_t pen_bytes = rows * s->pen_stride * 8;
    uint64_t out_bytes = rows * (1 + s->n_logprobs) * 8;
    uint64_t scratch_bytes = kern_sample_scratch_bytes(s);
    if (l_bytes > b->logits.size || prm_bytes > b->params.size || pen_bytes > b->pen.size ||
        out_bytes > b->out.size || scratch_bytes > b->scratch.size)
        return vkrec_fail(rec, AXVK_ERR_INVALID_ARGUMENT, "kern_sample: buffers hold logits %llu, "
                          "params %llu, penalties %llu, scratch %llu, out %llu bytes; the shape "
                          "needs %llu, %llu, %llu, %llu, %llu", (unsigned long long)b->logits.size,
                          (unsigned long long)b->params.size, (unsigned long long)b->pen.size,
                          (unsigned long long)b->scratch.size, (unsigned long long)b->out.size,
                          (unsigned long long)l_bytes, (unsigned long long)prm_bytes,
                          (unsigned long long)pen_bytes, (unsigned long long)scratch_bytes,
                          (unsigned long long)out_bytes);
    uint32_t wg = vkspec_wg_size(dev, NULL);
    struct vkbuf logits = vkbuf_view(&b->logits, 0, l_bytes);
    struct vkbuf params = vkbuf_view(&b->params, 0, prm_bytes);
    struct vkbuf region[2] = {vkbuf_view(&b->scratch, 0, p.a_bytes),
                              vkbuf_view(&b->scratch, align_up(p.a_bytes), p.b_bytes)};
    struct vkbuf lse = vkbuf_view(&b->scratch, align_up(p.a_bytes) + align_up(p.b_bytes), p.lse_bytes);
    axvk_status st;

    if (s->pen_stride) {
        struct push_sample_penalty pc = {.n_vocab = s->n_vocab, .pen_stride = s->pen_stride};
        struct vkbuf bind[3] = {logits, params, vkbuf_view(&b->pen, 0, pen_bytes)};
        uint32_t grid[3] = {(uint32_t)kern_div_up(s->pen_stride, wg), s->n_rows, 1};
        if ((st = kern_dispatch3(rec, KERNEL_sample_penalty, NULL, bind, 3, &pc, sizeof pc, grid)))
            return st;
    }

    {
        struct push_sample_sort pc = {.n_vocab = s->n_vocab, .n_chunks = p.n_chunks, .run_len = p.len0};
        struct vkbuf bind[3] = {logits, region[0], lse};
        uint32_t grid[3] = {p.n_chunks, s->n_rows, 1};
        /* the shader keeps SAMPLE_CHUNK / SAMPLE_SORT_WG entries per invocation in registers */
        struct vkspec spec = {.wg_size = SAMPLE_SORT_WG};
        if ((st = kern_dispatch3(rec, KERNEL_sample_sort, &spec, bind, 3, &pc, sizeof pc, grid)))
            return st;
    }

    uint64_t runs = p.n_chunks, len = p.len0;
    uint32_t cur = 0; /* region holding the current runs */
    while (runs > 1) {
        uint64_t fan = fan_in(len, p.keep);
        uint64_t n_out = kern_div_up(runs, fan);
        uint64_t len_out = len * fan < p.keep ? len * fan : p.keep;
        struct push_sample_merge pc = {.n_runs = (uint32_t)runs, .len_in = (uint32_t)len,
                                       .len_out = (uint32_t)len_out, .fan_in = (uint32_t)fan};
        struct vkbuf bind[2] = {vkbuf_view(&region[cur], 0, rows * runs * len * 8),
                                vkbuf_view(&region[cur ^ 1], 0, rows * n_out * len_out * 8)};
        /* pairs: one invocation per PAIR_SPAN outputs; by rank: one per entry of every group, the
         * last group's missing runs included */
        uint64_t inv = fan == 2 ? n_out * kern_div_up(len_out, PAIR_SPAN) : n_out * fan * len;
        uint32_t grid[3] = {(uint32_t)kern_div_up(inv, wg), s->n_rows, 1};
        enum kernel_id id = fan == 2 ? KERNEL_sample_merge_pairs : KERNEL_sample_merge;
        if ((st = kern_dispatch3(rec, id, NULL, bind, 2, &pc, sizeof pc, grid)))
            return st;
        cur ^= 1;
        runs = n_out;
        len = len_out;
    }

    struct push_sample_final pc = {.n_vocab = s->n_vocab, .len = p.len_final,
                                   .n_chunks = p.n_chunks, .n_logprobs = s->n_logprobs};
    struct vkbuf bind[4] = {vkbuf_view(&region[cur], 0, rows * p.len_final * 8), lse, params,
                            vkbuf_view(&b->out, 0, out_bytes)};
    uint32_t grid[3] = {1, s->n_rows, 1};
    return kern_dispatch3(rec, KERNEL_sample_final, NULL, bind, 4, &pc, sizeof pc, grid);
}
