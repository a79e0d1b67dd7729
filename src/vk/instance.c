/* instance: volk-style loading, stage one and two: dlopen the loader, fetch vkGetInstanceProcAddr,
 * the global entry points, then the instance table. Device tables are device.c's; nothing here is
 * global except the process-wide count of validation errors. */
#include "vk/instance.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "vk/internal.h"

static atomic_uint_least64_t validation_errors;

uint64_t vkdev_validation_errors(void)
{
    return atomic_load(&validation_errors);
}

const char *vk_result_str(VkResult r)
{
    switch (r) {
#define CASE(x) case x: return #x;
    CASE(VK_SUCCESS)
    CASE(VK_NOT_READY)
    CASE(VK_TIMEOUT)
    CASE(VK_INCOMPLETE)
    CASE(VK_ERROR_OUT_OF_HOST_MEMORY)
    CASE(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    CASE(VK_ERROR_INITIALIZATION_FAILED)
    CASE(VK_ERROR_DEVICE_LOST)
    CASE(VK_ERROR_MEMORY_MAP_FAILED)
    CASE(VK_ERROR_LAYER_NOT_PRESENT)
    CASE(VK_ERROR_EXTENSION_NOT_PRESENT)
    CASE(VK_ERROR_FEATURE_NOT_PRESENT)
    CASE(VK_ERROR_INCOMPATIBLE_DRIVER)
    CASE(VK_ERROR_TOO_MANY_OBJECTS)
    CASE(VK_ERROR_FORMAT_NOT_SUPPORTED)
    CASE(VK_ERROR_FRAGMENTED_POOL)
    CASE(VK_ERROR_OUT_OF_POOL_MEMORY)
    CASE(VK_ERROR_FRAGMENTATION)
    CASE(VK_ERROR_UNKNOWN)
#undef CASE
    default: return "VkResult (unknown code)";
    }
}

axvk_status vk_check(VkResult r, struct err *err, const char *what)
{
    switch (r) {
    case VK_SUCCESS:
        return AXVK_OK;
    case VK_ERROR_OUT_OF_HOST_MEMORY:
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "%s: %s", what, vk_result_str(r));
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
        return err_set(err, AXVK_ERR_OUT_OF_DEVICE_MEMORY, "%s: %s", what, vk_result_str(r));
    case VK_ERROR_DEVICE_LOST:
        return err_set(err, AXVK_ERR_DEVICE_LOST, "%s: %s", what, vk_result_str(r));
    default:
        return err_set(err, AXVK_ERR_VULKAN, "%s: %s (%d)", what, vk_result_str(r), (int)r);
    }
}

const char *vk_fmt_bytes(char *buf, uint64_t bytes)
{
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024.0 && u < 4) {
        v /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, 32, "%llu B", (unsigned long long)bytes);
    else if (v == (double)(uint64_t)v)
        snprintf(buf, 32, "%.0f %s", v, units[u]);
    else
        snprintf(buf, 32, "%.2f %s", v, units[u]);
    return buf;
}

static VKAPI_ATTR VkBool32 VKAPI_CALL on_debug_message(
    VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT types,
    const VkDebugUtilsMessengerCallbackDataEXT *data, void *user)
{
    const char *level = "warning";
    if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
        atomic_fetch_add(&validation_errors, 1);
        level = "error";
    }
    fprintf(stderr, "axvk: validation %s: %s\n", level,
            data && data->pMessage ? data->pMessage : "(no message)");
    return VK_FALSE; /* never abort the call that triggered it */
}

static int has_layer(const struct vkinst *inst, const char *name)
{
    uint32_t n = 0;
    if (inst->g.vkEnumerateInstanceLayerProperties(&n, NULL) != VK_SUCCESS || n == 0)
        return 0;
    VkLayerProperties *props = mem_calloc(n, sizeof *props);
    int found = 0;
    if (props && inst->g.vkEnumerateInstanceLayerProperties(&n, props) == VK_SUCCESS)
        for (uint32_t i = 0; i < n && !found; i++)
            found = !strcmp(props[i].layerName, name);
    mem_free(props);
    return found;
}

/* Whether the loader, its drivers or `layer` (NULL: none) provide an instance extension. */
static int has_instance_ext(const struct vkinst *inst, const char *layer, const char *name)
{
    uint32_t n = 0;
    if (inst->g.vkEnumerateInstanceExtensionProperties(layer, &n, NULL) != VK_SUCCESS || n == 0)
        return 0;
    VkExtensionProperties *props = mem_calloc(n, sizeof *props);
    int found = 0;
    if (props && inst->g.vkEnumerateInstanceExtensionProperties(layer, &n, props) == VK_SUCCESS)
        for (uint32_t i = 0; i < n && !found; i++)
            found = !strcmp(props[i].extensionName, name);
    mem_free(props);
    return found;
}

