/* internal: declarations shared between the files of src/vk and nowhere else (setup and teardown
 * of each part of a device, device-extension bits). Kernels and the API never include it. */
#ifndef AXVK_VK_INTERNAL_H
#define AXVK_VK_INTERNAL_H

#include "vk/device.h"

/* Device extensions axvk may enable (vkdev_info.exts). */
enum vkext {
    VKEXT_SUBGROUP_SIZE_CONTROL = 1u << 0, /* needed below Vulkan 1.3 */
    VKEXT_INTEGER_DOT_PRODUCT = 1u << 1,   /* needed below Vulkan 1.3 */
    VKEXT_COOPERATIVE_MATRIX = 1u << 2,
    VKEXT_MEMORY_BUDGET = 1u << 3,
    VKEXT_DRIVER_PROPERTIES = 1u << 4,     /* core in 1.2 */
    VKEXT_PORTABILITY_SUBSET = 1u << 5,    /* must be enabled where present (MoltenVK) */
};

/* Fills `info` for one physical device, `disabled` being the AXVK_DISABLE mask. */
void vkinfo_query(const struct vkinst *inst, VkPhysicalDevice phys, uint32_t index,
                  uint32_t disabled, struct vkdev_info *info);
/* Heap budget now (VK_EXT_memory_budget enabled): budget and this process's usage of heap. */
int vkinfo_heap_budget(const struct vkdev *dev, uint32_t heap, uint64_t *budget, uint64_t *usage);

axvk_status vkmem_init(struct vkdev *dev, struct err *err);
void vkmem_fini(struct vkdev *dev);
void vkring_destroy(struct vkdev *dev);
axvk_status vkpipe_init(struct vkdev *dev, struct err *err);
void vkpipe_fini(struct vkdev *dev);

#endif
