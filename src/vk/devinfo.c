/* devinfo: reads what a physical device offers into struct vkdev_info (limits, optional features,
 * cooperative-matrix shapes, memory), and chooses a device. Creates no logical device. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/alloc.h"
#include "vk/internal.h"

static const char *const feature_names[VKFEAT_COUNT] = {
    "fp16", "storage16", "int8", "intdot", "subgroup-size-control", "coopmat", "memory-budget",
};

const char *vkfeat_name(uint32_t i)
{
    return i < VKFEAT_COUNT ? feature_names[i] : "?";
}

axvk_status vkfeat_parse(const char *list, uint32_t *mask, struct err *err)
{
    *mask = 0;
    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, ",");
        /* tolerate spaces around names: "fp16, int8" */
        const char *s = p, *e = p + len;
        while (s < e && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        if (e > s) {
            size_t len_name = (size_t)(e - s);
            uint32_t i = 0;
            while (i < VKFEAT_COUNT && !(strlen(feature_names[i]) == len_name &&
                                         !strncmp(feature_names[i], s, len_name)))
                i++;
            if (i == VKFEAT_COUNT)
                return err_set(err, AXVK_ERR_INVALID_ARGUMENT,
                               "AXVK_DISABLE: unknown feature '%.*s' (known: fp16, storage16, int8, "
                               "intdot, subgroup-size-control, coopmat, memory-budget)",
                               (int)(e - s), s);
            *mask |= 1u << i;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return AXVK_OK;
}

static const char *vendor_name(uint32_t id)
{
    switch (id) {
    case 0x1002: return "AMD";
    case 0x1010: return "Imagination";
    case 0x106b: return "Apple";
    case 0x10de: return "NVIDIA";
    case 0x13b5: return "ARM";
    case 0x1414: return "Microsoft";
    case 0x144d: return "Samsung";
    case 0x14e4: return "Broadcom";
    case 0x5143: return "Qualcomm";
    case 0x8086: return "Intel";
    case 0x10001: return "Vivante";
    case 0x10002: return "VeriSilicon";
    case 0x10003: return "Kazan";
    case 0x10004: return "Codeplay";
    case 0x10005: return "Mesa";
    case 0x10006: return "PoCL";
    case 0x10007: return "Mobileye";
    default: return "unknown";
    }
}

static const char *type_name(VkPhysicalDeviceType t)
{
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "cpu";
    default: return "other";
    }
}

/* Vendors pack driverVersion differently; the spec leaves it to them. */
static void format_driver_version(struct vkdev_info *info)
{
    uint32_t v = info->driver_version;
    char *out = info->driver_version_str;
    size_t cap = sizeof info->driver_version_str;
    if (info->vendor_id == 0x10de) /* NVIDIA: 10 bits major, 8 minor, 8 patch, 6 build */
        snprintf(out, cap, "%u.%u.%02u", (v >> 22) & 0x3ff, (v >> 14) & 0xff, (v >> 6) & 0xff);
    else if (info->vendor_id == 0x8086 && info->driver_id == VK_DRIVER_ID_INTEL_PROPRIETARY_WINDOWS)
        snprintf(out, cap, "%u.%u", v >> 14, v & 0x3fff); /* Intel on Windows: 18 bits . 14 bits */
    else
        snprintf(out, cap, "%u.%u.%u", VK_API_VERSION_MAJOR(v), VK_API_VERSION_MINOR(v),
                 VK_API_VERSION_PATCH(v));
}

