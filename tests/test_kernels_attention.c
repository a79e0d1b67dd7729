/* test_kernels_attention: decode (flash-decoding + combine) and prefill attention on the GPU
 * against ref_attention, for f16 and q8_0 caches, GQA ratios 1, 7, 8 (and past one workgroup's
 * group), head_dim 128 and 64, lengths across tile and chunk boundaries, batches of sequences,
 * and a recorded decode replayed at new positions. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "base/wtype.h"
#include "gpu_test.h"
#include "kernels/attention.h"
#include "kernels/bench_prefill.h"
#include "ref/ops.h"

/* The project's bound for attention is 5e-4; these kernels do better, and a bound that loose
 * would pass a 1% error in the scale. Decode and f16 prefill compute in fp32 from exact cache
 * values (only summation order differs); prefill stages q8_0 values as f16 (11-bit rounding). */
#define NMSE_EXACT 1e-10
#define NMSE_Q8_PREFILL 1e-6

/* Host copies of one layer's caches: n_rows rows of random K and V, as `type`. */
struct caches {
    uint32_t type, n_rows, n_kv_head, head_dim;
    uint64_t row_bytes;
    uint8_t *k, *v;
};

static struct caches make_caches(uint32_t type, uint32_t n_rows, uint32_t n_kv_head,
                                 uint32_t head_dim)
{
    struct caches c = {type, n_rows, n_kv_head, head_dim, 0, NULL, NULL};
    c.row_bytes = wtype_row_bytes(type, (uint64_t)n_kv_head * head_dim);
    size_t n = (size_t)n_rows * n_kv_head * head_dim;
    float *x = mem_alloc(n * sizeof(float));
    c.k = mem_alloc(c.row_bytes * n_rows);
    c.v = mem_alloc(c.row_bytes * n_rows);
    assert_non_null(x && c.k && c.v);
    gpu_test_fill_f32(x, n, -2.0f, 2.0f);
    ref_kv_write(c.k, type, x, 0, n_rows, n_kv_head, head_dim, NULL);
    gpu_test_fill_f32(x, n, -1.0f, 1.0f);
    ref_kv_write(c.v, type, x, 0, n_rows, n_kv_head, head_dim, NULL);
    mem_free(x);
    return c;
}

static void free_caches(struct caches *c)
{
    mem_free(c->k);
    mem_free(c->v);
}

struct decode_case {
    uint32_t type, n_head, n_kv_head, head_dim, n_split;
    uint32_t n_seq;
    const uint32_t *len; /* [n_seq] keys each sequence attends to (pos + 1) */
};

/* Reference output of sequence-batched decode: seq s uses rows [s n_ctx, s n_ctx + len[s]). */
static void decode_reference(float *out, const float *q, const struct caches *c, uint32_t n_ctx,
                             const struct decode_case *d)
{
    size_t hd = (size_t)d->n_head * d->head_dim;
    float *scratch = mem_alloc(n_ctx * sizeof(float));
    assert_non_null(scratch);
    for (uint32_t s = 0; s < d->n_seq; s++) {
        const uint8_t *k = c->k + (uint64_t)s * n_ctx * c->row_bytes;
        const uint8_t *v = c->v + (uint64_t)s * n_ctx * c->row_bytes;
        ref_attention(out + s * hd, q + s * hd, k, v, d->type, 1, d->len[s] - 1, d->n_head,
                      d->n_kv_head, d->head_dim, scratch);
    }
    mem_free(scratch);
}

/* Runs one batched decode; returns the NMSE against the reference. `replay`, when set, holds a
 * second set of lengths: the same recording is then submitted again after the positions buffer
 * is rewritten, and the NMSE is that of the replay. */
