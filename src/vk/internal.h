/* internal: declarations shared between the files of src/vk and nowhere else (setup and teardown
 * of each part of a device, device-extension bits). Kernels and the API never include it. */
#ifndef AXVK_VK_INTERNAL_H
#define AXVK_VK_INTERNAL_H

#include "vk/device.h"

/* Drivers set up process-wide state when first enumerated and never free it (lavapipe: LLVM's
 * registries). Once the loader unloads the driver at vkDestroyInstance, LeakSanitizer cannot name
 * the driver in those blocks' stacks, so tests/lsan.supp cannot match them. In sanitizer builds
 * the allocations made inside the calls that reach a driver's set-up (instance creation, where
 * layers enumerate too, enumeration, device creation) are exempted instead. */
#if defined(__SANITIZE_ADDRESS__)
#define DRIVER_LEAKS_EXEMPT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DRIVER_LEAKS_EXEMPT 1
#endif
#endif
#ifdef DRIVER_LEAKS_EXEMPT
#include <sanitizer/lsan_interface.h>
#define DRIVER_CALL_BEGIN() __lsan_disable()
#define DRIVER_CALL_END() __lsan_enable()
#else
#define DRIVER_CALL_BEGIN() ((void)0)
#define DRIVER_CALL_END() ((void)0)
#endif

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
/* Every physical device of inst with its info (AXVK_DISABLE mask `disabled` applied). Both arrays
 * are freed with mem_free; phys may be NULL when the handles are not wanted. */
axvk_status vkinfo_all(struct vkinst *inst, uint32_t disabled, VkPhysicalDevice **phys,
                       struct vkdev_info **list, uint32_t *n, struct err *err);
/* Heap budget now (VK_EXT_memory_budget enabled): budget and this process's usage of heap. */
int vkinfo_heap_budget(const struct vkdev *dev, uint32_t heap, uint64_t *budget, uint64_t *usage);

axvk_status vkmem_init(struct vkdev *dev, struct err *err);
void vkmem_fini(struct vkdev *dev);
void vkring_destroy(struct vkdev *dev);
axvk_status vkpipe_init(struct vkdev *dev, struct err *err);
void vkpipe_fini(struct vkdev *dev);

#endif