static uint32_t device_exts(const struct vkinst *inst, VkPhysicalDevice phys)
{
    static const struct { const char *name; uint32_t bit; } known[] = {
        {"VK_EXT_subgroup_size_control", VKEXT_SUBGROUP_SIZE_CONTROL},
        {"VK_KHR_shader_integer_dot_product", VKEXT_INTEGER_DOT_PRODUCT},
        {VK_KHR_COOPERATIVE_MATRIX_EXTENSION_NAME, VKEXT_COOPERATIVE_MATRIX},
        {"VK_EXT_memory_budget", VKEXT_MEMORY_BUDGET},
        {"VK_KHR_driver_properties", VKEXT_DRIVER_PROPERTIES},
        {"VK_KHR_portability_subset", VKEXT_PORTABILITY_SUBSET},
    };
    uint32_t n = 0, bits = 0;
    if (inst->fn.vkEnumerateDeviceExtensionProperties(phys, NULL, &n, NULL) != VK_SUCCESS || !n)
        return 0;
    VkExtensionProperties *props = mem_calloc(n, sizeof *props);
    if (props && inst->fn.vkEnumerateDeviceExtensionProperties(phys, NULL, &n, props) == VK_SUCCESS)
        for (uint32_t i = 0; i < n; i++)
            for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
                if (!strcmp(props[i].extensionName, known[k].name))
                    bits |= known[k].bit;
    mem_free(props);
    return bits;
}

/* Picks the compute queue family: the first with timestamps, else the first with compute. */
static void query_queue(const struct vkinst *inst, VkPhysicalDevice phys, struct vkdev_info *info)
{
    uint32_t n = 0;
    inst->fn.vkGetPhysicalDeviceQueueFamilyProperties(phys, &n, NULL);
    VkQueueFamilyProperties *q = mem_calloc(n, sizeof *q);
    info->queue_family = UINT32_MAX;
    if (!q)
        return;
    inst->fn.vkGetPhysicalDeviceQueueFamilyProperties(phys, &n, q);
    for (int pass = 0; pass < 2 && info->queue_family == UINT32_MAX; pass++)
        for (uint32_t i = 0; i < n && info->queue_family == UINT32_MAX; i++)
            if ((q[i].queueFlags & VK_QUEUE_COMPUTE_BIT) && (pass == 1 || q[i].timestampValidBits)) {
                info->queue_family = i;
                info->timestamp_bits = q[i].timestampValidBits;
            }
    mem_free(q);
}

static uint64_t host_ram_bytes(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
}

static void query_memory(const struct vkinst *inst, VkPhysicalDevice phys, struct vkdev_info *info)
{
    VkPhysicalDeviceMemoryBudgetPropertiesEXT budget = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT,
    };
    VkPhysicalDeviceMemoryProperties2 mem = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2,
        .pNext = (info->exts & VKEXT_MEMORY_BUDGET) ? &budget : NULL,
    };
    inst->fn.vkGetPhysicalDeviceMemoryProperties2(phys, &mem);
    const VkPhysicalDeviceMemoryProperties *p = &mem.memoryProperties;
    /* the largest heap with a device-local type: VRAM, not the 256 MiB BAR window some discrete
     * GPUs also mark device-local */
    info->device_heap = 0;
    for (uint32_t i = 0, found = 0; i < p->memoryTypeCount; i++) {
        uint32_t h = p->memoryTypes[i].heapIndex;
        if ((p->memoryTypes[i].propertyFlags & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) &&
            (!found || p->memoryHeaps[h].size > p->memoryHeaps[info->device_heap].size)) {
            info->device_heap = h;
            found = 1;
        }
    }
    info->device_local_bytes = p->memoryHeaps[info->device_heap].size;
    if (info->features & VKFEAT_MEMORY_BUDGET)
        info->budget_bytes = budget.heapBudget[info->device_heap];
    info->plan_bytes = info->budget_bytes ? info->budget_bytes : info->device_local_bytes;
    /* Mesa 22's lavapipe reports a fixed 2 GiB heap yet allocates beyond it from malloc (Mesa 24+
     * reports the host's RAM instead) */
    uint64_t host = host_ram_bytes();
    if (info->type == VK_PHYSICAL_DEVICE_TYPE_CPU && host > info->plan_bytes)
        info->plan_bytes = host;
}

