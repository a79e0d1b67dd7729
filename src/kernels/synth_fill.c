/* synth_fill: the per-type block description synth_fill.comp needs (where the f16 scales are,
 * how large random quants decode) and the dispatch over binding-sized pieces. */
#include "kernels/synth_fill.h"

#include "base/wtype.h"
#include "kernels/registry.h"
#include "synth_push.h"

/* Where a block type keeps its f16 fields and what its random quants decode to. */
struct synth_layout {
    uint32_t wtype;
    uint32_t d_off, m_off; /* bytes into the block */
    float m_ratio;         /* second field over d: centres the values (min types) */
    double unit_rms;       /* RMS of decoded values per unit d with uniform random bytes */
};

/* unit_rms from the layouts: q8_0 int8 in [-128, 127]: sqrt(5461.5); q4_0 q - 8 for q in
 * [0, 16): sqrt(21.5); q4_1 d q + m with m = -7.5 d: sqrt((16^2 - 1) / 12); q5_0 q - 16:
 * sqrt(85.5); q5_1 likewise over 32 levels; q4_k d sc q - dmin m with 6-bit sc, m and
 * dmin = 7.5 d (zero mean over blocks): sqrt(E[sc^2] E[q^2] - 15 E[sc] E[q] E[m] + 56.25 E[m^2]);
 * q5_k the same with 5-bit q and dmin = 15.5 d; q6_k int8 scales times q - 32 in [-32, 32). */
static const struct synth_layout layouts[] = {
    {WTYPE_Q8_0, 0, SYNTH_NO_FIELD, 0.0f, 73.90},
    {WTYPE_Q4_0, 0, SYNTH_NO_FIELD, 0.0f, 4.637},
    {WTYPE_Q4_1, 0, 2, -7.5f, 4.610},
    {WTYPE_Q5_0, 0, SYNTH_NO_FIELD, 0.0f, 9.247},
    {WTYPE_Q5_1, 0, 2, -15.5f, 9.233},
    {WTYPE_Q4_K, 0, 2, 7.5f, 258.3},
    {WTYPE_Q5_K, 0, 2, 15.5f, 526.9},
    {WTYPE_Q6_K, 208, SYNTH_NO_FIELD, 0.0f, 1365.6},
};

/* The shader draws each block's d as d_base (0.75 + 0.5 u): RMS sqrt(E[(0.75 + 0.5 u)^2]). */
#define D_SPREAD_RMS 0.912871

static const struct synth_layout *layout_of(uint32_t wtype)
{
    for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++)
        if (layouts[i].wtype == wtype)
            return &layouts[i];
    return NULL;
}

double kern_synth_unit_rms(uint32_t wtype)
{
    const struct synth_layout *l = layout_of(wtype);
    return l ? l->unit_rms : 0.0;
}

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

axvk_status kern_synth_fill(struct vkrec *rec, const struct vkbuf *dst, uint64_t bytes,
                            const struct kern_synth *f)
{
    const struct vkdev *dev = vkrec_dev(rec);
    const struct wtype_info *ti = wtype_get(f->wtype);
    const struct synth_layout *l = layout_of(f->wtype);
    int is_float = f->wtype == WTYPE_F32 || f->wtype == WTYPE_F16 || f->wtype == WTYPE_BF16;
    if (!ti || (!is_float && !l))
        return vkrec_fail(rec, AXVK_ERR_UNSUPPORTED, "kern_synth_fill: weight type %u", f->wtype);
    if (bytes % ti->block_bytes || (bytes + 3) / 4 * 4 > (dst->size + 3) / 4 * 4 ||
        !(f->rms > 0.0f) || f->rms > 1e4f)
        return vkrec_fail(rec, AXVK_ERR_INVALID_ARGUMENT, "kern_synth_fill: %llu bytes of %s "
                          "(whole blocks of %u) into %llu, rms %g", (unsigned long long)bytes,
                          ti->name, ti->block_bytes, (unsigned long long)dst->size,
                          (double)f->rms);
    struct push_synth_fill pc = {
        .mode = f->wtype == WTYPE_F32 ? SYNTH_MODE_F32
              : f->wtype == WTYPE_F16 ? SYNTH_MODE_F16
              : f->wtype == WTYPE_BF16 ? SYNTH_MODE_BF16 : SYNTH_MODE_BLOCKS,
        .block_bytes = ti->block_bytes, .d_off = SYNTH_NO_FIELD, .m_off = SYNTH_NO_FIELD,
        .amp = 1.7320508f * f->rms, /* uniform on [-a, a] has RMS a / sqrt(3) */
    };
    if (l) {
        pc.d_off = l->d_off;
        pc.m_off = l->m_off;
        pc.m_ratio = l->m_ratio;
        pc.d_base = (float)(f->rms / (l->unit_rms * D_SPREAD_RMS));
    }
    /* pieces start on a block and on 256 bytes (every device's offset alignment divides 256) */
    uint64_t unit = 256 / gcd(256, ti->block_bytes) * ti->block_bytes;
    uint64_t piece = vkmem_max_binding(dev) / unit * unit;
    uint32_t wg = vkspec_wg_size(dev, NULL);
    uint64_t stream_key = splitmix64(f->seed ^ splitmix64(f->stream));
    for (uint64_t done = 0, i = 0; done < bytes; done += piece, i++) {
        uint64_t len = bytes - done < piece ? bytes - done : piece;
        uint64_t words = (len + 3) / 4;
        struct vkbuf bind = vkbuf_view(dst, done, words * 4);
        pc.n_words = (uint32_t)words;
        pc.key = (uint32_t)splitmix64(stream_key + i);
        uint64_t groups = kern_div_up(words, wg);
        if (groups > dev->info.max_wg_count[0])
            groups = dev->info.max_wg_count[0];
        uint32_t grid[3] = {(uint32_t)groups, 1, 1};
        axvk_status st = kern_dispatch3(rec, KERNEL_synth_fill, NULL, &bind, 1, &pc, sizeof pc,
                                        grid);
        if (st)
            return st;
    }
    return AXVK_OK;
}
