/* record: command recording for one device queue. begin → dispatch/copy/fill ... → end → submit
 * → wait; an ended recording can be submitted again and again (the decode step is recorded once
 * and replayed, its position read from a small host-written buffer). Barriers are inserted only
 * between dependent commands. Errors are sticky: after one failure every call returns it until
 * the next vkrec_begin, so a long sequence of dispatches is checked once at the end. */
#ifndef AXVK_VK_RECORD_H
#define AXVK_VK_RECORD_H

#include <stdint.h>
#include <stdio.h>

#include "base/err.h"
#include "vk/device.h"
#include "vk/memory.h"
#include "vk/pipeline.h"

struct vkrec;

struct vkrec_desc {            /* zero-initialised means defaults */
    uint32_t max_dispatches;   /* descriptor sets per pool (more pools are added when needed) and
                                * timed commands per recording; 0: 256 */
    uint32_t timestamps;       /* 1: time each command; AXVK_PROFILE=1 turns it on everywhere */
};

axvk_status vkrec_create(struct vkdev *dev, const struct vkrec_desc *desc, struct vkrec **out,
                         struct err *err);
/* Waits for a submitted recording first. NULL is fine. */
void vkrec_destroy(struct vkrec *rec);

/* Starts a new recording (waiting for the previous submission, recycling its descriptor sets). */
axvk_status vkrec_begin(struct vkrec *rec);

/* Records a dispatch of pipe over groups[3] workgroups. bind[i] is binding i (buffer, offset,
 * size: offset aligned to minStorageBufferOffsetAlignment, size ≤ vkmem_max_binding);
 * push_size must equal the kernel's. A barrier goes first only when a binding overlaps a range
 * written (or, for a written binding, read) since the last barrier. Zero groups record nothing. */
axvk_status vkrec_dispatch(struct vkrec *rec, struct vkpipe *pipe, const struct vkbuf *bind,
                           uint32_t n_bind, const void *push, uint32_t push_size,
                           const uint32_t groups[3]);
/* dst[0, bytes) = src[0, bytes) (vkCmdCopyBuffer). */
axvk_status vkrec_copy(struct vkrec *rec, const struct vkbuf *dst, const struct vkbuf *src,
                       uint64_t bytes);
/* Fills dst (size a multiple of 4) with a 32-bit word. */
axvk_status vkrec_fill(struct vkrec *rec, const struct vkbuf *dst, uint32_t word);
/* Records a full barrier now, for dependencies the ranges cannot show. */
axvk_status vkrec_barrier(struct vkrec *rec);
/* Ends the recording; a final barrier makes its writes visible to later submissions and the host. */
axvk_status vkrec_end(struct vkrec *rec);
/* Submits the ended recording (again, for a replay; waits for the previous run first). */
axvk_status vkrec_submit(struct vkrec *rec);
/* Waits for the submission; then the profile (if timed) is ready. */
axvk_status vkrec_wait(struct vkrec *rec);
/* vkrec_end when still recording, then submit and wait. */
axvk_status vkrec_run(struct vkrec *rec);

/* Records a failure found outside (a kernel's argument check) as the sticky error and returns
 * its status; an earlier failure is kept instead. */
axvk_status vkrec_fail(struct vkrec *rec, axvk_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The sticky error (status AXVK_OK when none). */
const struct err *vkrec_err(const struct vkrec *rec);
struct vkdev *vkrec_dev(const struct vkrec *rec);

struct vkrec_counts {
    uint32_t dispatches;  /* recorded since begin */
    uint32_t transfers;   /* copies and fills */
    uint32_t barriers;    /* inserted by dependency tracking or vkrec_barrier (not the final one) */
};
void vkrec_get_counts(const struct vkrec *rec, struct vkrec_counts *counts);

/* Time per kernel name, summed over its dispatches, after vkrec_wait of a timed recording. */
struct vkprof {
    const char *name;     /* kernel name, or "copy" / "fill" */
    uint32_t calls;
    double ms;
};
/* Entries sorted by time, most first; n = 0 when not timed. *out stays valid until next begin. */
void vkrec_profile(const struct vkrec *rec, const struct vkprof **out, uint32_t *n);
/* GPU time from the first timed command's start to the last one's end, in ms; 0 when untimed. */
double vkrec_gpu_ms(const struct vkrec *rec);
/* A table of vkrec_profile on f. */
void vkrec_profile_print(const struct vkrec *rec, FILE *f);

#endif