static void query_coopmat(const struct vkinst *inst, VkPhysicalDevice phys, struct vkdev_info *info)
{
    PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR get =
        inst->fn.vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR;
    uint32_t n = 0;
    if (!get || get(phys, &n, NULL) != VK_SUCCESS || !n)
        return;
    VkCooperativeMatrixPropertiesKHR *p = mem_calloc(n, sizeof *p);
    if (!p)
        return;
    for (uint32_t i = 0; i < n; i++)
        p[i].sType = VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_KHR;
    VkResult r = get(phys, &n, p);
    if (r == VK_SUCCESS || r == VK_INCOMPLETE)
        for (uint32_t i = 0; i < n && info->n_coopmat < VKDEV_MAX_COOPMAT; i++)
            info->coopmat[info->n_coopmat++] = (struct vkcoopmat_shape){
                .m = p[i].MSize, .n = p[i].NSize, .k = p[i].KSize,
                .a_type = p[i].AType, .b_type = p[i].BType, .c_type = p[i].CType,
                .result_type = p[i].ResultType, .scope = p[i].scope,
                .saturating = p[i].saturatingAccumulation,
            };
    mem_free(p);
}

void vkinfo_query(const struct vkinst *inst, VkPhysicalDevice phys, uint32_t index,
                  uint32_t disabled, struct vkdev_info *info)
{
    memset(info, 0, sizeof *info);
    info->index = index;
    info->exts = device_exts(inst, phys);
    VkPhysicalDeviceProperties base;
    inst->fn.vkGetPhysicalDeviceProperties(phys, &base);
    /* the version both the instance and the device speak decides what is core */
    uint32_t api = base.apiVersion < inst->api_version ? base.apiVersion : inst->api_version;
    int v13 = api >= VK_API_VERSION_1_3;
    int has_ssc = v13 || (info->exts & VKEXT_SUBGROUP_SIZE_CONTROL);
    int has_intdot = v13 || (info->exts & VKEXT_INTEGER_DOT_PRODUCT);
    int has_driver = api >= VK_API_VERSION_1_2 || (info->exts & VKEXT_DRIVER_PROPERTIES);

    VkPhysicalDeviceDriverProperties driver = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
    VkPhysicalDeviceSubgroupProperties subgroup = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
    VkPhysicalDeviceSubgroupSizeControlProperties ssc = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_PROPERTIES};
    VkPhysicalDeviceShaderIntegerDotProductProperties intdot = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_PROPERTIES};
    VkPhysicalDeviceMaintenance3Properties m3 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES};
    VkPhysicalDeviceIDProperties ids = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES};
    VkPhysicalDeviceProperties2 props = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
    /* chain only what the device knows: an unknown struct is invalid usage */
    void **next = &props.pNext;
