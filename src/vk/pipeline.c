/* pipeline: SPIR-V reflection of binding access, specialization, pipeline creation and the on-disk
 * pipeline cache (checksummed: a corrupt or truncated file is ignored, never handed to a driver).
 * Does not record commands and does not know which kernels exist. */
#include "vk/pipeline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "vk/internal.h"

/* ---- SPIR-V reflection: which bindings are read-only or write-only ---- */

enum {
    SPV_MAGIC = 0x07230203,
    OP_EXECUTION_MODE = 16,
    MODE_LOCAL_SIZE = 17,
    DEC_SPEC_ID = 1,
    OP_TYPE_STRUCT = 30,
    OP_TYPE_POINTER = 32,
    OP_VARIABLE = 59,
    OP_DECORATE = 71,
    OP_MEMBER_DECORATE = 72,
    DEC_NON_WRITABLE = 24,
    DEC_NON_READABLE = 25,
    DEC_BINDING = 33,
    DEC_DESCRIPTOR_SET = 34,
    SC_UNIFORM = 2,
    SC_STORAGE_BUFFER = 12,
};

/* per SPIR-V id */
struct spv_id {
    uint32_t binding;     /* +1; 0: none */
    uint32_t set;
    uint32_t nonwritable, nonreadable; /* variable decorations, or member counts for structs */
    uint32_t members;     /* struct member count */
    uint32_t pointee;     /* pointer type: the type pointed to */
    uint32_t is_var, storage;
    uint32_t type;        /* variable: its pointer type */
};

axvk_status vkspv_reflect(const uint32_t *spv, size_t bytes, struct vkspv_info *out,
                          struct err *err)
{
    memset(out, 0, sizeof *out);
    uint32_t *n_bindings = &out->n_bindings, *read_mask = &out->read_mask;
    uint32_t *write_mask = &out->write_mask;
    if (bytes < 20 || bytes % 4 || spv[0] != SPV_MAGIC)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "not a SPIR-V module (%zu bytes)", bytes);
    size_t n_words = bytes / 4;
    uint32_t bound = spv[3];
    if (bound == 0 || bound > (1u << 22))
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "SPIR-V id bound %u out of range", bound);
    struct spv_id *ids = mem_calloc(bound, sizeof *ids);
    if (!ids)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "SPIR-V reflection: out of host memory");
    axvk_status st = AXVK_OK;
    for (size_t at = 5; at < n_words;) {
        uint32_t op = spv[at] & 0xffff, len = spv[at] >> 16;
        if (len == 0 || at + len > n_words) {
            st = err_set(err, AXVK_ERR_INVALID_ARGUMENT, "SPIR-V truncated at word %zu", at);
            goto done;
        }
        const uint32_t *w = spv + at;
        /* ids index `ids`, so each is checked against the bound first */
        if (op == OP_EXECUTION_MODE && len >= 6 && w[2] == MODE_LOCAL_SIZE) {
            memcpy(out->local_size, w + 3, sizeof out->local_size);
        } else if (op == OP_DECORATE && len >= 3 && w[1] < bound) {
            struct spv_id *t = &ids[w[1]];
            if (w[2] == DEC_SPEC_ID && len >= 4 && w[3] == 0)
                out->wg_spec = 1;
            else if (w[2] == DEC_BINDING && len >= 4)
                t->binding = w[3] + 1;
            else if (w[2] == DEC_DESCRIPTOR_SET && len >= 4)
                t->set = w[3];
            else if (w[2] == DEC_NON_WRITABLE)
                t->nonwritable = UINT32_MAX;
            else if (w[2] == DEC_NON_READABLE)
                t->nonreadable = UINT32_MAX;
        } else if (op == OP_MEMBER_DECORATE && len >= 4 && w[1] < bound) {
            if (w[3] == DEC_NON_WRITABLE)
                ids[w[1]].nonwritable++;
            else if (w[3] == DEC_NON_READABLE)
                ids[w[1]].nonreadable++;
        } else if (op == OP_TYPE_STRUCT && len >= 2 && w[1] < bound) {
            ids[w[1]].members = len - 2;
        } else if (op == OP_TYPE_POINTER && len >= 4 && w[1] < bound) {
            ids[w[1]].pointee = w[3];
        } else if (op == OP_VARIABLE && len >= 4 && w[2] < bound) {
            ids[w[2]].is_var = 1;
            ids[w[2]].type = w[1];
            ids[w[2]].storage = w[3];
        }
        at += len;
    }
    for (uint32_t v = 0; v < bound; v++) {
        const struct spv_id *var = &ids[v];
        if (!var->is_var || !var->binding || var->set != 0 ||
            (var->storage != SC_STORAGE_BUFFER && var->storage != SC_UNIFORM))
            continue;
        uint32_t b = var->binding - 1;
        if (b >= VKPIPE_MAX_BINDINGS) {
            st = err_set(err, AXVK_ERR_UNSUPPORTED, "SPIR-V binding %u: at most %d bindings", b,
                         VKPIPE_MAX_BINDINGS);
            goto done;
        }
        const struct spv_id *ptr = var->type < bound ? &ids[var->type] : NULL;
        const struct spv_id *block = ptr && ptr->pointee < bound ? &ids[ptr->pointee] : NULL;
        /* readonly on a block shows up on every member, or on the variable itself */
        int ro = var->nonwritable || (block && block->members && block->nonwritable >= block->members);
        int wo = var->nonreadable || (block && block->members && block->nonreadable >= block->members);
        /* two declarations may alias one binding (a vec4 and a scalar view): access adds up */
        if (!wo)
            *read_mask |= 1u << b;
        if (!ro)
            *write_mask |= 1u << b;
        if (b + 1 > *n_bindings)
            *n_bindings = b + 1;
    }
