/* axvk bandwidth: device-memory copy bandwidth of one device (GB/s counting bytes read plus bytes
 * written), the roofline decode speed is compared to. Runs the copy kernel through src/kernels. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "kernels/basic.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: axvk bandwidth [--device N|NAME] [--size MiB] [--passes N] [--json]\n"
               "  copies a device buffer (default 256 MiB, 64 MiB on CPU devices; at most one\n"
               "  storage binding) N times (default 8) and reports (read + written bytes) / time.\n");
}

int cmd_bandwidth(int argc, char **argv)
{
    const char *select = NULL;
    int json = 0;
    uint64_t size_mib = 0;
    uint32_t passes = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (!strcmp(argv[i], "--device") && i + 1 < argc) {
            select = argv[++i];
        } else if (!strcmp(argv[i], "--size") && i + 1 < argc) {
            size_mib = strtoull(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--passes") && i + 1 < argc) {
            passes = (uint32_t)strtoul(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    struct err err = {0};
    struct vkdev *dev = NULL;
    struct kern_bandwidth bw;
    axvk_status st = vkdev_create(select, &dev, &err);
    if (st) {
        int none = st == AXVK_ERR_NO_VULKAN || st == AXVK_ERR_NO_DEVICE;
        fprintf(stderr, "axvk: %s%s\n", none ? "no usable Vulkan device: " : "", err.msg);
        return 1;
    }
    if (kern_copy_bandwidth(dev, size_mib << 20, passes, &bw, &err)) {
        fprintf(stderr, "axvk: %s\n", err.msg);
        vkdev_destroy(dev);
        return 1;
    }
    char size[32];
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "device", dev->info.index);
        cJSON_AddStringToObject(o, "name", dev->info.name);
        cJSON_AddNumberToObject(o, "bytes", (double)bw.bytes);
        cJSON_AddNumberToObject(o, "passes", bw.passes);
        cJSON_AddNumberToObject(o, "seconds", bw.seconds);
        cJSON_AddNumberToObject(o, "gbps", bw.gbps);
        cJSON_AddStringToObject(o, "timer", bw.gpu_timer ? "gpu" : "host");
        char *text = cJSON_Print(o);
        if (text)
            printf("%s\n", text);
        cJSON_free(text);
        cJSON_Delete(o);
    } else {
        printf("device %u (%s): copy %s x %u: %.1f GB/s (read + write, %s timer)\n", dev->info.index,
               dev->info.name, vk_fmt_bytes(size, bw.bytes), bw.passes, bw.gbps,
               bw.gpu_timer ? "GPU" : "host");
    }
    vkdev_destroy(dev);
    return 0;
}