#define CHAIN(s) (*next = &(s), next = &(s).pNext)
    CHAIN(subgroup);
    CHAIN(m3);
    CHAIN(ids);
    if (has_driver)
        CHAIN(driver);
    if (has_ssc)
        CHAIN(ssc);
    if (has_intdot)
        CHAIN(intdot);
    inst->fn.vkGetPhysicalDeviceProperties2(phys, &props);

    const VkPhysicalDeviceLimits *lim = &props.properties.limits;
    snprintf(info->name, sizeof info->name, "%s", props.properties.deviceName);
    info->vendor_id = props.properties.vendorID;
    info->device_id = props.properties.deviceID;
    info->vendor = vendor_name(info->vendor_id);
    info->type = props.properties.deviceType;
    info->type_name = type_name(info->type);
    info->api_version = props.properties.apiVersion;
    info->driver_version = props.properties.driverVersion;
    memcpy(info->pipeline_cache_uuid, props.properties.pipelineCacheUUID, VK_UUID_SIZE);
    memcpy(info->device_uuid, ids.deviceUUID, VK_UUID_SIZE);
    if (has_driver) {
        info->driver_id = driver.driverID;
        snprintf(info->driver_name, sizeof info->driver_name, "%s", driver.driverName);
        snprintf(info->driver_info, sizeof info->driver_info, "%s", driver.driverInfo);
    }
    format_driver_version(info);
    info->max_storage_buffer_range = lim->maxStorageBufferRange;
    info->max_alloc_size = m3.maxMemoryAllocationSize;
    info->min_storage_offset_align = (uint32_t)lim->minStorageBufferOffsetAlignment;
    info->max_push_constants = lim->maxPushConstantsSize;
    info->max_wg_invocations = lim->maxComputeWorkGroupInvocations;
    info->max_shared_bytes = lim->maxComputeSharedMemorySize;
    for (int i = 0; i < 3; i++) {
        info->max_wg_size[i] = lim->maxComputeWorkGroupSize[i];
        info->max_wg_count[i] = lim->maxComputeWorkGroupCount[i];
    }
    info->timestamp_period = lim->timestampPeriod;
    info->subgroup_size = subgroup.subgroupSize;
    info->subgroup_min = has_ssc ? ssc.minSubgroupSize : subgroup.subgroupSize;
    info->subgroup_max = has_ssc ? ssc.maxSubgroupSize : subgroup.subgroupSize;
    info->subgroup_ops = (subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT)
                             ? subgroup.supportedOperations : 0;
    info->intdot_accelerated = has_intdot && intdot.integerDotProduct4x8BitPackedSignedAccelerated;

    if (api < VK_API_VERSION_1_2) {
        snprintf(info->unusable_reason, sizeof info->unusable_reason,
                 "Vulkan %u.%u only; axvk needs 1.2", VK_API_VERSION_MAJOR(api),
                 VK_API_VERSION_MINOR(api));
    } else {
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
        VkPhysicalDeviceFeatures2 f = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
        next = &f.pNext;
        CHAIN(f11);
        CHAIN(f12);
        if (has_ssc)
            CHAIN(fssc);
        if (has_intdot)
            CHAIN(fdot);
        if (info->exts & VKEXT_COOPERATIVE_MATRIX)
            CHAIN(fcm);
        inst->fn.vkGetPhysicalDeviceFeatures2(phys, &f);
        if (f12.shaderFloat16)
            info->present |= VKFEAT_FP16;
        if (f11.storageBuffer16BitAccess)
            info->present |= VKFEAT_STORAGE16;
        if (f12.storageBuffer8BitAccess && f12.shaderInt8)
            info->present |= VKFEAT_INT8;
        if (fdot.shaderIntegerDotProduct)
            info->present |= VKFEAT_INTDOT;
        if (fssc.subgroupSizeControl && fssc.computeFullSubgroups &&
            (ssc.requiredSubgroupSizeStages & VK_SHADER_STAGE_COMPUTE_BIT))
            info->present |= VKFEAT_SUBGROUP_SIZE_CONTROL;
        /* glslang declares the Vulkan memory model in every cooperative-matrix module */
        if (fcm.cooperativeMatrix && f12.vulkanMemoryModel &&
            inst->fn.vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR)
            info->present |= VKFEAT_COOPMAT;
        if (info->exts & VKEXT_MEMORY_BUDGET)
            info->present |= VKFEAT_MEMORY_BUDGET;
    }
#undef CHAIN
    info->disabled = disabled;
    info->features = info->present & ~disabled;
    if (!(info->features & VKFEAT_SUBGROUP_SIZE_CONTROL))
        info->subgroup_min = info->subgroup_max = info->subgroup_size;
    if (info->features & VKFEAT_COOPMAT)
        query_coopmat(inst, phys, info);
    query_memory(inst, phys, info);
    query_queue(inst, phys, info);
    if (!info->unusable_reason[0] && info->queue_family == UINT32_MAX)
        snprintf(info->unusable_reason, sizeof info->unusable_reason, "no compute queue");
    info->usable = !info->unusable_reason[0];
}

