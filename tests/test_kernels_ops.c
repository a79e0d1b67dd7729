/* test_kernels_ops: rmsnorm, rope, kv_write (f16, q8_0, with q's rotation), swiglu, add, scale and argmax on the GPU
 * against src/ref on random data: odd and model-like shapes, GQA head counts, positions past
 * 16,384, YaRN on and off, both rope styles; outputs poisoned first so every element must be
 * written, and cache rows that must not be touched checked to still hold the poison. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "base/half.h"
#include "base/wtype.h"
#include "gpu_test.h"
#include "kernels/elementwise.h"
#include "kernels/kv_cache.h"
#include "kernels/norm.h"
#include "kernels/rope.h"
#include "kernels/sample.h"
#include "ref/ops.h"
#include "ref/quant.h"

#define NMSE_FLOAT 1e-7

static float *fmem(size_t n)
{
    float *p = mem_alloc(n * sizeof(float));
    assert_non_null(p);
    return p;
}

static struct vkbuf dev_buf(const void *data, uint64_t bytes)
{
    return gpu_test_buffer(gpu_dev, data, bytes);
}

static void dev_free(struct vkbuf *b)
{
    vkmem_free(gpu_dev, b);
}

/* ---- rmsnorm -------------------------------------------------------------------------------- */

static void check_rmsnorm(uint32_t n_rows, uint32_t n, float eps, int in_place)
{
    size_t count = (size_t)n_rows * n;
    float *x = fmem(count), *w = fmem(n), *want = fmem(count), *got = fmem(count);
    gpu_test_fill_f32(x, count, -3.0f, 3.0f);
    gpu_test_fill_f32(w, n, 0.5f, 1.5f);
    ref_rmsnorm(want, x, w, n_rows, n, eps);

    struct vkbuf bx = dev_buf(x, count * 4), bw = dev_buf(w, (uint64_t)n * 4);
    struct vkbuf by = in_place ? bx : dev_buf(NULL, count * 4);
    struct vkrec *rec = gpu_test_recorder(gpu_dev);
    assert_int_equal(kern_rmsnorm(rec, &by, &bx, &bw, n, n_rows, eps), AXVK_OK);
    gpu_test_run(rec);
    gpu_test_download(gpu_dev, got, &by, count * 4);
    double e = gpu_test_nmse(got, want, count);
    if (e > NMSE_FLOAT)
        fail_msg("rmsnorm %u x %u%s: nmse %g", n_rows, n, in_place ? " in place" : "", e);

    vkrec_destroy(rec);
    if (!in_place)
        dev_free(&by);
    dev_free(&bx);
    dev_free(&bw);
    mem_free(x);
    mem_free(w);
    mem_free(want);
    mem_free(got);
}

