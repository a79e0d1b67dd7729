/* memory: device-local and host-visible buffers sub-allocated from large blocks, tensors split
 * into bindings the device can address, and uploads/downloads through a staging ring.
 * Knows limits (maxStorageBufferRange, maxMemoryAllocationSize, heap budget), not tensors. */
#ifndef AXVK_VK_MEMORY_H
#define AXVK_VK_MEMORY_H

#include <stdint.h>

#include "base/err.h"
#include "vk/device.h"

struct vkblock;

/* A byte range of one VkBuffer: what a shader binding or a copy names. Plain value: copy freely;
 * only the vkbuf returned by an allocation is passed to vkmem_free. */
struct vkbuf {
    VkBuffer buffer;
    uint64_t offset;       /* bytes into buffer; a multiple of minStorageBufferOffsetAlignment */
    uint64_t size;         /* bytes, as asked */
    uint8_t *map;          /* host-visible memory: host address of byte `offset`; else NULL */
    struct vkblock *block; /* owning block; NULL in views */
};

/* bytes [offset, offset + size) of buf, not owning (vkmem_free ignores it). */
struct vkbuf vkbuf_view(const struct vkbuf *buf, uint64_t offset, uint64_t size);

/* Device-local buffer of `bytes` (one allocation, ≤ maxMemoryAllocationSize). `what` names it in
 * errors. AXVK_ERR_OUT_OF_DEVICE_MEMORY says what was asked and what the heap has left. */
axvk_status vkmem_alloc(struct vkdev *dev, uint64_t bytes, const char *what, struct vkbuf *out,
                        struct err *err);
/* Host-visible, coherent, persistently mapped (buf.map): staging, readback, small host-written
 * inputs such as the decode position. */
axvk_status vkmem_alloc_host(struct vkdev *dev, uint64_t bytes, const char *what, struct vkbuf *out,
                             struct err *err);
/* Returns the range to its block; *buf becomes {0}. A zeroed vkbuf is ignored. */
void vkmem_free(struct vkdev *dev, struct vkbuf *buf);

/* A tensor too large for one binding, in parts cut on row boundaries: part i holds rows
 * [i * rows_per_part, min(rows, (i + 1) * rows_per_part)). Each part ≤ vkmem_max_binding. */
struct vksplit {
    uint32_t n;
    uint64_t bytes;          /* total */
    uint64_t row_bytes;
    uint64_t rows_per_part;
    struct vkbuf *parts;     /* [n] */
};
/* `bytes` must be a multiple of `row_bytes`. Parts are as equal as rows allow. */
axvk_status vkmem_alloc_split(struct vkdev *dev, uint64_t bytes, uint64_t row_bytes,
                              const char *what, struct vksplit *out, struct err *err);
void vkmem_free_split(struct vkdev *dev, struct vksplit *split);

/* Largest binding range a dispatch may use (maxStorageBufferRange unless lowered for tests). */
uint64_t vkmem_max_binding(const struct vkdev *dev);

struct vkmem_stats {
    uint64_t device_bytes, host_bytes;   /* VkDeviceMemory held, by kind */
    uint64_t device_used, host_used;     /* of which handed out */
    uint32_t device_blocks, host_blocks;
};
void vkmem_get_stats(const struct vkdev *dev, struct vkmem_stats *stats);

/* Test hooks. Cap on device-local bytes held (0: none; env AXVK_DEVICE_MEMORY_LIMIT_MB sets it
 * at creation), a lower binding limit so splitting shows with small tensors, staging geometry. */
void vkmem_set_limit(struct vkdev *dev, uint64_t bytes);
void vkmem_set_max_binding(struct vkdev *dev, uint64_t bytes);
void vkmem_set_staging(struct vkdev *dev, uint64_t chunk_bytes, uint32_t n_chunks);

/* Progress of an upload: `done` of `total` bytes handed to the GPU. */
typedef void (*vkmem_progress_fn)(void *user, uint64_t done, uint64_t total);

/* Copies src into dst at dst_offset through the staging ring, chunk by chunk, several chunks in
 * flight. Returns once the last chunk is submitted: src may be reused at once, and work submitted
 * later on this device sees the data; vkmem_flush waits for it. */
axvk_status vkmem_upload(struct vkdev *dev, const struct vkbuf *dst, uint64_t dst_offset,
                         const void *src, uint64_t bytes, vkmem_progress_fn progress, void *user,
                         struct err *err);
/* Copies bytes of src from src_offset into host memory; returns when they are there. */
axvk_status vkmem_download(struct vkdev *dev, void *dst, const struct vkbuf *src,
                           uint64_t src_offset, uint64_t bytes, struct err *err);
/* Waits for every upload in flight. */
axvk_status vkmem_flush(struct vkdev *dev, struct err *err);

#endif