done:
    mem_free(ids);
    return st;
}

/* ---- pipeline cache on disk ---- */

struct cache_header {
    char magic[8];        /* "AXVKPC01" */
    uint64_t size;        /* bytes of Vulkan cache data after the header */
    uint64_t hash;        /* FNV-1a 64 of that data */
};

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static char *cache_path(const struct vkdev *dev)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char dir[4096];
    if (xdg && xdg[0] == '/')
        snprintf(dir, sizeof dir, "%s/axvk", xdg);
    else if (home && home[0])
        snprintf(dir, sizeof dir, "%s/.cache/axvk", home);
    else
        return NULL;
    char uuid[2 * VK_UUID_SIZE + 1];
    for (unsigned i = 0; i < VK_UUID_SIZE; i++)
        snprintf(uuid + 2 * i, 3, "%02x", dev->info.device_uuid[i]);
    size_t cap = strlen(dir) + 80;
    char *path = mem_alloc(cap);
    if (path)
        snprintf(path, cap, "%s/pipelines-%s-%08x.bin", dir, uuid, dev->info.driver_version);
    return path;
}

const char *vkpipe_cache_path(const struct vkdev *dev)
{
    return dev->pcache_path;
}

/* The cache data from disk when it is intact and made by this very device and driver; else NULL. */
static uint8_t *cache_read(const struct vkdev *dev, size_t *size)
{
    *size = 0;
    FILE *f = dev->pcache_path ? fopen(dev->pcache_path, "rb") : NULL;
    if (!f)
        return NULL;
    struct cache_header h;
    uint8_t *data = NULL;
    if (fread(&h, sizeof h, 1, f) != 1 || memcmp(h.magic, "AXVKPC01", 8) || h.size < 32 ||
        h.size > (1ull << 30))
        goto bad;
    data = mem_alloc((size_t)h.size);
    if (!data || fread(data, 1, (size_t)h.size, f) != h.size || fgetc(f) != EOF ||
        fnv1a(data, (size_t)h.size) != h.hash)
        goto bad;
    /* VkPipelineCacheHeaderVersionOne: length, version 1, vendor, device, pipelineCacheUUID */
    uint32_t words[4];
    memcpy(words, data, sizeof words);
    if (words[0] < 32 || words[1] != VK_PIPELINE_CACHE_HEADER_VERSION_ONE ||
        words[2] != dev->info.vendor_id || words[3] != dev->info.device_id ||
        memcmp(data + 16, dev->info.pipeline_cache_uuid, VK_UUID_SIZE))
        goto bad;
    fclose(f);
    *size = (size_t)h.size;
    return data;
bad:
    mem_free(data);
    fclose(f);
    return NULL;
}

static int make_dirs(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0755) && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(dir, 0755) && errno != EEXIST ? -1 : 0;
}

