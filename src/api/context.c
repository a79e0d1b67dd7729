/* api/context: axvk_context (one device), device listing and choice, the bandwidth probe, status
 * text and error messages. Translates the vk layer's structs into the public plain-data ones (the
 * only place Vulkan enums get names for users); no Vulkan logic here. */
#include <stdio.h>
#include <string.h>

#include "api/internal.h"
#include "base/alloc.h"
#include "kernels/basic.h"
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

/* The public feature bits are the vk layer's: masks pass through unchanged. */
#define SAME_BIT(name) ((uint32_t)AXVK_FEATURE_##name == (uint32_t)VKFEAT_##name)
_Static_assert(SAME_BIT(FP16) && SAME_BIT(STORAGE16) && SAME_BIT(INT8) && SAME_BIT(INTDOT) &&
                   SAME_BIT(SUBGROUP_SIZE_CONTROL) && SAME_BIT(COOPMAT) &&
                   SAME_BIT(MEMORY_BUDGET) && AXVK_FEATURE_COUNT == VKFEAT_COUNT,
               "axvk_feature and enum vkfeat differ");
#undef SAME_BIT

const char *axvk_feature_name(uint32_t i)
{
    return i < AXVK_FEATURE_COUNT ? vkfeat_name(i) : NULL;
}

/* VkComponentTypeKHR: 0..10 in this order, then VK_COMPONENT_TYPE_BFLOAT16_KHR */
static const char *component_name(uint32_t type)
{
    static const char *names[] = {"f16", "f32", "f64", "s8", "s16", "s32",
                                  "s64", "u8",  "u16", "u32", "u64"};
    if (type < sizeof names / sizeof names[0])
        return names[type];
    return type == 1000141000u ? "bf16" : "other";
}

/* VkScopeKHR */
static const char *scope_name(uint32_t scope)
{
    switch (scope) {
    case 1: return "device";
    case 2: return "workgroup";
    case 3: return "subgroup";
    case 5: return "queue family";
    default: return "other";
    }
}

static void fill_coopmat(axvk_device_info *o, const struct vkdev_info *d)
{
    size_t used = 0;
    uint32_t n = d->n_coopmat < AXVK_MAX_COOPMAT_SHAPES ? d->n_coopmat : AXVK_MAX_COOPMAT_SHAPES;
    for (uint32_t i = 0; i < n; i++) {
        const struct vkcoopmat_shape *s = &d->coopmat[i];
        axvk_coopmat_shape *p = &o->coopmat_list[i];
        p->m = s->m;
        p->n = s->n;
        p->k = s->k;
        snprintf(p->a, sizeof p->a, "%s", component_name(s->a_type));
        snprintf(p->b, sizeof p->b, "%s", component_name(s->b_type));
        snprintf(p->c, sizeof p->c, "%s", component_name(s->c_type));
        snprintf(p->result, sizeof p->result, "%s", component_name(s->result_type));
        snprintf(p->scope, sizeof p->scope, "%s", scope_name(s->scope));
        p->saturating = !!s->saturating;
        /* the one-line summary: "16x16x16 f16->f32, ..." as far as it fits */
        if (used < sizeof o->coopmat_shapes) {
            int w = snprintf(o->coopmat_shapes + used, sizeof o->coopmat_shapes - used,
                             "%s%ux%ux%u %s->%s", i ? ", " : "", p->m, p->n, p->k, p->a, p->result);
            used = w < 0 ? sizeof o->coopmat_shapes : used + (size_t)w;
        }
    }
    o->n_coopmat = n;
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
    o->plan_bytes = d->plan_bytes;
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
    snprintf(o->driver_info, sizeof o->driver_info, "%s", d->driver_info);
    o->driver_version_raw = d->driver_version;
    o->device_heap = d->device_heap;
    o->min_storage_buffer_offset_alignment = d->min_storage_offset_align;
    o->max_push_constants_size = d->max_push_constants;
    o->max_workgroup_invocations = d->max_wg_invocations;
    memcpy(o->max_workgroup_count, d->max_wg_count, sizeof o->max_workgroup_count);
    o->max_shared_memory_bytes = d->max_shared_bytes;
    o->subgroup_size = d->subgroup_size;
    o->usable = d->usable;
    snprintf(o->unusable_reason, sizeof o->unusable_reason, "%s", d->unusable_reason);
    o->features_present = d->present;
    o->features_disabled = d->disabled;
    o->intdot_accelerated = !!d->intdot_accelerated;
    if (o->coopmat)
        fill_coopmat(o, d);
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

axvk_status axvk_devices_select(const char *device, axvk_device_info *out, char *errmsg,
                                size_t errmsg_size)
{
    struct err err = {0};
    struct vkdev_info *list = NULL;
    uint32_t n = 0, chosen = 0;
    if (!out)
        return AXVK_ERR_INVALID_ARGUMENT;
    axvk_status s = vkdev_list(&list, &n, &err);
    if (s == AXVK_OK && (s = vkdev_select(list, n, device, &chosen, &err)) == AXVK_OK)
        fill_info(out, &list[chosen]);
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

axvk_status axvk_context_bandwidth(axvk_context *ctx, uint64_t bytes, uint32_t passes,
                                   axvk_bandwidth *out)
{
    if (!ctx || !out)
        return AXVK_ERR_INVALID_ARGUMENT;
    api_begin(ctx);
    if (!ctx->dev)
        return err_set(&ctx->err, AXVK_ERR_INVALID_ARGUMENT,
                       "this context was created without a device");
    struct kern_bandwidth bw;
    axvk_status s = kern_copy_bandwidth(ctx->dev, bytes, passes, &bw, &ctx->err);
    if (s != AXVK_OK)
        return s;
    *out = (axvk_bandwidth){.bytes = bw.bytes, .passes = bw.passes, .seconds = bw.seconds,
                            .gbps = bw.gbps, .gpu_timer = bw.gpu_timer};
    return AXVK_OK;
}
