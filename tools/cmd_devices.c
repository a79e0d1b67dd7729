/* axvk devices: every Vulkan device with what axvk needs to know of it (limits, optional
 * features, cooperative-matrix shapes, memory), as a readable block per device or as JSON.
 * Built on include/axvk.h alone: prints what axvk_devices_list reports, decides nothing. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "axvk.h"
#include "cli.h"
#include "commands.h"

static const char *const feature_labels[AXVK_FEATURE_COUNT] = {
    "fp16 arithmetic", "16-bit storage", "8-bit storage", "integer dot product",
    "subgroup size control", "cooperative matrix", "memory budget",
};

static uint32_t features_on(const axvk_device_info *d)
{
    return d->features_present & ~d->features_disabled;
}

static void print_text(const axvk_device_info *d, int selected)
{
    char a[CLI_BYTES_LEN], b[CLI_BYTES_LEN], c[CLI_BYTES_LEN];
    printf("device %u: %s%s\n", d->index, d->name, selected ? "   [selected]" : "");
    printf("  vendor       %s (0x%04x), device 0x%04x, %s\n", d->vendor, d->vendor_id, d->device_id,
           d->type);
    printf("  driver       %s %s%s%s%s\n", d->driver_name[0] ? d->driver_name : "(unnamed)",
           d->driver_version, d->driver_info[0] ? " (" : "", d->driver_info,
           d->driver_info[0] ? ")" : "");
    printf("  Vulkan       %s\n", d->api_version);
    if (!d->usable) {
        printf("  unusable     %s\n", d->unusable_reason);
        return;
    }
    printf("  memory       %s device-local (heap %u)", cli_fmt_bytes(a, d->device_local_bytes),
           d->device_heap);
    if (d->memory_budget)
        printf(", budget %s", cli_fmt_bytes(b, d->budget_bytes));
    if (d->plan_bytes > (d->memory_budget ? d->budget_bytes : d->device_local_bytes))
        printf("; models may use %s (host memory)", cli_fmt_bytes(c, d->plan_bytes));
    printf("\n  limits       binding %s, allocation %s, push constants %u B, workgroup %u, shared %s\n",
           cli_fmt_bytes(a, d->max_storage_buffer_range),
           cli_fmt_bytes(b, d->max_memory_allocation_size), d->max_push_constants_size,
           d->max_workgroup_invocations, cli_fmt_bytes(c, d->max_shared_memory_bytes));
    printf("  subgroup     %u (size control range %u-%u)\n", d->subgroup_size, d->subgroup_size_min,
           d->subgroup_size_max);
    for (uint32_t i = 0; i < AXVK_FEATURE_COUNT; i++) {
        uint32_t bit = 1u << i;
        const char *state = (features_on(d) & bit) ? "yes"
                            : (d->features_disabled & d->features_present & bit)
                                ? "off (AXVK_DISABLE)" : "no";
        printf("  %-22s %s%s\n", feature_labels[i], state,
               bit == AXVK_FEATURE_INTDOT && (features_on(d) & bit)
                   ? (d->intdot_accelerated ? " (accelerated)" : " (emulated)") : "");
    }
    for (uint32_t i = 0; i < d->n_coopmat; i++) {
        const axvk_coopmat_shape *s = &d->coopmat_list[i];
        printf("  %-22s %ux%ux%u  %s*%s+%s->%s  %s%s\n", i ? "" : "coopmat shapes", s->m, s->n,
               s->k, s->a, s->b, s->c, s->result, s->scope, s->saturating ? " saturating" : "");
    }
}

static cJSON *device_json(const axvk_device_info *d, int selected)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "index", d->index);
    cJSON_AddStringToObject(o, "name", d->name);
    cJSON_AddBoolToObject(o, "selected", selected);
    cJSON_AddStringToObject(o, "vendor", d->vendor);
    cJSON_AddNumberToObject(o, "vendor_id", d->vendor_id);
    cJSON_AddNumberToObject(o, "device_id", d->device_id);
    cJSON_AddStringToObject(o, "type", d->type);
    cJSON *drv = cJSON_AddObjectToObject(o, "driver");
    cJSON_AddStringToObject(drv, "name", d->driver_name);
    cJSON_AddStringToObject(drv, "info", d->driver_info);
    cJSON_AddStringToObject(drv, "version", d->driver_version);
    cJSON_AddNumberToObject(drv, "version_raw", d->driver_version_raw);
    cJSON_AddStringToObject(o, "api_version", d->api_version);
    cJSON_AddBoolToObject(o, "usable", d->usable);
    if (!d->usable)
        cJSON_AddStringToObject(o, "unusable_reason", d->unusable_reason);
    cJSON *mem = cJSON_AddObjectToObject(o, "memory");
    cJSON_AddNumberToObject(mem, "heap", d->device_heap);
    cJSON_AddNumberToObject(mem, "device_local_bytes", (double)d->device_local_bytes);
    if (d->memory_budget)
        cJSON_AddNumberToObject(mem, "budget_bytes", (double)d->budget_bytes);
    else
        cJSON_AddNullToObject(mem, "budget_bytes");
    cJSON_AddNumberToObject(mem, "plan_bytes", (double)d->plan_bytes);
    cJSON *lim = cJSON_AddObjectToObject(o, "limits");
    cJSON_AddNumberToObject(lim, "max_storage_buffer_range", (double)d->max_storage_buffer_range);
    cJSON_AddNumberToObject(lim, "max_memory_allocation_size",
                            (double)d->max_memory_allocation_size);
    cJSON_AddNumberToObject(lim, "min_storage_buffer_offset_alignment",
                            d->min_storage_buffer_offset_alignment);
    cJSON_AddNumberToObject(lim, "max_push_constants_size", d->max_push_constants_size);
    cJSON_AddNumberToObject(lim, "max_workgroup_invocations", d->max_workgroup_invocations);
    cJSON_AddNumberToObject(lim, "max_shared_memory_bytes", d->max_shared_memory_bytes);
    int counts[3] = {(int)d->max_workgroup_count[0], (int)d->max_workgroup_count[1],
                     (int)d->max_workgroup_count[2]};
    cJSON_AddItemToObject(lim, "max_workgroup_count", cJSON_CreateIntArray(counts, 3));
    cJSON *sg = cJSON_AddObjectToObject(o, "subgroup");
    cJSON_AddNumberToObject(sg, "size", d->subgroup_size);
    cJSON_AddNumberToObject(sg, "min", d->subgroup_size_min);
    cJSON_AddNumberToObject(sg, "max", d->subgroup_size_max);
    cJSON *feat = cJSON_AddObjectToObject(o, "features");
    cJSON *off = cJSON_CreateArray();
    for (uint32_t i = 0; i < AXVK_FEATURE_COUNT; i++) {
        cJSON_AddBoolToObject(feat, axvk_feature_name(i), (features_on(d) >> i) & 1);
        if ((d->features_disabled >> i) & 1)
            cJSON_AddItemToArray(off, cJSON_CreateString(axvk_feature_name(i)));
    }
    cJSON_AddBoolToObject(feat, "intdot_accelerated", d->intdot_accelerated);
    cJSON_AddItemToObject(o, "disabled", off);
    cJSON *cm = cJSON_AddArrayToObject(o, "coopmat");
    for (uint32_t i = 0; i < d->n_coopmat; i++) {
        const axvk_coopmat_shape *s = &d->coopmat_list[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "m", s->m);
        cJSON_AddNumberToObject(e, "n", s->n);
        cJSON_AddNumberToObject(e, "k", s->k);
        cJSON_AddStringToObject(e, "a", s->a);
        cJSON_AddStringToObject(e, "b", s->b);
        cJSON_AddStringToObject(e, "c", s->c);
        cJSON_AddStringToObject(e, "result", s->result);
        cJSON_AddStringToObject(e, "scope", s->scope);
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

/* "axvk: ..." on one line for a failed listing: no loader or no device gets a plain reason. */
static void print_failure(axvk_status st, const char *why)
{
    int none = st == AXVK_ERR_NO_VULKAN || st == AXVK_ERR_NO_DEVICE;
    fprintf(stderr, "axvk: %s%s\n", none ? "no usable Vulkan device: " : "", why);
}