/* Best effort: a cache that cannot be written costs only the next start's compile time. */
static void cache_write(struct vkdev *dev)
{
    size_t size = 0;
    if (!dev->pcache || !dev->pcache_path ||
        dev->fn.vkGetPipelineCacheData(dev->device, dev->pcache, &size, NULL) != VK_SUCCESS ||
        size == 0 || size == dev->pcache_loaded)
        return;
    uint8_t *data = mem_alloc(size);
    if (!data || dev->fn.vkGetPipelineCacheData(dev->device, dev->pcache, &size, data) != VK_SUCCESS ||
        make_dirs(dev->pcache_path)) {
        mem_free(data);
        return;
    }
    struct cache_header h = {.size = size, .hash = fnv1a(data, size)};
    memcpy(h.magic, "AXVKPC01", 8);
    /* write then rename: a concurrent reader never sees half a file */
    size_t cap = strlen(dev->pcache_path) + 32;
    char *tmp = mem_alloc(cap);
    if (tmp) {
        snprintf(tmp, cap, "%s.%ld.tmp", dev->pcache_path, (long)getpid());
        FILE *f = fopen(tmp, "wb");
        int ok = f && fwrite(&h, sizeof h, 1, f) == 1 && fwrite(data, 1, size, f) == size;
        if (f && fclose(f))
            ok = 0;
        if (!ok || rename(tmp, dev->pcache_path))
            remove(tmp);
    }
    mem_free(tmp);
    mem_free(data);
}

axvk_status vkpipe_init(struct vkdev *dev, struct err *err)
{
    dev->pcache_path = cache_path(dev);
    size_t size = 0;
    uint8_t *data = cache_read(dev, &size);
    VkPipelineCacheCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO,
        .initialDataSize = size,
        .pInitialData = data,
    };
    VkResult r = dev->fn.vkCreatePipelineCache(dev->device, &info, NULL, &dev->pcache);
    if (r != VK_SUCCESS && data) {
        /* the driver refused the data: start empty rather than fail */
        info.initialDataSize = 0;
        info.pInitialData = NULL;
        size = 0;
        r = dev->fn.vkCreatePipelineCache(dev->device, &info, NULL, &dev->pcache);
    }
    mem_free(data);
    dev->pcache_loaded = size;
    return vk_check(r, err, "vkCreatePipelineCache");
}

void vkpipe_fini(struct vkdev *dev)
{
    for (uint32_t i = 0; i < dev->n_pipe_slots; i++)
        while (dev->pipes[i]) {
            struct vkpipe *p = dev->pipes[i];
            dev->pipes[i] = p->next;
            dev->fn.vkDestroyPipeline(dev->device, p->pipeline, NULL);
            dev->fn.vkDestroyPipelineLayout(dev->device, p->layout, NULL);
            mem_free(p);
        }
    mem_free(dev->pipes);
    dev->pipes = NULL;
    dev->n_pipe_slots = 0;
    for (size_t i = 0; i < sizeof dev->set_layouts / sizeof dev->set_layouts[0]; i++)
        if (dev->set_layouts[i])
            dev->fn.vkDestroyDescriptorSetLayout(dev->device, dev->set_layouts[i], NULL);
    memset(dev->set_layouts, 0, sizeof dev->set_layouts);
    if (dev->pcache) {
        cache_write(dev);
        dev->fn.vkDestroyPipelineCache(dev->device, dev->pcache, NULL);
        dev->pcache = VK_NULL_HANDLE;
    }
    mem_free(dev->pcache_path);
    dev->pcache_path = NULL;
}

/* ---- pipelines ---- */

uint32_t vkspec_wg_size(const struct vkdev *dev, const struct vkspec *spec)
{
    uint32_t wg = spec && spec->wg_size ? spec->wg_size : VKPIPE_DEFAULT_WG;
    uint32_t max = dev->info.max_wg_invocations < dev->info.max_wg_size[0]
                       ? dev->info.max_wg_invocations : dev->info.max_wg_size[0];
    return wg < max ? wg : max;
}

static int spec_equal(const struct vkspec *a, const struct vkspec *b)
{
    if (a->wg_size != b->wg_size || a->subgroup_size != b->subgroup_size || a->n_consts != b->n_consts)
        return 0;
    return !memcmp(a->consts, b->consts, a->n_consts * sizeof a->consts[0]);
}