static axvk_status open_loader(struct vkinst *inst, struct err *err)
{
    const char *names[] = {getenv("AXVK_VULKAN_LIBRARY"), "libvulkan.so.1", "libvulkan.so",
                           "libvulkan.1.dylib", "libMoltenVK.dylib"};
    const char *tried = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !inst->lib; i++) {
        if (!names[i] || !names[i][0])
            continue;
        if (!tried)
            tried = names[i];
        /* RTLD_NODELETE: the loader stays mapped after dlclose, so leak reports still name it */
        inst->lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
        if (i == 0 && !inst->lib) /* an explicit choice is not silently replaced */
            break;
    }
    if (!inst->lib)
        return err_set(err, AXVK_ERR_NO_VULKAN, "no Vulkan loader: cannot open %s (install libvulkan1)",
                       tried ? tried : "libvulkan.so.1");
    /* POSIX allows the object-to-function pointer conversion dlsym needs */
    *(void **)&inst->g.vkGetInstanceProcAddr = dlsym(inst->lib, "vkGetInstanceProcAddr");
    if (!inst->g.vkGetInstanceProcAddr)
        return err_set(err, AXVK_ERR_NO_VULKAN, "%s has no vkGetInstanceProcAddr", tried);
    PFN_vkGetInstanceProcAddr gipa = inst->g.vkGetInstanceProcAddr;
    inst->g.vkEnumerateInstanceVersion =
        (PFN_vkEnumerateInstanceVersion)gipa(NULL, "vkEnumerateInstanceVersion");
#define LOAD_GLOBAL(entry)                                                                         \
    inst->g.entry = (PFN_##entry)gipa(NULL, #entry);                                               \
    if (!inst->g.entry)                                                                            \
        return err_set(err, AXVK_ERR_NO_VULKAN, "Vulkan loader lacks %s", #entry);
    VKFN_GLOBAL(LOAD_GLOBAL)
#undef LOAD_GLOBAL
    return AXVK_OK;
}

static axvk_status load_instance_table(struct vkinst *inst, struct err *err)
{
    PFN_vkGetInstanceProcAddr gipa = inst->g.vkGetInstanceProcAddr;
#define LOAD_INSTANCE(entry)                                                                       \
    inst->fn.entry = (PFN_##entry)gipa(inst->instance, #entry);                                    \
    if (!inst->fn.entry)                                                                           \
        return err_set(err, AXVK_ERR_NO_VULKAN, "Vulkan instance lacks %s", #entry);
    VKFN_INSTANCE(LOAD_INSTANCE)
#undef LOAD_INSTANCE
#define LOAD_OPTIONAL(entry) inst->fn.entry = (PFN_##entry)gipa(inst->instance, #entry);
    VKFN_INSTANCE_OPTIONAL(LOAD_OPTIONAL)
#undef LOAD_OPTIONAL
    return AXVK_OK;
}

static int validation_requested(void)
{
    const char *v = getenv("AXVK_VALIDATION");
    return v && v[0] && strcmp(v, "0") != 0;
}

axvk_status vkinst_create(struct vkinst **out, struct err *err)
{
    *out = NULL;
    axvk_status st;
    struct vkinst *inst = mem_calloc(1, sizeof *inst);
    if (!inst)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "vulkan instance: out of host memory");
    if ((st = open_loader(inst, err)))
        goto fail;

    uint32_t loader_version = VK_API_VERSION_1_0;
    if (inst->g.vkEnumerateInstanceVersion)
        inst->g.vkEnumerateInstanceVersion(&loader_version);
    if (loader_version < VK_API_VERSION_1_1) {
        st = err_set(err, AXVK_ERR_NO_VULKAN, "Vulkan loader is version %u.%u; axvk needs 1.2",
                     VK_API_VERSION_MAJOR(loader_version), VK_API_VERSION_MINOR(loader_version));
        goto fail;
    }
    inst->api_version = loader_version < VK_API_VERSION_1_3 ? loader_version : VK_API_VERSION_1_3;

    const char *layers[1];
    const char *exts[2];
    uint32_t n_layers = 0, n_exts = 0;
    VkInstanceCreateFlags flags = 0;
    if (validation_requested()) {
        const char *layer = "VK_LAYER_KHRONOS_validation";
        if (has_layer(inst, layer)) {
            layers[n_layers++] = layer;
            inst->validation = 1;
            if (has_instance_ext(inst, NULL, VK_EXT_DEBUG_UTILS_EXTENSION_NAME) ||
                has_instance_ext(inst, layer, VK_EXT_DEBUG_UTILS_EXTENSION_NAME))
                exts[n_exts++] = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
        } else {
            fprintf(stderr, "axvk: AXVK_VALIDATION is set but %s is not installed; "
                            "continuing without validation\n", layer);
        }
    }
#ifdef VK_KHR_portability_enumeration
    /* MoltenVK lists its devices only to instances that accept portability drivers */
    if (has_instance_ext(inst, NULL, VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME)) {
        exts[n_exts++] = VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME;
        flags |= VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR;
    }
#endif

    VkDebugUtilsMessengerCreateInfoEXT messenger_info = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
        .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                           VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
        .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
        .pfnUserCallback = on_debug_message,
    };
    int use_messenger = n_exts > 0 && !strcmp(exts[0], VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    VkApplicationInfo app = {
        .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
        .pApplicationName = "axvk",
        .applicationVersion = AXVK_VERSION,
        .pEngineName = "axvk",
        .engineVersion = AXVK_VERSION,
        .apiVersion = inst->api_version,
    };
    VkInstanceCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
        /* chained, the messenger also sees vkCreateInstance/vkDestroyInstance themselves */
        .pNext = use_messenger ? &messenger_info : NULL,
        .flags = flags,
        .pApplicationInfo = &app,
        .enabledLayerCount = n_layers,
        .ppEnabledLayerNames = layers,
        .enabledExtensionCount = n_exts,
        .ppEnabledExtensionNames = exts,
    };
    DRIVER_CALL_BEGIN();
    VkResult r = inst->g.vkCreateInstance(&info, NULL, &inst->instance);
    DRIVER_CALL_END();
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER) {
        st = err_set(err, AXVK_ERR_NO_VULKAN, "the Vulkan loader found no driver (%s)",
                     vk_result_str(r));
        goto fail;
    }
    if (r != VK_SUCCESS) {
        vk_check(r, err, "vkCreateInstance");
        st = err_set(err, AXVK_ERR_NO_VULKAN, "cannot create a Vulkan instance: %s", vk_result_str(r));
        goto fail;
    }
    if ((st = load_instance_table(inst, err)))
        goto fail;
    if (use_messenger && inst->fn.vkCreateDebugUtilsMessengerEXT) {
        r = inst->fn.vkCreateDebugUtilsMessengerEXT(inst->instance, &messenger_info, NULL,
                                                    &inst->messenger);
        if ((st = vk_check(r, err, "vkCreateDebugUtilsMessengerEXT")))
            goto fail;
    }
    *out = inst;
    return AXVK_OK;
fail:
    vkinst_destroy(inst);
    return st;
}

