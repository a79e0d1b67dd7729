/* pipeline: compute pipelines of registered kernels, one per (kernel, specialization) and device,
 * created once on first use through an on-disk pipeline cache. What a kernel is (its SPIR-V,
 * bindings, push-constant size) comes from the kernel registry (src/kernels), not from here. */
#ifndef AXVK_VK_PIPELINE_H
#define AXVK_VK_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "vk/device.h"

#define VKPIPE_MAX_BINDINGS 16
#define VKPIPE_MAX_CONSTS 8
#define VKPIPE_DEFAULT_WG 256

/* One registry entry: every binding is a storage buffer in set 0, push constants are one range. */
struct vkkernel {
    uint32_t id;           /* dense index (enum kernel_id): the device's pipeline slot */
    const char *name;
    const uint32_t *spv;
    size_t spv_size;       /* bytes */
    uint32_t n_bindings;
    uint32_t push_size;    /* bytes, a multiple of 4, ≤ 128 */
};

/* Specialization of a kernel. Zero-initialised means the defaults. Shaders declare
 * `layout(local_size_x_id = 0) in;` and, when they need it, `layout(constant_id = 1) const uint
 * SUBGROUP_SIZE`; kernel-specific constants start at constant_id 2. */
struct vkspec {
    uint32_t wg_size;       /* constant 0; 0: VKPIPE_DEFAULT_WG, clamped to the device */
    uint32_t subgroup_size; /* constant 1; 0: the device's default size. Non-zero is required of
                             * the driver (subgroup size control) or must equal the default */
    uint32_t n_consts;
    uint32_t consts[VKPIPE_MAX_CONSTS]; /* constant_id 2 + i */
};

struct vkpipe {
    const struct vkkernel *kernel;
    struct vkspec spec;       /* as asked */
    uint32_t wg_size;         /* as resolved: the spec's, or the shader's fixed local_size_x */
    uint32_t subgroup_size;   /* the value of constant 1 */
    uint32_t read_mask;       /* bit b: binding b may be read (from the SPIR-V's NonWritable) */
    uint32_t write_mask;      /* bit b: binding b may be written */
    VkPipeline pipeline;
    VkPipelineLayout layout;
    VkDescriptorSetLayout set_layout; /* the device's, shared by kernels of equal binding count */
    struct vkpipe *next;      /* other specializations of the same kernel */
};

/* The pipeline of kernel k specialized by spec (NULL: defaults), created on first request. */
axvk_status vkpipe_get(struct vkdev *dev, const struct vkkernel *k, const struct vkspec *spec,
                       struct vkpipe **out, struct err *err);

/* The workgroup size a spec resolves to on dev (what ceil-divisions of work should use). */
uint32_t vkspec_wg_size(const struct vkdev *dev, const struct vkspec *spec);

/* What pipeline creation reads from a kernel's SPIR-V. */
struct vkspv_info {
    uint32_t n_bindings;    /* highest storage-buffer binding of set 0, plus one */
    uint32_t read_mask;     /* bindings not declared writeonly */
    uint32_t write_mask;    /* bindings not declared readonly */
    uint32_t wg_spec;       /* 1: the workgroup width is specialization constant 0 */
    uint32_t local_size[3]; /* the LocalSize execution mode (the fixed size, or the default) */
};
axvk_status vkspv_reflect(const uint32_t *spv, size_t bytes, struct vkspv_info *out,
                          struct err *err);

/* File the device's pipeline cache is kept in: $XDG_CACHE_HOME/axvk (else ~/.cache/axvk)/
 * pipelines-<device uuid>-<driver version>.bin. NULL when neither variable is set. */
const char *vkpipe_cache_path(const struct vkdev *dev);

#endif