static axvk_status set_layout(struct vkdev *dev, uint32_t n, VkDescriptorSetLayout *out,
                              struct err *err)
{
    if (!dev->set_layouts[n]) {
        VkDescriptorSetLayoutBinding b[VKPIPE_MAX_BINDINGS];
        for (uint32_t i = 0; i < n; i++)
            b[i] = (VkDescriptorSetLayoutBinding){
                .binding = i,
                .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                .descriptorCount = 1,
                .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
            };
        VkDescriptorSetLayoutCreateInfo info = {
            .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
            .bindingCount = n,
            .pBindings = b,
        };
        axvk_status st = vk_check(dev->fn.vkCreateDescriptorSetLayout(dev->device, &info, NULL,
                                                                      &dev->set_layouts[n]),
                                  err, "vkCreateDescriptorSetLayout");
        if (st)
            return st;
    }
    *out = dev->set_layouts[n];
    return AXVK_OK;
}

/* Resolves constant 1 and the stage flags; UNSUPPORTED when a required size cannot be had. */
static axvk_status subgroup_setup(const struct vkdev *dev, struct vkpipe *p,
                                  VkPipelineShaderStageRequiredSubgroupSizeCreateInfo *req,
                                  VkPipelineShaderStageCreateFlags *flags, struct err *err)
{
    const struct vkdev_info *info = &dev->info;
    int control = !!(info->features & VKFEAT_SUBGROUP_SIZE_CONTROL);
    uint32_t want = p->spec.subgroup_size;
    p->subgroup_size = info->subgroup_size;
    if (want && want != info->subgroup_size) {
        if (!control || want < info->subgroup_min || want > info->subgroup_max || (want & (want - 1)))
            return err_set(err, AXVK_ERR_UNSUPPORTED, "kernel %s: subgroup size %u not available on "
                           "%s (default %u, range %u-%u%s)", p->kernel->name, want, info->name,
                           info->subgroup_size, info->subgroup_min, info->subgroup_max,
                           control ? "" : ", no subgroup size control");
    }
    /* with control, even the default size is required: constant 1 is then exact on devices
     * whose size varies per pipeline (Intel 8-32, AMD 32/64) */
    if (control) {
        req->requiredSubgroupSize = want ? want : info->subgroup_size;
        p->subgroup_size = req->requiredSubgroupSize;
    }
    /* full subgroups: gl_SubgroupSize is then exactly the size, no partial subgroup at the end */
    uint32_t unit = req->requiredSubgroupSize ? req->requiredSubgroupSize : info->subgroup_max;
    if (control && unit && p->wg_size % unit == 0)
        *flags |= VK_PIPELINE_SHADER_STAGE_CREATE_REQUIRE_FULL_SUBGROUPS_BIT;
    return AXVK_OK;
}