static void test_rmsnorm_matches_ref_for_odd_and_model_rows(void **state)
{
    (void)state;
    gpu_test_seed(1);
    const uint32_t shapes[][2] = {{1, 896}, {7, 3584}, {2, 8192}, {5, 1}, {3, 7},
                                  {1, 257}, {4, 33},  {2, 1001}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        check_rmsnorm(shapes[i][0], shapes[i][1], i % 2 ? 1e-5f : 1e-6f, 0);
}

static void test_rmsnorm_in_place_matches_ref(void **state)
{
    (void)state;
    gpu_test_seed(2);
    check_rmsnorm(3, 3584, 1e-6f, 1);
    check_rmsnorm(2, 131, 1e-5f, 1);
}

/* ---- rope ----------------------------------------------------------------------------------- */

static struct ref_rope to_ref(const struct kern_rope *r)
{
    return (struct ref_rope){.style = r->style, .n_dims = r->n_rot, .theta_base = r->theta_base,
                             .freq_scale = r->freq_scale, .ext_factor = r->ext_factor,
                             .attn_factor = r->attn_factor, .beta_fast = r->beta_fast,
                             .beta_slow = r->beta_slow, .n_ctx_orig = r->n_ctx_orig};
}

static struct kern_rope rope_plain(uint32_t style, uint32_t n_rot)
{
    return (struct kern_rope){.style = style, .n_rot = n_rot, .theta_base = 1e6f, .freq_scale = 1.0f,
                              .ext_factor = 0.0f, .attn_factor = 1.0f, .beta_fast = 32.0f,
                              .beta_slow = 1.0f, .n_ctx_orig = 32768};
}

/* Qwen2.5-72B's YaRN setting for 131,072 tokens: factor 4 over 32,768 */
static struct kern_rope rope_yarn(uint32_t style, uint32_t n_rot)
{
    struct kern_rope r = rope_plain(style, n_rot);
    r.freq_scale = 0.25f;
    r.ext_factor = 1.0f;
    return r;
}

static struct vkbuf table_buf(const struct kern_rope *r)
{
    uint32_t *tab = mem_alloc(kern_rope_table_bytes(r));
    assert_non_null(tab);
    kern_rope_table(tab, r);
    struct vkbuf b = dev_buf(tab, kern_rope_table_bytes(r));
    mem_free(tab);
    return b;
}

static void check_rope(const struct kern_rope *r, uint32_t n_head, uint32_t head_dim,
                       const int32_t *pos, uint32_t n_tok, int in_place)
{
    size_t count = (size_t)n_tok * n_head * head_dim;
    float *x = fmem(count), *want = fmem(count), *got = fmem(count);
    gpu_test_fill_f32(x, count, -2.0f, 2.0f);
    memcpy(want, x, count * sizeof(float));
    struct ref_rope rr = to_ref(r);
    ref_rope(want, pos, n_tok, n_head, head_dim, &rr);

    struct vkbuf bx = dev_buf(x, count * 4), bp = dev_buf(pos, (uint64_t)n_tok * 4);
    struct vkbuf bt = table_buf(r);
    struct vkbuf by = in_place ? bx : dev_buf(NULL, count * 4);
    struct vkrec *rec = gpu_test_recorder(gpu_dev);
    assert_int_equal(kern_rope(rec, &by, &bx, &bp, &bt, r, n_tok, n_head, head_dim), AXVK_OK);
    gpu_test_run(rec);
    gpu_test_download(gpu_dev, got, &by, count * 4);
    double e = gpu_test_nmse(got, want, count);
    if (e > NMSE_FLOAT)
        fail_msg("rope style %u, %u heads x %u (n_rot %u), yarn %g: nmse %g", r->style, n_head,
                 head_dim, r->n_rot, (double)r->ext_factor, e);
    if (!in_place) {
        /* the input stays as it was */
        gpu_test_download(gpu_dev, got, &bx, count * 4);
        assert_memory_equal(got, x, count * 4);
    }

    vkrec_destroy(rec);
    if (!in_place)
        dev_free(&by);
    dev_free(&bx);
    dev_free(&bp);
    dev_free(&bt);
    mem_free(x);
    mem_free(want);
    mem_free(got);
}

static const int32_t positions_past_16k[] = {0, 1, 16383, 16384, 16385, 20011, 65537, 131071};
#define N_POS (sizeof positions_past_16k / sizeof positions_past_16k[0])

static void test_rope_neox_matches_ref_past_16384(void **state)
{
    (void)state;
    gpu_test_seed(3);
    struct kern_rope r = rope_plain(KERN_ROPE_NEOX, 128);
    check_rope(&r, 28, 128, positions_past_16k, N_POS, 1);
    r = rope_plain(KERN_ROPE_NEOX, 64);
    check_rope(&r, 14, 64, positions_past_16k, N_POS, 0);
}

static void test_rope_yarn_matches_ref_in_both_styles(void **state)
{
    (void)state;
    gpu_test_seed(4);
    struct kern_rope r = rope_yarn(KERN_ROPE_NEOX, 128);
    check_rope(&r, 64, 128, positions_past_16k, N_POS, 1);
    r = rope_yarn(KERN_ROPE_NORMAL, 64);
    check_rope(&r, 7, 64, positions_past_16k, N_POS, 0);
    /* attention factor and a non-power-of-two scale */
    r = rope_yarn(KERN_ROPE_NEOX, 64);
    r.freq_scale = 1.0f / 3.0f;
    r.attn_factor = 0.8f;
    check_rope(&r, 2, 64, positions_past_16k, N_POS, 1);
}

static void test_rope_normal_style_rotates_only_n_rot_dims(void **state)
{
    (void)state;
    gpu_test_seed(5);
    struct kern_rope r = rope_plain(KERN_ROPE_NORMAL, 64);
    check_rope(&r, 4, 128, positions_past_16k, N_POS, 0);
    r = rope_plain(KERN_ROPE_NEOX, 32);
    check_rope(&r, 3, 128, positions_past_16k, N_POS, 1);
}

/* The decode step is recorded once: a second submission with new positions in the same buffer
 * rotates for the new positions. */
static void test_rope_replay_reads_new_positions(void **state)
{
    (void)state;
    gpu_test_seed(6);
    const uint32_t n_head = 28, head_dim = 128;
    const size_t count = (size_t)n_head * head_dim;
    struct kern_rope r = rope_plain(KERN_ROPE_NEOX, head_dim);
    struct ref_rope rr = to_ref(&r);
    float *x = fmem(count), *want = fmem(count), *got = fmem(count);
    gpu_test_fill_f32(x, count, -1.0f, 1.0f);
    int32_t pos = 16383;
    struct vkbuf bx = dev_buf(x, count * 4), bp = dev_buf(&pos, 4), bt = table_buf(&r);
    struct vkbuf by = dev_buf(NULL, count * 4);
    struct vkrec *rec = gpu_test_recorder(gpu_dev);
    assert_int_equal(kern_rope(rec, &by, &bx, &bp, &bt, &r, 1, n_head, head_dim), AXVK_OK);
    gpu_test_run(rec);
    for (int step = 0; step < 3; step++) {
        gpu_test_download(gpu_dev, got, &by, count * 4);
        memcpy(want, x, count * sizeof(float));
        ref_rope(want, &pos, 1, n_head, head_dim, &rr);
        double e = gpu_test_nmse(got, want, count);
        if (e > NMSE_FLOAT)
            fail_msg("replay at position %d: nmse %g", pos, e);
        pos += 1;
        gpu_test_upload(gpu_dev, &bp, &pos, 4);
        assert_int_equal(vkrec_submit(rec), AXVK_OK);
        assert_int_equal(vkrec_wait(rec), AXVK_OK);
    }
    vkrec_destroy(rec);
    dev_free(&bx);
    dev_free(&bp);
    dev_free(&bt);
    dev_free(&by);
    mem_free(x);
    mem_free(want);
    mem_free(got);
}

/* ---- kv_write ------------------------------------------------------------------------------- */

struct kv_case {
    uint32_t cache_type;
    uint32_t n_kv_head, head_dim;
    uint32_t n_rows;
    uint32_t n_tok;
    const int32_t *pos; /* [n_tok] */
    uint32_t row0, seq_stride, tok_per_seq;
    struct kern_rope rope;
    uint32_t n_q_head; /* > 0: q rotated by the same dispatch, checked by check_q_rotation */
};

static uint32_t kv_row(const struct kv_case *c, uint32_t t)
{
    uint32_t seq = c->tok_per_seq ? t / c->tok_per_seq : 0;
    return c->row0 + seq * c->seq_stride + (uint32_t)c->pos[t];
}

/* The bytes gpu_test_poison leaves in a device buffer (little-endian words), tail included. */
static void fill_poison(uint8_t *p, uint64_t bytes)
{
    for (uint64_t i = 0; i < bytes; i++)
        p[i] = (uint8_t)(GPU_TEST_POISON >> (8 * (i % 4)));
}

/* One record (row, head) of a cache as floats. */
static void record_floats(float *dst, const uint8_t *cache, const struct kv_case *c, uint32_t row,
                          uint32_t head)
{
    uint64_t rec = wtype_row_bytes(c->cache_type, c->head_dim);
    ref_dequantize(dst, cache + ((uint64_t)row * c->n_kv_head + head) * rec, c->cache_type,
                   c->head_dim);
}

/* q8_0 records: per block the GPU's f16 scale is the reference's or one step away (the absmax of
 * rotated values may round differently), and with equal scales each int8 differs by at most 1. */
static void check_q8_record(const uint8_t *got, const uint8_t *want, uint32_t nb)
{
    for (uint32_t b = 0; b < nb; b++) {
        const uint8_t *g = got + b * 34, *w = want + b * 34;
        int dg = g[0] | g[1] << 8, dw = w[0] | w[1] << 8;
        assert_true(abs(dg - dw) <= 1);
        if (dg != dw)
            continue;
        for (int j = 0; j < 32; j++)
            assert_true(abs((int8_t)g[2 + j] - (int8_t)w[2 + j]) <= 1);
    }
}

/* Extra tokens of poison after q's n_tok tokens: the dispatch must leave them as they are. */
#define Q_TAIL_TOK 2

/* q of c (q_dev: the buffer after the dispatch, n_tok + Q_TAIL_TOK tokens; q: its values before)
 * against ref_rope, within 1e-12 of kern_rope's out-of-place rotation of the same q, and the
 * tail still the poison it was. */
static void check_q_rotation(const struct kv_case *c, const float *q, const struct vkbuf *q_dev)
{
    const size_t count = (size_t)c->n_tok * c->n_q_head * c->head_dim;
    const size_t tail = (size_t)Q_TAIL_TOK * c->n_q_head * c->head_dim;
    float *want = fmem(count), *got = fmem(count + tail), *alone = fmem(count);
    memcpy(want, q, count * sizeof(float));
    struct ref_rope rr = to_ref(&c->rope);
    ref_rope(want, c->pos, c->n_tok, c->n_q_head, c->head_dim, &rr);

    struct vkbuf bx = dev_buf(q, count * 4), by = dev_buf(NULL, count * 4);
    struct vkbuf bp = dev_buf(c->pos, (uint64_t)c->n_tok * 4), bt = table_buf(&c->rope);
    struct vkrec *rec = gpu_test_recorder(gpu_dev);
    assert_int_equal(kern_rope(rec, &by, &bx, &bp, &bt, &c->rope, c->n_tok, c->n_q_head,
                               c->head_dim), AXVK_OK);
    gpu_test_run(rec);
    gpu_test_download(gpu_dev, alone, &by, count * 4);
    gpu_test_download(gpu_dev, got, q_dev, (count + tail) * 4);

    double e = gpu_test_nmse(got, want, count);
    if (e > NMSE_FLOAT)
        fail_msg("q rotated by kv_write (style %u, %u heads x %u, %u tokens): nmse %g",
                 c->rope.style, c->n_q_head, c->head_dim, c->n_tok, e);
    /* the same ops_rope.glsl arithmetic as the rope kernel (the same bits on lavapipe; another
     * driver may contract multiply-adds differently in two shaders, hence a bound, not memcmp) */
    e = gpu_test_nmse(got, alone, count);
    if (e > 1e-12)
        fail_msg("q rotated by kv_write against the rope kernel: nmse %g", e);
    uint8_t *poison = mem_alloc(tail * 4);
    assert_non_null(poison);
    fill_poison(poison, tail * 4);
    if (memcmp(got + count, poison, tail * 4))
        fail_msg("q past token %u was written", c->n_tok);

    vkrec_destroy(rec);
    dev_free(&bx);
    dev_free(&by);
    dev_free(&bp);
    dev_free(&bt);
    mem_free(poison);
    mem_free(want);
    mem_free(got);
    mem_free(alone);
}

static void check_kv_write(const struct kv_case *c)
{
    const size_t in_count = (size_t)c->n_tok * c->n_kv_head * c->head_dim;
    const uint64_t cache_bytes = kern_kv_bytes(c->cache_type, c->n_rows, c->n_kv_head, c->head_dim);
    const uint64_t rec_bytes = wtype_row_bytes(c->cache_type, c->head_dim);
    const uint64_t row_bytes = rec_bytes * c->n_kv_head;
    assert_true(cache_bytes > 0);
    float *k = fmem(in_count), *v = fmem(in_count);
    float *fg = fmem(c->head_dim), *fw = fmem(c->head_dim);
    uint8_t *want[2], *got[2];
    gpu_test_fill_f32(k, in_count, -2.0f, 2.0f);
    gpu_test_fill_f32(v, in_count, -2.0f, 2.0f);

    /* reference: token by token into its row (a cache pointer moved so that ref_kv_write's row
     * pos lands on the kernel's row), K rotated for pos, V as is; other rows keep the poison */
    struct ref_rope rr = to_ref(&c->rope);
    for (int which = 0; which < 2; which++) {
        want[which] = mem_alloc(cache_bytes);
        got[which] = mem_alloc(cache_bytes);
        assert_true(want[which] && got[which]);
        fill_poison(want[which], cache_bytes);
        for (uint32_t t = 0; t < c->n_tok; t++) {
            uint32_t row = kv_row(c, t);
            if (row >= c->n_rows)
                continue;
            uint8_t *base = want[which] + (uint64_t)(row - (uint32_t)c->pos[t]) * row_bytes;
            const float *src = (which ? v : k) + (size_t)t * c->n_kv_head * c->head_dim;
            ref_kv_write(base, c->cache_type, src, (size_t)c->pos[t], 1, c->n_kv_head, c->head_dim,
                         which ? NULL : &rr);
        }
    }

    struct vkbuf bk = dev_buf(k, in_count * 4), bv = dev_buf(v, in_count * 4);
    struct vkbuf bp = dev_buf(c->pos, (uint64_t)c->n_tok * 4), bt = table_buf(&c->rope);
    /* whole words, so that the poison fill covers the last bytes of an odd-sized q8_0 cache */
    uint64_t alloc_bytes = (cache_bytes + 3) / 4 * 4;
    struct vkbuf kc = dev_buf(NULL, alloc_bytes), vc = dev_buf(NULL, alloc_bytes);
    /* q: n_tok tokens of random values, then Q_TAIL_TOK tokens of poison */
    const size_t q_count = (size_t)c->n_tok * c->n_q_head * c->head_dim;
    const uint64_t q_bytes = (q_count + (size_t)Q_TAIL_TOK * c->n_q_head * c->head_dim) * 4;
    float *q = NULL;
    struct vkbuf bq = {0};
    if (c->n_q_head) {
        q = fmem(q_count);
        gpu_test_fill_f32(q, q_count, -2.0f, 2.0f);
        bq = dev_buf(NULL, q_bytes);
        gpu_test_upload(gpu_dev, &bq, q, q_count * 4);
    }
    struct vkrec *rec = gpu_test_recorder(gpu_dev);
    struct kern_kv_write w = {.cache_type = c->cache_type, .n_rows = c->n_rows, .n_tok = c->n_tok,
                              .n_kv_head = c->n_kv_head, .head_dim = c->head_dim, .row0 = c->row0,
                              .seq_stride = c->seq_stride, .tok_per_seq = c->tok_per_seq,
                              .n_q_head = c->n_q_head};
    assert_int_equal(kern_kv_write(rec, &kc, &vc, &bk, &bv, c->n_q_head ? &bq : NULL, &bp, &bt,
                                   &c->rope, &w), AXVK_OK);
    gpu_test_run(rec);
    if (c->n_q_head) {
        check_q_rotation(c, q, &bq);
        dev_free(&bq);
        mem_free(q);
    }
    gpu_test_download(gpu_dev, got[0], &kc, cache_bytes);
    gpu_test_download(gpu_dev, got[1], &vc, cache_bytes);

    for (int which = 0; which < 2; which++) {
        double num = 0, den = 0;
        for (uint32_t row = 0; row < c->n_rows; row++) {
            int written = 0;
            for (uint32_t t = 0; t < c->n_tok; t++)
                written |= kv_row(c, t) == row;
            const uint8_t *g = got[which] + (uint64_t)row * row_bytes;
            const uint8_t *wnt = want[which] + (uint64_t)row * row_bytes;
            if (!written) {
                /* rows no token maps to still hold the poison */
                if (memcmp(g, wnt, row_bytes))
                    fail_msg("%s cache row %u was written", which ? "v" : "k", row);
                continue;
            }
            for (uint32_t h = 0; h < c->n_kv_head; h++) {
                record_floats(fg, got[which], c, row, h);
                record_floats(fw, want[which], c, row, h);
                for (uint32_t i = 0; i < c->head_dim; i++) {
                    double d = (double)fg[i] - fw[i];
                    num += isnan(fg[i]) ? 1e30 : d * d;
                    den += (double)fw[i] * fw[i];
                }
                if (c->cache_type == WTYPE_Q8_0)
                    check_q8_record(g + h * rec_bytes, wnt + h * rec_bytes, c->head_dim / 32);
            }
        }
        /* f16: the same rounding of nearly the same floats; q8_0: a rounding flip moves one int8
         * by one step of absmax/127 */
        double bound = c->cache_type == WTYPE_F16 ? NMSE_FLOAT : 1e-5;
        if (num / den > bound)
            fail_msg("%s cache (type %u, %u heads x %u): nmse %g", which ? "v" : "k",
                     c->cache_type, c->n_kv_head, c->head_dim, num / den);
    }

    vkrec_destroy(rec);
    dev_free(&bk);
    dev_free(&bv);
    dev_free(&bp);
    dev_free(&bt);
    dev_free(&kc);
    dev_free(&vc);
    for (int which = 0; which < 2; which++) {
        mem_free(want[which]);
        mem_free(got[which]);
    }
    mem_free(k);
    mem_free(v);
    mem_free(fg);
    mem_free(fw);
}

/* A prefill of consecutive positions crossing 16,384, for the three GQA shapes' KV sides:
 * 28/4 (A.X 4.0 Light), 64/8 (A.X 4.0), 14/2 (Qwen2.5-0.5B, head_dim 64). */
static void check_kv_prefill(uint32_t cache_type, struct kern_rope rope)
{
    const int32_t pos[] = {16380, 16381, 16382, 16383, 16384, 16385, 16386};
    const int32_t low[] = {3, 4, 5, 6, 7};
    struct kv_case c = {.cache_type = cache_type, .n_kv_head = 4, .head_dim = 128,
                        .n_rows = 16390, .n_tok = 7, .pos = pos, .rope = rope};
    check_kv_write(&c);
    c = (struct kv_case){.cache_type = cache_type, .n_kv_head = 8, .head_dim = 128, .n_rows = 9,
                         .n_tok = 5, .pos = low, .rope = rope};
    check_kv_write(&c);
    rope.n_rot = 64;
    c = (struct kv_case){.cache_type = cache_type, .n_kv_head = 2, .head_dim = 64,
                         .n_rows = 16387, .n_tok = 7, .pos = pos, .rope = rope};
    check_kv_write(&c);
}

static void test_kv_write_f16_matches_ref_for_gqa_shapes(void **state)
{
    (void)state;
    gpu_test_seed(7);
    check_kv_prefill(WTYPE_F16, rope_plain(KERN_ROPE_NEOX, 128));
    check_kv_prefill(WTYPE_F16, rope_yarn(KERN_ROPE_NEOX, 128));
}

static void test_kv_write_q8_0_matches_ref_by_dequantizing(void **state)
{
    (void)state;
    gpu_test_seed(8);
    check_kv_prefill(WTYPE_Q8_0, rope_plain(KERN_ROPE_NEOX, 128));
    check_kv_prefill(WTYPE_Q8_0, rope_yarn(KERN_ROPE_NORMAL, 128));
}

/* Three blocks per record: records of 102 bytes start mid-word every other head, so
 * neighbouring workgroups share words. */
static void test_kv_write_q8_0_packs_unaligned_records(void **state)
{
    (void)state;
    gpu_test_seed(9);
    const int32_t pos[] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
    struct kv_case c = {.cache_type = WTYPE_Q8_0, .n_kv_head = 3, .head_dim = 96, .n_rows = 11,
                        .n_tok = 9, .pos = pos, .rope = rope_plain(KERN_ROPE_NEOX, 96)};
    check_kv_write(&c);
}

/* Batched decode, one token per sequence: token s goes to row s * seq_stride + pos[s]; a token
 * whose row falls past the cache is skipped. */
static void test_kv_write_places_sequences_by_stride(void **state)
{
    (void)state;
    gpu_test_seed(10);
    const int32_t pos[] = {5, 17, 0, 39, 3};
    for (int q8 = 0; q8 < 2; q8++) {
        struct kv_case c = {.cache_type = q8 ? WTYPE_Q8_0 : WTYPE_F16, .n_kv_head = 4,
                            .head_dim = 64, .n_rows = 160, .n_tok = 5, .pos = pos, .seq_stride = 40,
                            .tok_per_seq = 1, .rope = rope_plain(KERN_ROPE_NEOX, 64)};
        check_kv_write(&c);
        /* a prefill of sequence 2 at rows 80 + pos */
        c.row0 = 80;
        c.tok_per_seq = 0;
        c.n_tok = 3;
        check_kv_write(&c);
    }
}

/* The layer's q rotated by the kv_write dispatch, for A.X 4.0 Light's (28 q / 4 kv heads, ratio 7)
 * and A.X 4.0's (64 / 8, ratio 8) heads of 128, both rope styles with YaRN, both cache types:
 * one decode token, a prefill chunk crossing 16,384, and a decode batch whose rows partly fall
 * past the cache (skipped there, q still rotated); a normal-style rotation of 64 of 128 dims
 * leaves q's tail dims as they are. */
static void test_kv_write_rotates_q_as_the_rope_kernel(void **state)
{
    (void)state;
    gpu_test_seed(11);
    const int32_t one[] = {37};
    const int32_t chunk[] = {16380, 16381, 16382, 16383, 16384, 16385, 16386};
    const int32_t batch[] = {5, 131071, 20011};
    const uint32_t styles[] = {KERN_ROPE_NEOX, KERN_ROPE_NORMAL};
    for (int q8 = 0; q8 < 2; q8++) {
        uint32_t type = q8 ? WTYPE_Q8_0 : WTYPE_F16;
        for (int st = 0; st < 2; st++) {
            struct kern_rope rope = rope_yarn(styles[st], 128);
            struct kv_case c = {.cache_type = type, .n_kv_head = 8, .n_q_head = 64,
                                .head_dim = 128, .n_rows = 40, .n_tok = 1, .pos = one,
                                .seq_stride = 40, .tok_per_seq = 1, .rope = rope};
            check_kv_write(&c);
            c = (struct kv_case){.cache_type = type, .n_kv_head = 4, .n_q_head = 28,
                                 .head_dim = 128, .n_rows = 16390, .n_tok = 7, .pos = chunk,
                                 .rope = rope};
            check_kv_write(&c);
            c = (struct kv_case){.cache_type = type, .n_kv_head = 8, .n_q_head = 64,
                                 .head_dim = 128, .n_rows = 120, .n_tok = 3, .pos = batch,
                                 .seq_stride = 40, .tok_per_seq = 1, .rope = rope};
            check_kv_write(&c);
        }
        struct kv_case c = {.cache_type = type, .n_kv_head = 4, .n_q_head = 28, .head_dim = 128,
                            .n_rows = 40, .n_tok = 1, .pos = one, .seq_stride = 40,
                            .tok_per_seq = 1, .rope = rope_yarn(KERN_ROPE_NORMAL, 64)};
        check_kv_write(&c);
    }
}

/* ---- swiglu, add, scale --------------------------------------------------------------------- */

static void check_swiglu(uint32_t n_rows, uint32_t n, int fused)
{
    /* fused: gate and up are the halves of each row of one [n_rows][2n] buffer */
    uint32_t stride = fused ? 2 * n : n;
    size_t in_count = (size_t)n_rows * stride, count = (size_t)n_rows * n;
    float *g = fmem(in_count), *u = fmem(in_count), *want = fmem(count), *got = fmem(count);
    gpu_test_fill_f32(g, in_count, -8.0f, 8.0f);
    gpu_test_fill_f32(u, in_count, -2.0f, 2.0f);
    const float *up = fused ? g + n : u;
    for (uint32_t r = 0; r < n_rows; r++)
        ref_swiglu(want + (size_t)r * n, g + (size_t)r * stride, up + (size_t)r * stride, n);

    struct vkbuf bg = dev_buf(g, in_count * 4), bu = fused ? bg : dev_buf(u, in_count * 4);
    struct vkbuf bo = dev_buf(NULL, count * 4);
    /* the up half as a view n floats into the same buffer (n * 4 bytes: an aligned offset) */
    struct vkbuf up_view = fused ? vkbuf_view(&bg, (uint64_t)n * 4, (in_count - n) * 4) : bu;
    struct vkrec *rec = gpu_test_recorder(gpu_dev);
    assert_int_equal(kern_swiglu(rec, &bo, &bg, &up_view, n, n_rows, stride, stride), AXVK_OK);
    gpu_test_run(rec);
    gpu_test_download(gpu_dev, got, &bo, count * 4);
    double e = gpu_test_nmse(got, want, count);
    if (e > NMSE_FLOAT)
        fail_msg("swiglu %u x %u%s: nmse %g", n_rows, n, fused ? " fused" : "", e);
    vkrec_destroy(rec);
    if (!fused)
        dev_free(&bu);
    dev_free(&bg);
    dev_free(&bo);
    mem_free(g);
    mem_free(u);
    mem_free(want);
    mem_free(got);
}

static void test_swiglu_matches_ref(void **state)
{
    (void)state;
    gpu_test_seed(11);
    check_swiglu(1, 18944, 0);
    check_swiglu(5, 1000, 0);
    check_swiglu(7, 33, 0);
    check_swiglu(1, 1, 0);
    check_swiglu(3, 4864, 1); /* 19,456 bytes = 76 x 256 */
}

static void test_add_and_scale_match_ref(void **state)
{
    (void)state;
    gpu_test_seed(12);
    const uint32_t sizes[] = {1, 7, 257, 3584 * 3};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uint32_t n = sizes[i];
        float *a = fmem(n), *b = fmem(n), *want = fmem(n), *got = fmem(n);
        gpu_test_fill_f32(a, n, -4.0f, 4.0f);
        gpu_test_fill_f32(b, n, -4.0f, 4.0f);
        struct vkbuf ba = dev_buf(a, (uint64_t)n * 4), bb = dev_buf(b, (uint64_t)n * 4);
        struct vkbuf by = dev_buf(NULL, (uint64_t)n * 4);

        struct vkrec *rec = gpu_test_recorder(gpu_dev);
        assert_int_equal(kern_add(rec, &by, &ba, &bb, n, n), AXVK_OK);
        gpu_test_run(rec);
        gpu_test_download(gpu_dev, got, &by, (uint64_t)n * 4);
        ref_add(want, a, b, n);
        assert_true(gpu_test_nmse(got, want, n) <= NMSE_FLOAT);

        /* scale in place */
        assert_int_equal(vkrec_begin(rec), AXVK_OK);
        assert_int_equal(kern_scale(rec, &ba, &ba, 0.37f, n), AXVK_OK);
        gpu_test_run(rec);
        gpu_test_download(gpu_dev, got, &ba, (uint64_t)n * 4);
        ref_scale(want, a, 0.37f, n);
        assert_true(gpu_test_nmse(got, want, n) <= NMSE_FLOAT);

        vkrec_destroy(rec);
        dev_free(&ba);
        dev_free(&bb);
        dev_free(&by);
        mem_free(a);
        mem_free(b);
        mem_free(want);
        mem_free(got);
    }
}