static double run_decode(const struct decode_case *d, const uint32_t *replay, uint64_t seed)
{
    gpu_test_seed(seed);
    uint32_t n_ctx = 0;
    for (uint32_t s = 0; s < d->n_seq; s++) {
        n_ctx = d->len[s] > n_ctx ? d->len[s] : n_ctx;
        if (replay)
            n_ctx = replay[s] > n_ctx ? replay[s] : n_ctx;
    }
    struct caches c = make_caches(d->type, n_ctx * d->n_seq, d->n_kv_head, d->head_dim);
    size_t nq = (size_t)d->n_seq * d->n_head * d->head_dim;
    float *q = mem_alloc(nq * sizeof(float)), *ref = mem_alloc(nq * sizeof(float));
    float *got = mem_alloc(nq * sizeof(float));
    uint32_t *pos = mem_alloc(d->n_seq * sizeof(uint32_t));
    assert_non_null(q && ref && got && pos);
    gpu_test_fill_f32(q, nq, -1.0f, 1.0f);
    for (uint32_t s = 0; s < d->n_seq; s++)
        pos[s] = d->len[s] - 1;

    struct attn_decode_args a = {
        .cache_type = d->type, .n_seq = d->n_seq, .n_head = d->n_head, .n_kv_head = d->n_kv_head,
        .head_dim = d->head_dim, .n_ctx = n_ctx, .n_split = d->n_split,
    };
    uint64_t cache_bytes = c.row_bytes * c.n_rows;
    a.q = gpu_test_buffer(gpu_dev, q, nq * 4);
    a.k_cache = gpu_test_buffer(gpu_dev, c.k, cache_bytes);
    a.v_cache = gpu_test_buffer(gpu_dev, c.v, cache_bytes);
    a.pos = gpu_test_buffer(gpu_dev, pos, d->n_seq * 4);
    a.out = gpu_test_buffer(gpu_dev, NULL, nq * 4);
    uint64_t scratch = attn_decode_scratch_bytes(&a);
    if (scratch)
        a.scratch = gpu_test_buffer(gpu_dev, NULL, scratch);

    struct vkrec *rec = gpu_test_recorder(gpu_dev);
    struct err err = {0};
    if (attn_decode_record(rec, &a, &err))
        fail_msg("attn_decode_record: %s", err.msg);
    gpu_test_run(rec);
    struct decode_case now = *d;
    if (replay) {
        for (uint32_t s = 0; s < d->n_seq; s++)
            pos[s] = replay[s] - 1;
        gpu_test_upload(gpu_dev, &a.pos, pos, d->n_seq * 4);
        gpu_test_poison(gpu_dev, &a.out);
        if (vkrec_submit(rec) || vkrec_wait(rec))
            fail_msg("replay: %s", vkrec_err(rec)->msg);
        now.len = replay;
    }
    gpu_test_download(gpu_dev, got, &a.out, nq * 4);
    decode_reference(ref, q, &c, n_ctx, &now);
    double nmse = gpu_test_nmse(got, ref, nq);

    vkrec_destroy(rec);
    vkmem_free(gpu_dev, &a.q), vkmem_free(gpu_dev, &a.k_cache), vkmem_free(gpu_dev, &a.v_cache);
    vkmem_free(gpu_dev, &a.pos), vkmem_free(gpu_dev, &a.out), vkmem_free(gpu_dev, &a.scratch);
    mem_free(q), mem_free(ref), mem_free(got), mem_free(pos);
    free_caches(&c);
    return nmse;
}

/* lengths across the 128-key tile and, with 3 chunks, across chunk boundaries */
static const uint32_t lengths[] = {1, 7, 63, 64, 65, 300, 1000};
#define N_LENGTHS (sizeof lengths / sizeof lengths[0])

static void check_decode(uint32_t type, uint32_t head_dim, uint32_t gqa, uint32_t n_split)
{
    struct decode_case d = {type, 2 * gqa, 2, head_dim, n_split, N_LENGTHS, lengths};
    double nmse = run_decode(&d, NULL, 100 + gqa * 7 + n_split);
    if (!(nmse <= NMSE_EXACT))
        fail_msg("decode %s head_dim %u gqa %u n_split %u: NMSE %g", wtype_get(type)->name,
                 head_dim, gqa, n_split, nmse);
}

static void test_attention_decode_f16_gqa_and_chunks(void **state)
{
    (void)state;
    static const uint32_t gqa[] = {1, 7, 8};
    static const uint32_t splits[] = {1, 3, 0};
    for (size_t g = 0; g < 3; g++)
        for (size_t s = 0; s < 3; s++)
            check_decode(WTYPE_F16, 128, gqa[g], splits[s]);
}

