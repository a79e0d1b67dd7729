/* api/context: axvk_context (one device), device listing, status text and error messages.
 * Translates the vk layer's structs into the public plain-data ones; no Vulkan logic here. */
#include <stdio.h>
#include <string.h>

#include "api/internal.h"
#include "base/alloc.h"
#include "vk/device.h"

/* Failures of calls with no context to report through (context creation, device listing). */
static _Thread_local char global_errmsg[ERR_MSG_MAX];

axvk_status api_fail_global(const struct err *err)
{
    snprintf(global_errmsg, sizeof global_errmsg, "%s", err->msg);
    return err->status;
}

void api_begin(axvk_context *ctx)
{
    if (ctx)
        err_clear(&ctx->err);
}

const char *axvk_errmsg(const axvk_context *ctx)
{
    return ctx ? ctx->err.msg : global_errmsg;
}

void axvk_free(void *ptr)
{
    mem_free(ptr);
}

static void version_string(char *out, size_t size, uint32_t v)
{
    snprintf(out, size, "%u.%u.%u", VK_API_VERSION_MAJOR(v), VK_API_VERSION_MINOR(v),
             VK_API_VERSION_PATCH(v));
}

static const char *component_name(uint32_t type)
{
    switch (type) {
    case 0: return "f16";  /* VK_COMPONENT_TYPE_FLOAT16_KHR */
    case 1: return "f32";
    case 2: return "f64";
    case 3: return "s8";
    case 4: return "s16";
    case 5: return "s32";
    case 6: return "s64";
    case 7: return "u8";
    case 8: return "u16";
    case 9: return "u32";
    case 10: return "u64";
    }
    return "?";
}

static void coopmat_shapes(char *out, size_t size, const struct vkdev_info *d)
{
    size_t used = 0;
    out[0] = '\0';
    for (uint32_t i = 0; i < d->n_coopmat && used < size; i++) {
        const struct vkcoopmat_shape *s = &d->coopmat[i];
        int n = snprintf(out + used, size - used, "%s%ux%ux%u %s->%s", i ? ", " : "", s->m, s->n,
                         s->k, component_name(s->a_type), component_name(s->result_type));
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static void fill_info(axvk_device_info *o, const struct vkdev_info *d)
{
    memset(o, 0, sizeof *o);
    o->index = d->index;
    snprintf(o->name, sizeof o->name, "%s", d->name);
    snprintf(o->vendor, sizeof o->vendor, "%s", d->vendor);
    o->vendor_id = d->vendor_id;
    o->device_id = d->device_id;
    snprintf(o->type, sizeof o->type, "%s", d->type_name);
    snprintf(o->driver_name, sizeof o->driver_name, "%s", d->driver_name);
    snprintf(o->driver_version, sizeof o->driver_version, "%s", d->driver_version_str);
    version_string(o->api_version, sizeof o->api_version, d->api_version);
    o->device_local_bytes = d->device_local_bytes;
    o->budget_bytes = d->budget_bytes;
    o->max_storage_buffer_range = d->max_storage_buffer_range;
    o->max_memory_allocation_size = d->max_alloc_size;
    o->subgroup_size_min = d->subgroup_min;
    o->subgroup_size_max = d->subgroup_max;
    o->fp16 = !!(d->features & VKFEAT_FP16);
    o->storage16 = !!(d->features & VKFEAT_STORAGE16);
    o->storage8 = !!(d->features & VKFEAT_INT8);
    o->intdot = !!(d->features & VKFEAT_INTDOT);
    o->subgroup_size_control = !!(d->features & VKFEAT_SUBGROUP_SIZE_CONTROL);
    o->coopmat = !!(d->features & VKFEAT_COOPMAT);
    o->memory_budget = !!(d->features & VKFEAT_MEMORY_BUDGET);
    if (o->coopmat)
        coopmat_shapes(o->coopmat_shapes, sizeof o->coopmat_shapes, d);
}

axvk_status axvk_devices_list(axvk_device_info **out, size_t *count, char *errmsg,
                              size_t errmsg_size)
{
    struct err err = {0};
    struct vkdev_info *list = NULL;
    uint32_t n = 0;
    if (!out || !count)
        return AXVK_ERR_INVALID_ARGUMENT;
    *out = NULL;
    *count = 0;
    axvk_status s = vkdev_list(&list, &n, &err);
    if (s == AXVK_OK && n == 0)
        s = err_set(&err, AXVK_ERR_NO_DEVICE, "the Vulkan loader lists no physical device");
    if (s == AXVK_OK) {
        *out = mem_calloc(n, sizeof **out);
        if (!*out)
            s = err_set(&err, AXVK_ERR_OUT_OF_HOST_MEMORY, "device list of %u entries", n);
    }
    if (s == AXVK_OK) {
        for (uint32_t i = 0; i < n; i++)
            fill_info(&(*out)[i], &list[i]);
        *count = n;
    }
    mem_free(list);
    if (s != AXVK_OK && errmsg && errmsg_size)
        snprintf(errmsg, errmsg_size, "%s", err.msg);
    return s;
}

axvk_status axvk_context_create(const axvk_context_desc *desc, axvk_context **out)
{
    static const axvk_context_desc defaults = {0};
    struct err err = {0};
    if (!out)
        return AXVK_ERR_INVALID_ARGUMENT;
    *out = NULL;
    if (!desc)
        desc = &defaults;
    axvk_context *ctx = mem_calloc(1, sizeof *ctx);
    if (!ctx) {
        err_set(&err, AXVK_ERR_OUT_OF_HOST_MEMORY, "context");
        return api_fail_global(&err);
    }
    if (!(desc->flags & AXVK_CONTEXT_NO_GPU)) {
        /* NULL fields: the vk layer reads AXVK_DEVICE and AXVK_DISABLE itself */
        const struct vkdev_options opt = {.select = desc->device, .disable = desc->disable};
        axvk_status s = vkdev_create_with(&opt, &ctx->dev, &err);
        if (s != AXVK_OK) {
            mem_free(ctx);
            return api_fail_global(&err);
        }
    }
    *out = ctx;
    return AXVK_OK;
}

void axvk_context_destroy(axvk_context *ctx)
{
    if (!ctx)
        return;
    vkdev_destroy(ctx->dev);
    mem_free(ctx);
}

axvk_status axvk_context_device_info(axvk_context *ctx, axvk_device_info *out)
{
    if (!ctx || !out)
        return AXVK_ERR_INVALID_ARGUMENT;
    if (!ctx->dev)
        return err_set(&ctx->err, AXVK_ERR_INVALID_ARGUMENT,
                       "this context was created without a device");
    fill_info(out, &ctx->dev->info);
    return AXVK_OK;
}