/* A [896] bias added to each of 5 rows, in place (a residual add of a broadcast vector). */
static void test_add_broadcasts_a_row_vector(void **state)
{
    (void)state;
    gpu_test_seed(13);
    const uint32_t n_b = 896, rows = 5, n = n_b * rows;
    float *a = fmem(n), *b = fmem(n_b), *want = fmem(n), *got = fmem(n);
    gpu_test_fill_f32(a, n, -1.0f, 1.0f);
    gpu_test_fill_f32(b, n_b, -1.0f, 1.0f);
    for (uint32_t r = 0; r < rows; r++)
        ref_add(want + r * n_b, a + r * n_b, b, n_b);
    struct vkbuf ba = dev_buf(a, (uint64_t)n * 4), bb = dev_buf(b, (uint64_t)n_b * 4);
    struct vkrec *rec = gpu_test_recorder(gpu_dev);
    assert_int_equal(kern_add(rec, &ba, &ba, &bb, n, n_b), AXVK_OK);
    gpu_test_run(rec);
    gpu_test_download(gpu_dev, got, &ba, (uint64_t)n * 4);
    assert_true(gpu_test_nmse(got, want, n) <= NMSE_FLOAT);
    vkrec_destroy(rec);
    dev_free(&ba);
    dev_free(&bb);
    mem_free(a);
    mem_free(b);
    mem_free(want);
    mem_free(got);
}