static void test_attention_decode_q8_0_gqa_and_chunks(void **state)
{
    (void)state;
    static const uint32_t gqa[] = {1, 7, 8};
    static const uint32_t splits[] = {1, 3, 0};
    for (size_t g = 0; g < 3; g++)
        for (size_t s = 0; s < 3; s++)
            check_decode(WTYPE_Q8_0, 128, gqa[g], splits[s]);
}

static void test_attention_decode_head_dim_64(void **state)
{
    (void)state;
    check_decode(WTYPE_F16, 64, 7, 0);
    check_decode(WTYPE_Q8_0, 64, 7, 1);
    check_decode(WTYPE_F16, 64, 1, 3);
}

/* 12 query heads per KV head: two workgroups (8 + 4 heads) share one KV head. */
static void test_attention_decode_group_past_one_workgroup(void **state)
{
    (void)state;
    check_decode(WTYPE_F16, 128, 12, 3);
    check_decode(WTYPE_Q8_0, 128, 12, 1);
}

/* A.X 4.0 (72B) geometry: 64 query heads over 8 KV heads, a batch of 8 sequences. */
static void test_attention_decode_batch_of_8_at_72b_geometry(void **state)
{
    (void)state;
    static const uint32_t len[8] = {513, 2, 129, 1024, 77, 256, 900, 31};
    struct decode_case d = {WTYPE_F16, 64, 8, 128, 0, 8, len};
    double nmse = run_decode(&d, NULL, 42);
    if (!(nmse <= NMSE_EXACT))
        fail_msg("8 sequences, 64/8 heads: NMSE %g", nmse);
}

/* One recording, two submissions: the second reads the new positions from the buffer. */
static void test_attention_decode_replays_at_new_positions(void **state)
{
    (void)state;
    static const uint32_t first[2] = {5, 300};
    static const uint32_t second[2] = {700, 129};
    struct decode_case d = {WTYPE_Q8_0, 14, 2, 128, 0, 2, first};
    double nmse = run_decode(&d, second, 7);
    if (!(nmse <= NMSE_EXACT))
        fail_msg("replay: NMSE %g", nmse);
}

/* Prefill of n_tok queries at pos .. pos + n_tok - 1; the sequence's rows start at row_base. */
static double run_prefill(uint32_t type, uint32_t n_tok, uint32_t pos, uint32_t n_head,
                          uint32_t n_kv_head, uint32_t head_dim, uint32_t row_base, uint64_t seed)
{
    gpu_test_seed(seed);
    uint32_t n_ctx = pos + n_tok;
    /* rows [0, row_base) belong to another sequence: random too, never to be read */
    struct caches c = make_caches(type, row_base + n_ctx, n_kv_head, head_dim);
    size_t nq = (size_t)n_tok * n_head * head_dim;
    float *q = mem_alloc(nq * sizeof(float)), *ref = mem_alloc(nq * sizeof(float));
    float *got = mem_alloc(nq * sizeof(float)), *scratch = mem_alloc(n_ctx * sizeof(float));
    assert_non_null(q && ref && got && scratch);
    gpu_test_fill_f32(q, nq, -1.0f, 1.0f);
    ref_attention(ref, q, c.k + row_base * c.row_bytes, c.v + row_base * c.row_bytes, type, n_tok,
                  pos, n_head, n_kv_head, head_dim, scratch);

    struct attn_prefill_args a = {
        .cache_type = type, .n_tok = n_tok, .n_head = n_head, .n_kv_head = n_kv_head,
        .head_dim = head_dim, .n_ctx = n_ctx, .row_base = row_base,
    };
    uint64_t cache_bytes = c.row_bytes * c.n_rows;
    a.q = gpu_test_buffer(gpu_dev, q, nq * 4);
    a.k_cache = gpu_test_buffer(gpu_dev, c.k, cache_bytes);
    a.v_cache = gpu_test_buffer(gpu_dev, c.v, cache_bytes);
    a.pos = gpu_test_buffer(gpu_dev, &pos, 4);
    a.out = gpu_test_buffer(gpu_dev, NULL, nq * 4);
    struct vkrec *rec = gpu_test_recorder(gpu_dev);
    struct err err = {0};
    if (attn_prefill_record(rec, &a, &err))
        fail_msg("attn_prefill_record: %s", err.msg);
    gpu_test_run(rec);
    gpu_test_download(gpu_dev, got, &a.out, nq * 4);
    double nmse = gpu_test_nmse(got, ref, nq);

    vkrec_destroy(rec);
    vkmem_free(gpu_dev, &a.q), vkmem_free(gpu_dev, &a.k_cache), vkmem_free(gpu_dev, &a.v_cache);
    vkmem_free(gpu_dev, &a.pos), vkmem_free(gpu_dev, &a.out);
    mem_free(q), mem_free(ref), mem_free(got), mem_free(scratch);
    free_caches(&c);
    return nmse;
}