axvk_status vkinst_devices(struct vkinst *inst, VkPhysicalDevice **out, uint32_t *n,
                           struct err *err)
{
    *out = NULL;
    *n = 0;
    uint32_t count = 0;
    DRIVER_CALL_BEGIN();
    VkResult r = inst->fn.vkEnumeratePhysicalDevices(inst->instance, &count, NULL);
    DRIVER_CALL_END();
    axvk_status st = vk_check(r, err, "vkEnumeratePhysicalDevices");
    if (st)
        return st;
    if (count == 0)
        return err_set(err, AXVK_ERR_NO_DEVICE, "the Vulkan loader reports no devices");
    VkPhysicalDevice *phys = mem_calloc(count, sizeof *phys);
    if (!phys)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "listing devices: out of host memory");
    r = inst->fn.vkEnumeratePhysicalDevices(inst->instance, &count, phys);
    if (r != VK_INCOMPLETE && (st = vk_check(r, err, "vkEnumeratePhysicalDevices"))) {
        mem_free(phys);
        return st;
    }
    *out = phys;
    *n = count;
    return AXVK_OK;
}

void vkinst_destroy(struct vkinst *inst)
{
    if (!inst)
        return;
    if (inst->messenger && inst->fn.vkDestroyDebugUtilsMessengerEXT)
        inst->fn.vkDestroyDebugUtilsMessengerEXT(inst->instance, inst->messenger, NULL);
    if (inst->instance) {
        PFN_vkDestroyInstance destroy = inst->fn.vkDestroyInstance;
        if (!destroy)
            destroy = (PFN_vkDestroyInstance)inst->g.vkGetInstanceProcAddr(inst->instance,
                                                                           "vkDestroyInstance");
        if (destroy)
            destroy(inst->instance, NULL);
    }
    if (inst->lib)
        dlclose(inst->lib);
    mem_free(inst);
}