int vkinfo_heap_budget(const struct vkdev *dev, uint32_t heap, uint64_t *budget, uint64_t *usage)
{
    if (!(dev->info.features & VKFEAT_MEMORY_BUDGET))
        return 0;
    VkPhysicalDeviceMemoryBudgetPropertiesEXT b = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT,
    };
    VkPhysicalDeviceMemoryProperties2 mem = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2,
        .pNext = &b,
    };
    dev->inst->fn.vkGetPhysicalDeviceMemoryProperties2(dev->phys, &mem);
    *budget = b.heapBudget[heap];
    *usage = b.heapUsage[heap];
    return 1;
}

axvk_status vkinfo_all(struct vkinst *inst, uint32_t disabled, VkPhysicalDevice **phys,
                       struct vkdev_info **list, uint32_t *n, struct err *err)
{
    VkPhysicalDevice *handles = NULL;
    uint32_t count = 0;
    *list = NULL;
    *n = 0;
    if (phys)
        *phys = NULL;
    axvk_status st = vkinst_devices(inst, &handles, &count, err);
    if (st)
        return st;
    struct vkdev_info *infos = mem_calloc(count, sizeof *infos);
    if (!infos) {
        mem_free(handles);
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "listing devices: out of host memory");
    }
    for (uint32_t i = 0; i < count; i++)
        vkinfo_query(inst, handles[i], i, disabled, &infos[i]);
    if (phys)
        *phys = handles;
    else
        mem_free(handles);
    *list = infos;
    *n = count;
    return AXVK_OK;
}

axvk_status vkdev_list(struct vkdev_info **out, uint32_t *n, struct err *err)
{
    *out = NULL;
    *n = 0;
    struct vkinst *inst = NULL;
    uint32_t disabled = 0;
    axvk_status st = vkfeat_parse(getenv("AXVK_DISABLE"), &disabled, err);
    if (st || (st = vkinst_create(&inst, err)))
        return st;
    st = vkinfo_all(inst, disabled, NULL, out, n, err);
    vkinst_destroy(inst);
    return st;
}

static int contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (!strncasecmp(hay, needle, n))
            return 1;
    return n == 0;
}

static int type_rank(VkPhysicalDeviceType t)
{
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 0;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 1;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return 3;
    default: return 4;
    }
}

axvk_status vkdev_select(const struct vkdev_info *list, uint32_t n, const char *select,
                         uint32_t *index, struct err *err)
{
    if (!select || !select[0])
        select = getenv("AXVK_DEVICE");
    if (select && select[0]) {
        char *end = NULL;
        unsigned long want = strtoul(select, &end, 10);
        int numeric = isdigit((unsigned char)select[0]) && end && *end == '\0';
        for (uint32_t i = 0; i < n; i++) {
            if (numeric ? list[i].index != want : !contains_nocase(list[i].name, select))
                continue;
            if (!list[i].usable)
                return err_set(err, AXVK_ERR_NO_DEVICE, "device %u (%s) cannot run axvk: %s",
                               list[i].index, list[i].name, list[i].unusable_reason);
            *index = i;
            return AXVK_OK;
        }
        return err_set(err, AXVK_ERR_NO_DEVICE, "no Vulkan device matches '%s' (%u device%s; "
                       "see `axvk devices`)", select, n, n == 1 ? "" : "s");
    }
    int best = -1;
    for (uint32_t i = 0; i < n; i++)
        if (list[i].usable && (best < 0 || type_rank(list[i].type) < type_rank(list[best].type)))
            best = (int)i;
    if (best < 0)
        return err_set(err, AXVK_ERR_NO_DEVICE, "none of the %u Vulkan device%s can run axvk%s%s", n,
                       n == 1 ? "" : "s", n ? ": " : "", n ? list[0].unusable_reason : "");
    *index = (uint32_t)best;
    return AXVK_OK;
}
