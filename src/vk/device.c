/* device: volk-style stage three, the logical device and its own function table (no global
 * device state), plus the lifetime of the device's memory, pipeline and transfer parts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "vk/internal.h"

static axvk_status load_device_table(struct vkdev *dev, struct err *err)
{
    PFN_vkGetDeviceProcAddr gdpa = dev->inst->fn.vkGetDeviceProcAddr;
#define LOAD_DEVICE(entry)                                                                         \
    dev->fn.entry = (PFN_##entry)gdpa(dev->device, #entry);                                        \
    if (!dev->fn.entry)                                                                            \
        return err_set(err, AXVK_ERR_VULKAN, "device %s lacks %s", dev->info.name, #entry);
    VKFN_DEVICE(LOAD_DEVICE)
#undef LOAD_DEVICE
    return AXVK_OK;
}

/* Creates the VkDevice with every feature in info.features (and nothing the disable list hid). */
static axvk_status create_logical(struct vkdev *dev, struct err *err)
{
    const struct vkdev_info *info = &dev->info;
    uint32_t want = info->features;
    int v13 = info->api_version >= VK_API_VERSION_1_3 && dev->inst->api_version >= VK_API_VERSION_1_3;

    VkPhysicalDeviceFeatures2 f = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
    VkPhysicalDeviceVulkan11Features f11 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES};
    VkPhysicalDeviceVulkan12Features f12 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
    VkPhysicalDeviceSubgroupSizeControlFeatures fssc = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_FEATURES};
    VkPhysicalDeviceShaderIntegerDotProductFeatures fdot = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_FEATURES};
    VkPhysicalDeviceCooperativeMatrixFeaturesKHR fcm = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_KHR};
    const char *exts[8];
    uint32_t n_exts = 0;

    /* core features: the 16/64-bit integer types cost nothing and integer kernels want them */
    VkPhysicalDeviceFeatures2 have = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
    dev->inst->fn.vkGetPhysicalDeviceFeatures2(dev->phys, &have);
    f.features.shaderInt16 = have.features.shaderInt16;
    f.features.shaderInt64 = have.features.shaderInt64;

    void **next = &f.pNext;
#define CHAIN(s) (*next = &(s), next = &(s).pNext)
    CHAIN(f11);
    CHAIN(f12);
    f12.shaderFloat16 = !!(want & VKFEAT_FP16);
    f11.storageBuffer16BitAccess = !!(want & VKFEAT_STORAGE16);
    f12.storageBuffer8BitAccess = f12.shaderInt8 = !!(want & VKFEAT_INT8);
    if (want & VKFEAT_SUBGROUP_SIZE_CONTROL) {
        fssc.subgroupSizeControl = fssc.computeFullSubgroups = VK_TRUE;
        CHAIN(fssc);
        if (!v13)
            exts[n_exts++] = "VK_EXT_subgroup_size_control";
    }
    if (want & VKFEAT_INTDOT) {
        fdot.shaderIntegerDotProduct = VK_TRUE;
        CHAIN(fdot);
        if (!v13)
            exts[n_exts++] = "VK_KHR_shader_integer_dot_product";
    }
    if (want & VKFEAT_COOPMAT) {
        fcm.cooperativeMatrix = VK_TRUE;
        f12.vulkanMemoryModel = VK_TRUE; /* cooperative-matrix modules declare it */
        CHAIN(fcm);
        exts[n_exts++] = VK_KHR_COOPERATIVE_MATRIX_EXTENSION_NAME;
    }