static axvk_status pipe_create(struct vkdev *dev, struct vkpipe *p, struct err *err)
{
    const struct vkkernel *k = p->kernel;
    struct vkspv_info spv;
    axvk_status st = vkspv_reflect(k->spv, k->spv_size, &spv, err);
    if (st)
        return err_wrap(err, "kernel %s", k->name);
    uint32_t n_bind = spv.n_bindings;
    p->read_mask = spv.read_mask;
    p->write_mask = spv.write_mask;
    /* a shader with a fixed local_size_x ignores constant 0: report the width it really has */
    if (!spv.wg_spec && spv.local_size[0])
        p->wg_size = spv.local_size[0];
    if (n_bind > k->n_bindings || k->n_bindings > VKPIPE_MAX_BINDINGS)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "kernel %s: registered with %u bindings, "
                       "shader uses %u", k->name, k->n_bindings, n_bind);
    /* bindings the shader does not mention: assume the worst for dependency tracking */
    for (uint32_t b = n_bind; b < k->n_bindings; b++)
        p->read_mask |= 1u << b, p->write_mask |= 1u << b;
    if (k->push_size > dev->info.max_push_constants)
        return err_set(err, AXVK_ERR_UNSUPPORTED, "kernel %s: %u bytes of push constants, device "
                       "allows %u", k->name, k->push_size, dev->info.max_push_constants);
    if ((st = set_layout(dev, k->n_bindings, &p->set_layout, err)))
        return st;
    VkPushConstantRange range = {.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT, .size = k->push_size};
    VkPipelineLayoutCreateInfo layout_info = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
        .setLayoutCount = 1,
        .pSetLayouts = &p->set_layout,
        .pushConstantRangeCount = k->push_size ? 1 : 0,
        .pPushConstantRanges = &range,
    };
    if ((st = vk_check(dev->fn.vkCreatePipelineLayout(dev->device, &layout_info, NULL, &p->layout),
                       err, "vkCreatePipelineLayout")))
        return st;

    VkPipelineShaderStageRequiredSubgroupSizeCreateInfo req = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_REQUIRED_SUBGROUP_SIZE_CREATE_INFO,
    };
    VkPipelineShaderStageCreateFlags stage_flags = 0;
    if ((st = subgroup_setup(dev, p, &req, &stage_flags, err)))
        return st;
    uint32_t values[2 + VKPIPE_MAX_CONSTS] = {p->wg_size, p->subgroup_size};
    VkSpecializationMapEntry entries[2 + VKPIPE_MAX_CONSTS];
    uint32_t n_values = 2 + p->spec.n_consts;
    memcpy(values + 2, p->spec.consts, p->spec.n_consts * sizeof values[0]);
    for (uint32_t i = 0; i < n_values; i++)
        entries[i] = (VkSpecializationMapEntry){.constantID = i, .offset = 4 * i, .size = 4};
    VkSpecializationInfo spec_info = {
        .mapEntryCount = n_values,
        .pMapEntries = entries,
        .dataSize = 4 * n_values,
        .pData = values,
    };
    VkShaderModuleCreateInfo module_info = {
        .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
        .codeSize = k->spv_size,
        .pCode = k->spv,
    };
    VkShaderModule module;
    if ((st = vk_check(dev->fn.vkCreateShaderModule(dev->device, &module_info, NULL, &module), err,
                       "vkCreateShaderModule")))
        return err_wrap(err, "kernel %s", k->name);
    VkComputePipelineCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = {
            .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
            .pNext = req.requiredSubgroupSize ? &req : NULL,
            .flags = stage_flags,
            .stage = VK_SHADER_STAGE_COMPUTE_BIT,
            .module = module,
            .pName = "main",
            .pSpecializationInfo = &spec_info,
        },
        .layout = p->layout,
    };
    VkResult r = dev->fn.vkCreateComputePipelines(dev->device, dev->pcache, 1, &info, NULL,
                                                  &p->pipeline);
    dev->fn.vkDestroyShaderModule(dev->device, module, NULL);
    if ((st = vk_check(r, err, "vkCreateComputePipelines")))
        return err_wrap(err, "kernel %s", k->name);
    return AXVK_OK;
}

axvk_status vkpipe_get(struct vkdev *dev, const struct vkkernel *k, const struct vkspec *spec,
                       struct vkpipe **out, struct err *err)
{
    static const struct vkspec defaults;
    if (!spec)
        spec = &defaults;
    if (spec->n_consts > VKPIPE_MAX_CONSTS)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "kernel %s: %u specialization constants, "
                       "at most %d", k->name, spec->n_consts, VKPIPE_MAX_CONSTS);
    if (k->id >= dev->n_pipe_slots) {
        size_t cap = dev->n_pipe_slots;
        if (mem_grow((void **)&dev->pipes, &cap, (size_t)k->id + 1, sizeof *dev->pipes))
            return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "kernel %s: out of host memory", k->name);
        memset(dev->pipes + dev->n_pipe_slots, 0, (cap - dev->n_pipe_slots) * sizeof *dev->pipes);
        dev->n_pipe_slots = (uint32_t)cap;
    }
    for (struct vkpipe *p = dev->pipes[k->id]; p; p = p->next)
        if (p->kernel == k && spec_equal(&p->spec, spec)) {
            *out = p;
            return AXVK_OK;
        }
    struct vkpipe *p = mem_calloc(1, sizeof *p);
    if (!p)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "kernel %s: out of host memory", k->name);
    p->kernel = k;
    p->spec = *spec;
    p->wg_size = vkspec_wg_size(dev, spec);
    axvk_status st = pipe_create(dev, p, err);
    if (st) {
        if (p->layout)
            dev->fn.vkDestroyPipelineLayout(dev->device, p->layout, NULL);
        mem_free(p);
        return st;
    }
    p->next = dev->pipes[k->id];
    dev->pipes[k->id] = p;
    *out = p;
    return AXVK_OK;
}
