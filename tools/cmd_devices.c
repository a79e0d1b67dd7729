/* axvk devices: every Vulkan device with what axvk needs to know of it (limits, optional
 * features, cooperative-matrix shapes, memory), as a readable block per device or as JSON.
 * Reads src/vk directly; prints, decides nothing. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "commands.h"
#include "vk/device.h"

static const char *component_name(uint32_t t)
{
    static const char *names[] = {"f16", "f32", "f64", "s8", "s16", "s32",
                                  "s64", "u8",  "u16", "u32", "u64"};
    if (t < sizeof names / sizeof names[0])
        return names[t];
    return t == 1000141000u ? "bf16" : "other";
}

static const char *scope_name(uint32_t s)
{
    switch (s) {
    case 1: return "device";
    case 2: return "workgroup";
    case 3: return "subgroup";
    case 5: return "queue family";
    default: return "?";
    }
}

static void version_str(char *buf, size_t cap, uint32_t v)
{
    snprintf(buf, cap, "%u.%u.%u", VK_API_VERSION_MAJOR(v), VK_API_VERSION_MINOR(v),
             VK_API_VERSION_PATCH(v));
}

static const char *const feature_labels[VKFEAT_COUNT] = {
    "fp16 arithmetic", "16-bit storage", "8-bit storage", "integer dot product",
    "subgroup size control", "cooperative matrix", "memory budget",
};

static void print_text(const struct vkdev_info *d, int selected)
{
    char a[32], b[32], c[32];
    printf("device %u: %s%s\n", d->index, d->name, selected ? "   [selected]" : "");
    printf("  vendor       %s (0x%04x), device 0x%04x, %s\n", d->vendor, d->vendor_id, d->device_id,
           d->type_name);
    printf("  driver       %s %s%s%s%s\n", d->driver_name[0] ? d->driver_name : "(unnamed)",
           d->driver_version_str, d->driver_info[0] ? " (" : "", d->driver_info,
           d->driver_info[0] ? ")" : "");
    version_str(a, sizeof a, d->api_version);
    printf("  Vulkan       %s\n", a);
    if (!d->usable) {
        printf("  unusable     %s\n", d->unusable_reason);
        return;
    }
    printf("  memory       %s device-local (heap %u)", vk_fmt_bytes(a, d->device_local_bytes),
           d->device_heap);
    if (d->features & VKFEAT_MEMORY_BUDGET)
        printf(", budget %s", vk_fmt_bytes(b, d->budget_bytes));
    printf("\n  limits       binding %s, allocation %s, push constants %u B, workgroup %u, shared %s\n",
           vk_fmt_bytes(a, d->max_storage_buffer_range), vk_fmt_bytes(b, d->max_alloc_size),
           d->max_push_constants, d->max_wg_invocations, vk_fmt_bytes(c, d->max_shared_bytes));
    printf("  subgroup     %u (size control range %u-%u)\n", d->subgroup_size, d->subgroup_min,
           d->subgroup_max);
    for (uint32_t i = 0; i < VKFEAT_COUNT; i++) {
        uint32_t bit = 1u << i;
        const char *state = (d->features & bit) ? "yes" : (d->disabled & bit) && (d->present & bit)
                                                              ? "off (AXVK_DISABLE)" : "no";
        printf("  %-22s %s%s\n", feature_labels[i], state,
               bit == VKFEAT_INTDOT && (d->features & bit)
                   ? (d->intdot_accelerated ? " (accelerated)" : " (emulated)") : "");
    }
    for (uint32_t i = 0; i < d->n_coopmat; i++) {
        const struct vkcoopmat_shape *s = &d->coopmat[i];
        printf("  %-22s %ux%ux%u  %s*%s+%s->%s  %s%s\n", i ? "" : "coopmat shapes", s->m, s->n,
               s->k, component_name(s->a_type), component_name(s->b_type),
               component_name(s->c_type), component_name(s->result_type), scope_name(s->scope),
               s->saturating ? " saturating" : "");
    }
}

static cJSON *device_json(const struct vkdev_info *d, int selected)
{
    char buf[32];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "index", d->index);
    cJSON_AddStringToObject(o, "name", d->name);
    cJSON_AddBoolToObject(o, "selected", selected);
    cJSON_AddStringToObject(o, "vendor", d->vendor);
    cJSON_AddNumberToObject(o, "vendor_id", d->vendor_id);
    cJSON_AddNumberToObject(o, "device_id", d->device_id);
    cJSON_AddStringToObject(o, "type", d->type_name);
    cJSON *drv = cJSON_AddObjectToObject(o, "driver");
    cJSON_AddStringToObject(drv, "name", d->driver_name);
    cJSON_AddStringToObject(drv, "info", d->driver_info);
    cJSON_AddStringToObject(drv, "version", d->driver_version_str);
    cJSON_AddNumberToObject(drv, "version_raw", d->driver_version);
    version_str(buf, sizeof buf, d->api_version);
    cJSON_AddStringToObject(o, "api_version", buf);
    cJSON_AddBoolToObject(o, "usable", d->usable);
    if (!d->usable)
        cJSON_AddStringToObject(o, "unusable_reason", d->unusable_reason);
    cJSON *mem = cJSON_AddObjectToObject(o, "memory");
    cJSON_AddNumberToObject(mem, "heap", d->device_heap);
    cJSON_AddNumberToObject(mem, "device_local_bytes", (double)d->device_local_bytes);
    if (d->features & VKFEAT_MEMORY_BUDGET)
        cJSON_AddNumberToObject(mem, "budget_bytes", (double)d->budget_bytes);
    else
        cJSON_AddNullToObject(mem, "budget_bytes");
    cJSON *lim = cJSON_AddObjectToObject(o, "limits");
    cJSON_AddNumberToObject(lim, "max_storage_buffer_range", (double)d->max_storage_buffer_range);
    cJSON_AddNumberToObject(lim, "max_memory_allocation_size", (double)d->max_alloc_size);
    cJSON_AddNumberToObject(lim, "min_storage_buffer_offset_alignment", d->min_storage_offset_align);
    cJSON_AddNumberToObject(lim, "max_push_constants_size", d->max_push_constants);
    cJSON_AddNumberToObject(lim, "max_workgroup_invocations", d->max_wg_invocations);
    cJSON_AddNumberToObject(lim, "max_shared_memory_bytes", d->max_shared_bytes);
    int counts[3] = {(int)d->max_wg_count[0], (int)d->max_wg_count[1], (int)d->max_wg_count[2]};
    cJSON_AddItemToObject(lim, "max_workgroup_count", cJSON_CreateIntArray(counts, 3));
    cJSON *sg = cJSON_AddObjectToObject(o, "subgroup");
    cJSON_AddNumberToObject(sg, "size", d->subgroup_size);
    cJSON_AddNumberToObject(sg, "min", d->subgroup_min);
    cJSON_AddNumberToObject(sg, "max", d->subgroup_max);
    cJSON *feat = cJSON_AddObjectToObject(o, "features");
    cJSON *off = cJSON_CreateArray();
    for (uint32_t i = 0; i < VKFEAT_COUNT; i++) {
        cJSON_AddBoolToObject(feat, vkfeat_name(i), (d->features >> i) & 1);
        if ((d->disabled >> i) & 1)
            cJSON_AddItemToArray(off, cJSON_CreateString(vkfeat_name(i)));
    }
    cJSON_AddBoolToObject(feat, "intdot_accelerated", d->intdot_accelerated);
    cJSON_AddItemToObject(o, "disabled", off);
    cJSON *cm = cJSON_AddArrayToObject(o, "coopmat");
    for (uint32_t i = 0; i < d->n_coopmat; i++) {
        const struct vkcoopmat_shape *s = &d->coopmat[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "m", s->m);
        cJSON_AddNumberToObject(e, "n", s->n);
        cJSON_AddNumberToObject(e, "k", s->k);
        cJSON_AddStringToObject(e, "a", component_name(s->a_type));
        cJSON_AddStringToObject(e, "b", component_name(s->b_type));
        cJSON_AddStringToObject(e, "c", component_name(s->c_type));
        cJSON_AddStringToObject(e, "result", component_name(s->result_type));
        cJSON_AddStringToObject(e, "scope", scope_name(s->scope));
        cJSON_AddBoolToObject(e, "saturating", s->saturating);
        cJSON_AddItemToArray(cm, e);
    }
    return o;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: axvk devices [--json] [--device N|NAME]\n"
               "  lists the Vulkan devices; [selected] marks the one axvk would use\n"
               "  (--device, else env AXVK_DEVICE, else discrete > integrated > others).\n"
               "  env AXVK_DISABLE=fp16,storage16,int8,intdot,subgroup-size-control,coopmat,"
               "memory-budget hides features.\n");
}

int cmd_devices(int argc, char **argv)
{
    int json = 0;
    const char *select = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (!strcmp(argv[i], "--device") && i + 1 < argc) {
            select = argv[++i];
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    struct err err = {0};
    struct vkdev_info *list = NULL;
    uint32_t n = 0, chosen = UINT32_MAX;
    axvk_status st = vkdev_list(&list, &n, &err);
    if (st) {
        int none = st == AXVK_ERR_NO_VULKAN || st == AXVK_ERR_NO_DEVICE;
        fprintf(stderr, "axvk: %s%s\n", none ? "no usable Vulkan device: " : "", err.msg);
        return 1;
    }
    if (vkdev_select(list, n, select, &chosen, &err) && select) {
        fprintf(stderr, "axvk: %s\n", err.msg);
        mem_free(list);
        return 1;
    }
    if (json) {
        cJSON *root = cJSON_CreateObject();
        cJSON *arr = cJSON_AddArrayToObject(root, "devices");
        for (uint32_t i = 0; i < n; i++)
            cJSON_AddItemToArray(arr, device_json(&list[i], i == chosen));
        if (chosen != UINT32_MAX)
            cJSON_AddNumberToObject(root, "selected", list[chosen].index);
        else
            cJSON_AddNullToObject(root, "selected");
        char *text = cJSON_Print(root);
        if (text)
            printf("%s\n", text);
        cJSON_free(text);
        cJSON_Delete(root);
    } else {
        for (uint32_t i = 0; i < n; i++) {
            if (i)
                printf("\n");
            print_text(&list[i], i == chosen);
        }
    }
    mem_free(list);
    return chosen == UINT32_MAX ? 1 : 0;
}