/* ---- argmax --------------------------------------------------------------------------------- */

static void test_argmax_is_exact_with_ties_to_lowest_index(void **state)
{
    (void)state;
    gpu_test_seed(14);
    const uint32_t sizes[] = {1, 7, 257, 102400, 152064};
    const uint32_t rows = 3;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        uint32_t n = sizes[s];
        size_t count = (size_t)n * rows;
        float *x = fmem(count);
        gpu_test_fill_f32(x, count, -20.0f, 20.0f);
        /* row 1: the maximum repeated at a later and an earlier index; row 2: all equal */
        if (n > 2) {
            float *r1 = x + n;
            uint32_t m = ref_argmax(r1, n);
            r1[n - 1] = r1[m];
            r1[m / 2] = r1[m];
            for (uint32_t i = 0; i < n; i++)
                x[2 * (size_t)n + i] = -3.5f;
        }
        struct vkbuf bx = dev_buf(x, count * 4), bo = dev_buf(NULL, rows * 4);
        struct vkbuf bs = dev_buf(NULL, kern_argmax_scratch_bytes(n, rows));
        struct vkrec *rec = gpu_test_recorder(gpu_dev);
        assert_int_equal(kern_argmax(rec, &bo, &bx, &bs, n, rows), AXVK_OK);
        gpu_test_run(rec);
        uint32_t got[3];
        gpu_test_download(gpu_dev, got, &bo, rows * 4);
        for (uint32_t r = 0; r < rows; r++)
            assert_int_equal(got[r], ref_argmax(x + (size_t)r * n, n));
        vkrec_destroy(rec);
        dev_free(&bx);
        dev_free(&bo);
        dev_free(&bs);
        mem_free(x);
    }
}