#undef CHAIN
    if (want & VKFEAT_MEMORY_BUDGET)
        exts[n_exts++] = "VK_EXT_memory_budget";
    if (info->exts & VKEXT_PORTABILITY_SUBSET)
        exts[n_exts++] = "VK_KHR_portability_subset";

    float priority = 1.0f;
    VkDeviceQueueCreateInfo queue = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
        .queueFamilyIndex = info->queue_family,
        .queueCount = 1,
        .pQueuePriorities = &priority,
    };
    VkDeviceCreateInfo create = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
        .pNext = &f,
        .queueCreateInfoCount = 1,
        .pQueueCreateInfos = &queue,
        .enabledExtensionCount = n_exts,
        .ppEnabledExtensionNames = exts,
    };
    DRIVER_CALL_BEGIN();
    VkResult r = dev->inst->fn.vkCreateDevice(dev->phys, &create, NULL, &dev->device);
    DRIVER_CALL_END();
    if (r != VK_SUCCESS) {
        vk_check(r, err, "vkCreateDevice");
        return err_wrap(err, "device %u (%s)", info->index, info->name);
    }
    axvk_status st = load_device_table(dev, err);
    if (st) {
        /* without a table the device cannot be destroyed through it later */
        PFN_vkDestroyDevice destroy = (PFN_vkDestroyDevice)dev->inst->fn.vkGetDeviceProcAddr(
            dev->device, "vkDestroyDevice");
        if (destroy)
            destroy(dev->device, NULL);
        dev->device = VK_NULL_HANDLE;
        return st;
    }
    dev->fn.vkGetDeviceQueue(dev->device, info->queue_family, 0, &dev->queue);
    return AXVK_OK;
}

static axvk_status pick_physical(struct vkdev *dev, const struct vkdev_options *opt,
                                 struct err *err)
{
    uint32_t disabled = 0, count = 0, chosen = 0;
    VkPhysicalDevice *phys = NULL;
    struct vkdev_info *list = NULL;
    const char *disable = opt->disable ? opt->disable : getenv("AXVK_DISABLE");
    axvk_status st = vkfeat_parse(disable, &disabled, err);
    if (st || (st = vkinfo_all(dev->inst, disabled, &phys, &list, &count, err)))
        return st;
    if (!(st = vkdev_select(list, count, opt->select, &chosen, err))) {
        dev->phys = phys[chosen];
        dev->info = list[chosen];
    }
    mem_free(phys);
    mem_free(list);
    return st;
}

axvk_status vkdev_create(const char *select, struct vkdev **out, struct err *err)
{
    const struct vkdev_options opt = {.select = select};
    return vkdev_create_with(&opt, out, err);
}

axvk_status vkdev_create_with(const struct vkdev_options *opt, struct vkdev **out,
                              struct err *err)
{
    static const struct vkdev_options from_env = {0};
    *out = NULL;
    if (!opt)
        opt = &from_env;
    axvk_status st;
    struct vkdev *dev = mem_calloc(1, sizeof *dev);
    if (!dev)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "creating a device: out of host memory");
    const char *profile = getenv("AXVK_PROFILE");
    dev->profile = profile && profile[0] && strcmp(profile, "0") != 0;
    if ((st = vkinst_create(&dev->inst, err)))
        goto fail;
    if ((st = pick_physical(dev, opt, err)))
        goto fail;
    if ((st = create_logical(dev, err)))
        goto fail;
    if ((st = vkmem_init(dev, err)))
        goto fail;
    if ((st = vkpipe_init(dev, err)))
        goto fail;
    *out = dev;
    return AXVK_OK;
fail:
    vkdev_destroy(dev);
    return st;
}

axvk_status vkdev_wait_idle(struct vkdev *dev, struct err *err)
{
    return vk_check(dev->fn.vkDeviceWaitIdle(dev->device), err, "vkDeviceWaitIdle");
}

void vkdev_destroy(struct vkdev *dev)
{
    if (!dev)
        return;
    if (dev->device) {
        dev->fn.vkDeviceWaitIdle(dev->device);
        vkring_destroy(dev);
        vkpipe_fini(dev);
        vkmem_fini(dev);
        dev->fn.vkDestroyDevice(dev->device, NULL);
    }
    vkinst_destroy(dev->inst);
    mem_free(dev);
}
