/* axvk bandwidth: device-memory copy bandwidth of one device (GB/s counting bytes read plus bytes
 * written), the roofline decode speed is compared to. Built on include/axvk.h alone: the probe
 * is axvk_context_bandwidth. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axvk.h"
#include "cli.h"
#include "commands.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: axvk bandwidth [--device N|NAME] [--size MiB] [--passes N] [--json]\n"
               "  copies a device buffer (default 256 MiB, 64 MiB on CPU devices; at most one\n"
               "  storage binding) N times (default 8) and reports (read + written bytes) / time.\n");
}

static void print_json(const axvk_device_info *d, const axvk_bandwidth *bw)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "device", d->index);
    cJSON_AddStringToObject(o, "name", d->name);
    cJSON_AddNumberToObject(o, "bytes", (double)bw->bytes);
    cJSON_AddNumberToObject(o, "passes", bw->passes);
    cJSON_AddNumberToObject(o, "seconds", bw->seconds);
    cJSON_AddNumberToObject(o, "gbps", bw->gbps);
    cJSON_AddStringToObject(o, "timer", bw->gpu_timer ? "gpu" : "host");
    cli_print_json(o);
}

struct bandwidth_opts {
    axvk_context_desc desc; /* --device */
    int json;
    uint64_t size_mib;      /* --size; 0: the probe's default */
    uint32_t passes;        /* --passes; 0: the probe's default */
};

static int bandwidth_option(void *opts, const char *a, const char *v)
{
    struct bandwidth_opts *o = opts;
    if (!strcmp(a, "--json")) {
        o->json = 1;
        return 1;
    }
    if (!v)
        return 0;
    if (!strcmp(a, "--device"))
        o->desc.device = v;
    else if (!strcmp(a, "--size"))
        o->size_mib = strtoull(v, NULL, 10);
    else if (!strcmp(a, "--passes"))
        o->passes = (uint32_t)strtoul(v, NULL, 10);
    else
        return 0;
    return 2;
}

int cmd_bandwidth(int argc, char **argv)
{
    struct bandwidth_opts o = {0};
    if (cli_parse("bandwidth", argc, argv, NULL, usage, bandwidth_option, &o)) {
        usage(stderr);
        return 2;
    }
    axvk_context *ctx = NULL;
    axvk_status st = axvk_context_create(&o.desc, &ctx);
    if (st) {
        int none = st == AXVK_ERR_NO_VULKAN || st == AXVK_ERR_NO_DEVICE;
        fprintf(stderr, "axvk: %s%s\n", none ? "no usable Vulkan device: " : "", axvk_errmsg(NULL));
        return 1;
    }
    axvk_device_info info;
    axvk_bandwidth bw;
    if (axvk_context_device_info(ctx, &info) != AXVK_OK ||
        axvk_context_bandwidth(ctx, o.size_mib << 20, o.passes, &bw) != AXVK_OK) {
        fprintf(stderr, "axvk: %s\n", axvk_errmsg(ctx));
        axvk_context_destroy(ctx);
        return 1;
    }
    char size[CLI_BYTES_LEN];
    if (o.json)
        print_json(&info, &bw);
    else
        printf("device %u (%s): copy %s x %u: %.1f GB/s (read + write, %s timer)\n", info.index,
               info.name, cli_fmt_bytes(size, bw.bytes), bw.passes, bw.gbps,
               bw.gpu_timer ? "GPU" : "host");
    axvk_context_destroy(ctx);
    return 0;
}
