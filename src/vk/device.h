/* device: what each Vulkan device offers (vkdev_info, the `axvk devices` listing), choosing one, and
 * the logical device with its own function table, one compute queue and the optional features
 * turned on. Memory, pipelines and recording live in their own files; this owns their lifetimes. */
#ifndef AXVK_VK_DEVICE_H
#define AXVK_VK_DEVICE_H

#include <stdint.h>

#include "base/err.h"
#include "vk/instance.h"
#include "vk/vkapi.h"

/* Optional features, one bit each. `AXVK_DISABLE=fp16,int8,...` (the names in vkfeat_name) turns
 * them off as if the device lacked them: not listed, not enabled at vkCreateDevice. */
enum vkfeat {
    VKFEAT_FP16 = 1u << 0,                  /* "fp16": shaderFloat16 arithmetic */
    VKFEAT_STORAGE16 = 1u << 1,             /* "storage16": storageBuffer16BitAccess */
    VKFEAT_INT8 = 1u << 2,                  /* "int8": storageBuffer8BitAccess + shaderInt8 */
    VKFEAT_INTDOT = 1u << 3,                /* "intdot": shaderIntegerDotProduct */
    VKFEAT_SUBGROUP_SIZE_CONTROL = 1u << 4, /* "subgroup-size-control": + computeFullSubgroups */
    VKFEAT_COOPMAT = 1u << 5,               /* "coopmat": VK_KHR_cooperative_matrix */
    VKFEAT_MEMORY_BUDGET = 1u << 6,         /* "memory-budget": VK_EXT_memory_budget */
};
#define VKFEAT_COUNT 7

/* Name of feature bit i (0 ≤ i < VKFEAT_COUNT) as AXVK_DISABLE spells it. */
const char *vkfeat_name(uint32_t i);

/* Parses a comma list of feature names into VKFEAT_* bits; AXVK_ERR_INVALID_ARGUMENT names an
 * unknown one. NULL or "" gives 0. */
axvk_status vkfeat_parse(const char *list, uint32_t *mask, struct err *err);

/* One supported cooperative-matrix configuration: D[M×N] = A[M×K]·B[K×N] + C. */
struct vkcoopmat_shape {
    uint32_t m, n, k;
    uint32_t a_type, b_type, c_type, result_type; /* VkComponentTypeKHR */
    uint32_t scope;                               /* VkScopeKHR */
    uint32_t saturating;
};
#define VKDEV_MAX_COOPMAT 32

struct vkdev_info {
    uint32_t index;              /* in vkEnumeratePhysicalDevices order */
    char name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE];
    uint32_t vendor_id, device_id;
    const char *vendor;          /* "AMD", "NVIDIA", "Intel", "Mesa", ... static text */
    VkPhysicalDeviceType type;
    const char *type_name;       /* "discrete", "integrated", "virtual", "cpu", "other" */
    uint32_t driver_id;          /* VkDriverId, 0 when unknown */
    char driver_name[VK_MAX_DRIVER_NAME_SIZE];
    char driver_info[VK_MAX_DRIVER_INFO_SIZE];
    uint32_t driver_version;     /* raw, vendor-specific packing */
    char driver_version_str[32]; /* decoded: NVIDIA 10.8.8.6 bits, Intel Windows 18.14, else 10.10.12 */
    uint32_t api_version;
    uint8_t device_uuid[VK_UUID_SIZE];
    uint8_t pipeline_cache_uuid[VK_UUID_SIZE];

    uint32_t device_heap;        /* memory heap device-local buffers come from */
    uint64_t device_local_bytes; /* its size */
    uint64_t budget_bytes;       /* what VK_EXT_memory_budget allows this process; 0 without it */
    uint64_t plan_bytes;         /* what a memory plan may count on: the budget, else the heap;
                                    on a CPU device (lavapipe) at least the host's RAM, since its
                                    "device" memory is host memory whatever size the heap reports */
    uint64_t max_storage_buffer_range;
    uint64_t max_alloc_size;     /* maxMemoryAllocationSize */
    uint32_t min_storage_offset_align;
    uint32_t max_push_constants;
    uint32_t max_wg_invocations, max_wg_size[3], max_wg_count[3];
    uint32_t max_shared_bytes;
    uint32_t subgroup_size;      /* the default (VkPhysicalDeviceSubgroupProperties) */
    uint32_t subgroup_min, subgroup_max; /* the range subgroup size control can require */
    uint32_t subgroup_ops;       /* VkSubgroupFeatureFlags in compute shaders */
    float timestamp_period;      /* nanoseconds per timestamp tick */
    uint32_t timestamp_bits;     /* of the chosen queue family; 0: no timestamps */
    uint32_t queue_family;       /* the compute queue family used */

    uint32_t present;            /* VKFEAT_* the device has */
    uint32_t disabled;           /* VKFEAT_* turned off by AXVK_DISABLE */
    uint32_t features;           /* present & ~disabled: what kernels may use */
    uint32_t intdot_accelerated; /* 4x8-bit packed signed dot product is a native instruction */
    uint32_t n_coopmat;
    struct vkcoopmat_shape coopmat[VKDEV_MAX_COOPMAT];

    uint32_t exts;               /* internal: VKEXT_* bits of device extensions present */
    int usable;                  /* Vulkan ≥ 1.2 with a compute queue */
    char unusable_reason[96];
};

