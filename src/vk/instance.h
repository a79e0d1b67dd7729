/* instance: the Vulkan loader opened at run time (dlopen, never linked), one VkInstance with its
 * function table, and the validation layer's message counter. Knows nothing of devices' contents. */
#ifndef AXVK_VK_INSTANCE_H
#define AXVK_VK_INSTANCE_H

#include <stdint.h>

#include "base/err.h"
#include "vk/vkapi.h"

struct vkinst {
    void *lib;                 /* dlopen handle of libvulkan.so.1 */
    VkInstance instance;
    uint32_t api_version;      /* the version asked for at vkCreateInstance (≤ 1.3) */
    struct vkfn_global g;
    struct vkfn_instance fn;
    VkDebugUtilsMessengerEXT messenger; /* VK_NULL_HANDLE without AXVK_VALIDATION */
    int validation;            /* VK_LAYER_KHRONOS_validation is active */
};

/* Loads the loader (env AXVK_VULKAN_LIBRARY overrides the library name) and creates an
 * instance. AXVK_VALIDATION=1 enables VK_LAYER_KHRONOS_validation and a debug messenger; a missing
 * layer is reported on stderr and ignored. AXVK_ERR_NO_VULKAN when no loader or no driver. */
axvk_status vkinst_create(struct vkinst **out, struct err *err);
void vkinst_destroy(struct vkinst *inst);

/* The instance's physical devices (*out freed with mem_free). AXVK_ERR_NO_DEVICE when none. */
axvk_status vkinst_devices(struct vkinst *inst, VkPhysicalDevice **out, uint32_t *n,
                           struct err *err);

/* Validation messages of error severity seen by this process so far, over every instance
 * (each is also printed on stderr). Tests assert it is still 0 at their end. */
uint64_t vkdev_validation_errors(void);

/* "VK_ERROR_OUT_OF_DEVICE_MEMORY" etc. Static text. */
const char *vk_result_str(VkResult r);

/* AXVK_OK for VK_SUCCESS; otherwise records "<what>: <VkResult>" with the matching status. */
axvk_status vk_check(VkResult r, struct err *err, const char *what);

/* "1.50 GiB", "768 MiB", "512 B": into buf (at least 32 bytes), returns buf. */
const char *vk_fmt_bytes(char *buf, uint64_t bytes);

#endif