struct devices_opts {
    int json;
    const char *select; /* --device */
};

static int devices_option(void *opts, const char *a, const char *v)
{
    struct devices_opts *o = opts;
    if (!strcmp(a, "--json")) {
        o->json = 1;
        return 1;
    }
    if (strcmp(a, "--device") || !v)
        return 0;
    o->select = v;
    return 2;
}

int cmd_devices(int argc, char **argv)
{
    struct devices_opts o = {0};
    if (cli_parse("devices", argc, argv, NULL, usage, devices_option, &o)) {
        usage(stderr);
        return 2;
    }
    char why[512];
    axvk_device_info *list = NULL, chosen;
    size_t n = 0;
    axvk_status st = axvk_devices_list(&list, &n, why, sizeof why);
    if (st) {
        print_failure(st, why);
        return 1;
    }
    /* with no --device a failed choice is shown as no [selected] mark and exit status 1 */
    int found = axvk_devices_select(o.select, &chosen, why, sizeof why) == AXVK_OK;
    if (!found && o.select) {
        fprintf(stderr, "axvk: %s\n", why);
        axvk_free(list);
        return 1;
    }
    if (o.json) {
        cJSON *root = cJSON_CreateObject();
        cJSON *arr = cJSON_AddArrayToObject(root, "devices");
        for (size_t i = 0; i < n; i++) {
            int selected = found && list[i].index == chosen.index;
            cJSON_AddItemToArray(arr, device_json(&list[i], selected));
        }
        if (found)
            cJSON_AddNumberToObject(root, "selected", chosen.index);
        else
            cJSON_AddNullToObject(root, "selected");
        cli_print_json(root);
    } else {
        for (size_t i = 0; i < n; i++) {
            if (i)
                printf("\n");
            print_text(&list[i], found && list[i].index == chosen.index);
        }
    }
    axvk_free(list);
    return found ? 0 : 1;
}