/* All physical devices, AXVK_DISABLE applied. *out is freed with mem_free. */
axvk_status vkdev_list(struct vkdev_info **out, uint32_t *n, struct err *err);

/* Chooses among `list`: `select` is an index ("1") or a case-insensitive substring of the name;
 * NULL or "" reads env AXVK_DEVICE; unset prefers discrete, then integrated, virtual, cpu. */
axvk_status vkdev_select(const struct vkdev_info *list, uint32_t n, const char *select,
                         uint32_t *index, struct err *err);

struct vkmem;
struct vkpipe;
struct vkring;

struct vkdev {
    struct vkinst *inst;
    VkPhysicalDevice phys;
    VkDevice device;
    VkQueue queue;
    struct vkfn_device fn;       /* this device's entry points */
    struct vkdev_info info;
    int profile;                 /* AXVK_PROFILE=1: recorders time each dispatch */

    struct vkmem *mem;           /* memory.c */
    struct vkring *ring;         /* transfer.c: staging ring, created on first upload */
    VkPipelineCache pcache;      /* pipeline.c */
    char *pcache_path;
    size_t pcache_loaded;        /* bytes read from disk: save only when it grew */
    struct vkpipe **pipes;       /* [n_pipe_slots]: variants per kernel id, created lazily */
    uint32_t n_pipe_slots;
    VkDescriptorSetLayout set_layouts[17]; /* by binding count, shared by all pipelines */
};

/* Which device vkdev_create_with creates and what it hides. Zero-initialise: NULL fields read
 * the environment, so a library caller can pass its own lists without touching the process's. */
struct vkdev_options {
    const char *select;  /* as in vkdev_select; NULL: env AXVK_DEVICE, else by type */
    const char *disable; /* comma list of vkfeat_name names; NULL: env AXVK_DISABLE */
};

/* Creates the device chosen by opt->select (see vkdev_select) with every present optional
 * feature enabled that opt->disable does not hide. opt may be NULL (all from the environment).
 * AXVK_ERR_NO_VULKAN / AXVK_ERR_NO_DEVICE say why none can run; AXVK_ERR_INVALID_ARGUMENT names
 * an unknown feature. */
axvk_status vkdev_create_with(const struct vkdev_options *opt, struct vkdev **out,
                              struct err *err);
/* vkdev_create_with with only `select` given: AXVK_DISABLE is read from the environment. */
axvk_status vkdev_create(const char *select, struct vkdev **out, struct err *err);
/* Waits for the queue, saves the pipeline cache, frees everything. NULL is fine. */
void vkdev_destroy(struct vkdev *dev);
/* Waits until the queue is idle (pending uploads included). */
axvk_status vkdev_wait_idle(struct vkdev *dev, struct err *err);

#endif
