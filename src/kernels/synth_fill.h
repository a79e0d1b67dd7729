/* kernels/synth_fill: host side of synth_fill.comp — random weights of any supported GGUF type
 * written straight into device buffers, every block's f16 scales chosen so that the decoded
 * values are finite and of a requested size. For synthetic models (benchmarks and tests that
 * need real shapes without files); knows no model and allocates nothing. */
#ifndef AXVK_KERNELS_SYNTH_FILL_H
#define AXVK_KERNELS_SYNTH_FILL_H

#include <stdint.h>

#include "base/err.h"
#include "vk/memory.h"
#include "vk/record.h"

struct kern_synth {
    uint32_t wtype;  /* enum wtype of the buffer's contents */
    float rms;       /* root mean square the decoded values should have (within ~10%) */
    uint64_t seed;   /* the same (seed, stream) always writes the same bytes */
    uint64_t stream; /* one per tensor, so tensors differ */
};

/* Records the writing of dst[0, bytes): bytes a whole number of the type's blocks; the last
 * word is written whole (bind the buffer rounded up to 4 bytes, as the weight kernels do).
 * Buffers larger than one binding are written in several dispatches. */
axvk_status kern_synth_fill(struct vkrec *rec, const struct vkbuf *dst, uint64_t bytes,
                            const struct kern_synth *f);

/* Root mean square of the decoded values per unit of the block scale d, for the random bytes
 * the kernel writes (the d it sets is rms / this); 0 for float types and unsupported ones. */
double kern_synth_unit_rms(uint32_t wtype);

#endif
