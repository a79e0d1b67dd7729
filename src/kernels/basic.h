/* basic: host side of the foundation kernels (copy, vec_add) and the copy-bandwidth probe, the
 * roofline later benchmarks compare against. The pattern every op's host code follows: check
 * arguments into the recorder's sticky error, fill the push struct, kern_dispatch. */
#ifndef AXVK_KERNELS_BASIC_H
#define AXVK_KERNELS_BASIC_H

#include <stdint.h>

#include "kernels/registry.h"

/* dst[0, bytes) = src[0, bytes), bytes a multiple of 4; more than one binding's worth is copied
 * in several dispatches. */
axvk_status kern_copy(struct vkrec *rec, const struct vkbuf *dst, const struct vkbuf *src,
                      uint64_t bytes);

/* c[i] = a[i] + b[i] for floats i < n. */
axvk_status kern_vec_add(struct vkrec *rec, const struct vkbuf *c, const struct vkbuf *a,
                         const struct vkbuf *b, uint32_t n);

struct kern_bandwidth {
    uint64_t bytes;     /* copied per pass */
    uint32_t passes;    /* timed passes (after one untimed warm-up) */
    double seconds;     /* for all timed passes */
    double gbps;        /* (bytes read + bytes written) / seconds / 1e9 */
    int gpu_timer;      /* 1: GPU timestamps; 0: host clock around submit and wait */
};

/* Copies a device buffer of `bytes` (0: 256 MiB, 64 MiB on CPU devices; clamped to one binding and
 * to free memory) `passes` times (0: 8) and reports the rate. */
axvk_status kern_copy_bandwidth(struct vkdev *dev, uint64_t bytes, uint32_t passes,
                                struct kern_bandwidth *out, struct err *err);

#endif
