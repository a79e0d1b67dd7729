/* rope: the RoPE/YaRN angle table (float steps exactly as ref_rope takes them, angles in double)
 * and the dispatch of rope.comp. No buffers are owned; the table is uploaded by the caller. */
#include "kernels/rope.h"

#include <math.h>

#include "ops_push.h"

uint64_t kern_rope_table_bytes(const struct kern_rope *r)
{
    return (uint64_t)(r->n_rot / 2) * 8;
}

/* YaRN: the pair index whose rotation count over n_ctx_orig equals n_rot_count; in float, as
 * llama.cpp, because floor/ceil of it choose the ramp ends. */
static float yarn_corr_dim(float n_dims, float n_ctx_orig, float n_rot_count, float base)
{
    return n_dims * logf(n_ctx_orig / (n_rot_count * 2.0f * (float)M_PI)) / (2.0f * logf(base));
}

void kern_rope_table(uint32_t *tab, const struct kern_rope *r)
{
    const float nd = (float)r->n_rot;
    float lo = 0.0f, hi = 0.0f;
    if (r->ext_factor != 0.0f) {
        lo = fmaxf(0.0f, floorf(yarn_corr_dim(nd, (float)r->n_ctx_orig, r->beta_fast, r->theta_base)));
        hi = fminf(nd - 1.0f, ceilf(yarn_corr_dim(nd, (float)r->n_ctx_orig, r->beta_slow, r->theta_base)));
    }
    for (uint32_t i = 0; i < r->n_rot / 2; i++) {
        /* radians per position: the interpolated frequency, mixed towards the extrapolated one
         * over the YaRN ramp (mix computed in float, as the reference) */
        const double extrap = pow((double)r->theta_base, -2.0 * (double)i / nd);
        double theta = (double)r->freq_scale * extrap;
        if (r->ext_factor != 0.0f) {
            const float ramp_y = ((float)i - lo) / fmaxf(0.001f, hi - lo);
            const float mix = (1.0f - fminf(1.0f, fmaxf(0.0f, ramp_y))) * r->ext_factor;
            theta = theta * (1.0 - mix) + extrap * mix;
        }
        double turns = theta / (2.0 * M_PI);
        turns -= floor(turns); /* a whole number of turns per position never shows */
        const uint64_t fx = (uint64_t)ldexp(turns, 64);
        tab[2 * i] = (uint32_t)fx;
        tab[2 * i + 1] = (uint32_t)(fx >> 32);
    }
}

float kern_rope_mscale(const struct kern_rope *r)
{
    float m = r->attn_factor;
    if (r->ext_factor != 0.0f)
        m *= 1.0f + 0.1f * logf(1.0f / r->freq_scale);
    return m;
}

axvk_status kern_rope_check(const struct kern_rope *r, uint32_t head_dim, struct err *err)
{
    if (r->style != KERN_ROPE_NORMAL && r->style != KERN_ROPE_NEOX)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "rope style %u (0 normal, 2 neox)", r->style);
    if (r->n_rot < 2 || r->n_rot % 2 || r->n_rot > head_dim || head_dim % 2)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "rope over %u of %u dims (even, at least 2, "
                       "at most head_dim)", r->n_rot, head_dim);
    if (!(r->theta_base > 1.0f) || !(r->freq_scale > 0.0f))
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "rope base %g, freq_scale %g",
                       (double)r->theta_base, (double)r->freq_scale);
    return AXVK_OK;
}

axvk_status kern_rope(struct vkrec *rec, const struct vkbuf *y, const struct vkbuf *x,
                      const struct vkbuf *pos, const struct vkbuf *tab, const struct kern_rope *r,
                      uint32_t n_tok, uint32_t n_head, uint32_t head_dim)
{
    const struct vkdev *dev = vkrec_dev(rec);
    struct err e = {0};
    if (kern_rope_check(r, head_dim, &e))
        return vkrec_fail(rec, e.status, "kern_rope: %s", e.msg);
    uint64_t bytes = (uint64_t)n_tok * n_head * head_dim * sizeof(float);
    uint64_t tab_bytes = kern_rope_table_bytes(r);
    if (bytes > x->size || bytes > y->size || (uint64_t)n_tok * 4 > pos->size ||
        tab_bytes > tab->size)
        return vkrec_fail(rec, AXVK_ERR_INVALID_ARGUMENT, "kern_rope: [%u, %u, %u] floats, buffers "
                          "hold x %llu, y %llu, pos %llu, table %llu bytes", n_tok, n_head,
                          head_dim, (unsigned long long)x->size, (unsigned long long)y->size,
                          (unsigned long long)pos->size, (unsigned long long)tab->size);
    if (n_tok > dev->info.max_wg_count[1])
        return vkrec_fail(rec, AXVK_ERR_UNSUPPORTED, "kern_rope: %u tokens exceed the device's "
                          "%u workgroups along y", n_tok, dev->info.max_wg_count[1]);
    if (n_tok == 0 || n_head == 0)
        return vkrec_err(rec)->status;
    struct vkbuf bind[4] = {vkbuf_view(x, 0, bytes), vkbuf_view(pos, 0, (uint64_t)n_tok * 4),
                            vkbuf_view(tab, 0, tab_bytes), vkbuf_view(y, 0, bytes)};
    struct push_rope pc = {
        .n_tok = n_tok,
        .n_head = n_head,
        .head_dim = head_dim,
        .n_rot = r->n_rot,
        .neox = r->style == KERN_ROPE_NEOX,
        .mscale = kern_rope_mscale(r),
    };
    /* one invocation per pair of every head of a token; tokens along y */
    uint64_t pairs = (uint64_t)n_head * head_dim / 2;
    uint32_t grid[3] = {(uint32_t)kern_div_up(pairs, vkspec_wg_size(dev, NULL)), n_tok, 1};
    return kern_dispatch3(rec, KERNEL_rope, NULL, bind, 4, &pc, sizeof pc, grid);
}