/* ---- argument checks ------------------------------------------------------------------------ */

static void test_ops_reject_bad_shapes_without_recording(void **state)
{
    (void)state;
    struct vkbuf small = dev_buf(NULL, 64), big = dev_buf(NULL, 1 << 16);
    struct vkrec *rec = gpu_test_recorder(gpu_dev);
    /* x holds 16 floats, not 2 rows of 896 */
    assert_int_equal(kern_rmsnorm(rec, &big, &small, &big, 896, 2, 1e-6f), AXVK_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(vkrec_err(rec)->msg, "kern_rmsnorm"));
    /* the error is sticky until the next begin */
    assert_int_equal(kern_scale(rec, &big, &big, 2.0f, 16), AXVK_ERR_INVALID_ARGUMENT);
    assert_int_equal(vkrec_begin(rec), AXVK_OK);

    /* q8_0 records need head_dim % 32 == 0 */
    struct kern_rope r = rope_plain(KERN_ROPE_NEOX, 48);
    struct kern_kv_write w = {.cache_type = WTYPE_Q8_0, .n_rows = 4, .n_tok = 1, .n_kv_head = 1,
                              .head_dim = 48};
    assert_int_equal(kern_kv_write(rec, &big, &big, &big, &big, NULL, &big, &big, &r, &w),
                     AXVK_ERR_INVALID_ARGUMENT);
    assert_int_equal(vkrec_begin(rec), AXVK_OK);
    /* q heads asked for: q must be given and hold n_tok * n_q_head * head_dim floats */
    r = rope_plain(KERN_ROPE_NEOX, 64);
    w = (struct kern_kv_write){.cache_type = WTYPE_F16, .n_rows = 4, .n_tok = 1, .n_kv_head = 1,
                               .head_dim = 64, .n_q_head = 1};
    assert_int_equal(kern_kv_write(rec, &big, &big, &big, &big, NULL, &big, &big, &r, &w),
                     AXVK_ERR_INVALID_ARGUMENT);
    assert_int_equal(vkrec_begin(rec), AXVK_OK);
    assert_int_equal(kern_kv_write(rec, &big, &big, &big, &big, &small, &big, &big, &r, &w),
                     AXVK_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(vkrec_err(rec)->msg, "q of 1 tokens"));
    assert_int_equal(vkrec_begin(rec), AXVK_OK);

    /* odd n_rot */
    r = rope_plain(KERN_ROPE_NEOX, 63);
    assert_int_equal(kern_rope(rec, &big, &big, &big, &big, &r, 1, 1, 64), AXVK_ERR_INVALID_ARGUMENT);
    vkrec_destroy(rec);
    dev_free(&small);
    dev_free(&big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rmsnorm_matches_ref_for_odd_and_model_rows),
        cmocka_unit_test(test_rmsnorm_in_place_matches_ref),
        cmocka_unit_test(test_rope_neox_matches_ref_past_16384),
        cmocka_unit_test(test_rope_yarn_matches_ref_in_both_styles),
        cmocka_unit_test(test_rope_normal_style_rotates_only_n_rot_dims),
        cmocka_unit_test(test_rope_replay_reads_new_positions),
        cmocka_unit_test(test_kv_write_f16_matches_ref_for_gqa_shapes),
        cmocka_unit_test(test_kv_write_q8_0_matches_ref_by_dequantizing),
        cmocka_unit_test(test_kv_write_q8_0_packs_unaligned_records),
        cmocka_unit_test(test_kv_write_places_sequences_by_stride),
        cmocka_unit_test(test_kv_write_rotates_q_as_the_rope_kernel),
        cmocka_unit_test(test_swiglu_matches_ref),
        cmocka_unit_test(test_add_and_scale_match_ref),
        cmocka_unit_test(test_add_broadcasts_a_row_vector),
        cmocka_unit_test(test_argmax_is_exact_with_ties_to_lowest_index),
        cmocka_unit_test(test_ops_reject_bad_shapes_without_recording),
    };
    gpu_dev = gpu_test_open();
    if (!gpu_dev)
        return GPU_TEST_SKIP;
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    return gpu_test_close(gpu_dev, failed);
}