static void check_prefill(uint32_t type, uint32_t head_dim, uint32_t gqa)
{
    /* token counts across the 32-query tile, at the start and later in the sequence */
    static const uint32_t toks[] = {1, 31, 32, 33, 70};
    static const uint32_t poss[] = {0, 5, 100};
    for (size_t t = 0; t < 5; t++) {
        for (size_t p = 0; p < 3; p++) {
            double nmse = run_prefill(type, toks[t], poss[p], 2 * gqa, 2, head_dim, 0,
                                      300 + t * 3 + p);
            if (!(nmse <= (type == WTYPE_Q8_0 ? NMSE_Q8_PREFILL : NMSE_EXACT)))
                fail_msg("prefill %s head_dim %u gqa %u: %u tokens at %u: NMSE %g",
                         wtype_get(type)->name, head_dim, gqa, toks[t], poss[p], nmse);
        }
    }
}

static void test_attention_prefill_f16_matches_reference(void **state)
{
    (void)state;
    check_prefill(WTYPE_F16, 128, 7);
}

static void test_attention_prefill_q8_0_matches_reference(void **state)
{
    (void)state;
    check_prefill(WTYPE_Q8_0, 128, 7);
}

static void test_attention_prefill_head_dim_64_and_mha(void **state)
{
    (void)state;
    double a = run_prefill(WTYPE_F16, 45, 20, 4, 1, 64, 0, 11);
    double b = run_prefill(WTYPE_Q8_0, 33, 3, 3, 3, 128, 0, 12);
    if (!(a <= NMSE_EXACT) || !(b <= NMSE_Q8_PREFILL))
        fail_msg("head_dim 64: NMSE %g; MHA: NMSE %g", a, b);
}

static void test_attention_prefill_reads_from_row_base(void **state)
{
    (void)state;
    double nmse = run_prefill(WTYPE_F16, 40, 9, 8, 1, 128, 17, 13);
    if (!(nmse <= NMSE_EXACT))
        fail_msg("row_base 17: NMSE %g", nmse);
}

static void test_attention_splits_fill_the_gpu_within_limits(void **state)
{
    (void)state;
    /* A.X Light decode: 4 KV heads x 1 group: 64 chunks wanted, capped by n_ctx / 256 */
    assert_int_equal(attn_decode_splits(1, 28, 4, 16384), 64);
    assert_int_equal(attn_decode_splits(1, 28, 4, 1024), 4);
    assert_int_equal(attn_decode_splits(1, 28, 4, 100), 1);
    /* 8 sequences of the 72B geometry already make 64 workgroups per chunk */
    assert_int_equal(attn_decode_splits(8, 64, 8, 131072), 4);
    assert_int_equal(attn_decode_splits(0, 28, 4, 4096), 1);
    struct attn_decode_args a = {.cache_type = WTYPE_F16, .n_seq = 2, .n_head = 28, .n_kv_head = 4,
                                 .head_dim = 128, .n_ctx = 4096, .n_split = 1};
    assert_int_equal(attn_decode_scratch_bytes(&a), 0);
    a.n_split = 16;
    /* 2 x 28 x 16 partial outputs of 128 floats, then (max, sum) pairs at a 256-byte boundary */
    assert_int_equal(attn_decode_scratch_bytes(&a), 2 * 28 * 16 * 128 * 4 + 2 * 28 * 16 * 8);
}

static void test_attention_rejects_bad_geometry(void **state)
{
    (void)state;
    struct vkbuf b = gpu_test_buffer(gpu_dev, NULL, 1 << 16);
    struct attn_decode_args a = {.cache_type = WTYPE_F16, .n_seq = 1, .n_head = 6, .n_kv_head = 4,
                                 .head_dim = 128, .n_ctx = 16, .n_split = 1, .q = b,
                                 .k_cache = b, .v_cache = b, .pos = b, .out = b};
    struct err err = {0};
    struct vkrec *rec = gpu_test_recorder(gpu_dev);
    assert_int_equal(attn_decode_record(rec, &a, &err), AXVK_ERR_INVALID_ARGUMENT); /* 6 % 4 */
    vkrec_destroy(rec);
    a.n_head = 8, a.head_dim = 80;
    rec = gpu_test_recorder(gpu_dev);
    assert_int_equal(attn_decode_record(rec, &a, &err), AXVK_ERR_UNSUPPORTED);
    vkrec_destroy(rec);
    a.head_dim = 128, a.cache_type = WTYPE_Q4_0;
    rec = gpu_test_recorder(gpu_dev);
    assert_int_equal(attn_decode_record(rec, &a, &err), AXVK_ERR_UNSUPPORTED);
    vkrec_destroy(rec);
    a.cache_type = WTYPE_F16, a.n_ctx = 1000; /* 1000 rows of 2 KiB do not fit 64 KiB */
    rec = gpu_test_recorder(gpu_dev);
    assert_int_equal(attn_decode_record(rec, &a, &err), AXVK_ERR_INVALID_ARGUMENT);
    vkrec_destroy(rec);
    vkmem_free(gpu_dev, &b);
}

/* The op-benchmark entry for decode at 512 positions runs and reports the K+V bytes it reads. */
static void test_attention_bench_decode_entry_runs(void **state)
{
    (void)state;
    uint32_t i = 0;
    while (i < bench_prefill_count() && strcmp(bench_prefill_name(i), "attn decode f16 L=512"))
        i++;
    assert_true(i < bench_prefill_count());
    struct bench_prefill_result r;
    struct err err = {0};
    if (bench_prefill_run(gpu_dev, i, 2, &r, &err))
        fail_msg("%s", err.msg);
    assert_true(r.ms > 0);
    assert_true(r.bytes == 2.0 * 512 * 4 * 128 * 2);
    assert_true(r.flops == 4.0 * 28 * 128 * 512);
    assert_int_equal(bench_prefill_run(gpu_dev, bench_prefill_count(), 1, &r, &err),
                     AXVK_ERR_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attention_splits_fill_the_gpu_within_limits),
        cmocka_unit_test(test_attention_rejects_bad_geometry),
        cmocka_unit_test(test_attention_decode_f16_gqa_and_chunks),
        cmocka_unit_test(test_attention_decode_q8_0_gqa_and_chunks),
        cmocka_unit_test(test_attention_decode_head_dim_64),
        cmocka_unit_test(test_attention_decode_group_past_one_workgroup),
        cmocka_unit_test(test_attention_decode_batch_of_8_at_72b_geometry),
        cmocka_unit_test(test_attention_decode_replays_at_new_positions),
        cmocka_unit_test(test_attention_prefill_f16_matches_reference),
        cmocka_unit_test(test_attention_prefill_q8_0_matches_reference),
        cmocka_unit_test(test_attention_prefill_head_dim_64_and_mha),
        cmocka_unit_test(test_attention_prefill_reads_from_row_base),
        cmocka_unit_test(test_attention_bench_decode_entry_runs),
    };
    gpu_dev = gpu_test_open();
    if (!gpu_dev)
        return GPU_TEST_SKIP;
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    return gpu_test_close(gpu_dev, failed);
}
