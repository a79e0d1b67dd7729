/* record: one command buffer, its fence, descriptor pools sized up front (sets are allocated while
 * recording and live as long as the recording, so replays reuse them), dependency tracking and
 * optional timestamps. Knows kernels only as pipelines. */
#include "vk/record.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "vk/deps.h"
#include "vk/internal.h"

enum state { IDLE, RECORDING, ENDED, PENDING };

struct vkrec {
    struct vkdev *dev;
    enum state state;
    struct err err;
    VkCommandPool cmd_pool;
    VkCommandBuffer cmd;
    VkFence fence;
    VkDescriptorPool *pools;   /* all reset at begin; cur is the one allocating */
    size_t n_pools, cap_pools, cur_pool;
    uint32_t max_dispatches;
    struct vkdeps deps;
    struct vkrec_counts counts;
    VkPipeline bound;          /* last pipeline bound in this recording */

    VkQueryPool queries;       /* 2 per timed command; VK_NULL_HANDLE when untimed */
    uint32_t n_timed;
    const char **timed_names;  /* [max_dispatches] */
    struct vkprof *prof;       /* aggregated after wait */
    uint32_t n_prof;
    double gpu_ms;
};

static axvk_status fail(struct vkrec *rec, axvk_status st)
{
    /* the message is already in rec->err; the recording can only be restarted */
    if (rec->state == RECORDING)
        rec->dev->fn.vkEndCommandBuffer(rec->cmd);
    if (rec->state != PENDING)
        rec->state = IDLE;
    return st;
}

axvk_status vkrec_fail(struct vkrec *rec, axvk_status status, const char *fmt, ...)
{
    if (rec->err.status)
        return rec->err.status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rec->err.msg, sizeof rec->err.msg, fmt, ap);
    va_end(ap);
    rec->err.status = status;
    return fail(rec, status);
}

const struct err *vkrec_err(const struct vkrec *rec)
{
    return &rec->err;
}

struct vkdev *vkrec_dev(const struct vkrec *rec)
{
    return rec->dev;
}

void vkrec_get_counts(const struct vkrec *rec, struct vkrec_counts *counts)
{
    *counts = rec->counts;
}

static axvk_status add_pool(struct vkrec *rec)
{
    struct vkdev *dev = rec->dev;
    if (mem_grow((void **)&rec->pools, &rec->cap_pools, rec->n_pools + 1, sizeof *rec->pools))
        return err_set(&rec->err, AXVK_ERR_OUT_OF_HOST_MEMORY, "descriptor pools: out of host memory");
    VkDescriptorPoolSize size = {
        .type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        .descriptorCount = rec->max_dispatches * 4, /* kernels average well under 4 bindings */
    };
    VkDescriptorPoolCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
        .maxSets = rec->max_dispatches,
        .poolSizeCount = 1,
        .pPoolSizes = &size,
    };
    VkDescriptorPool pool;
    axvk_status st = vk_check(dev->fn.vkCreateDescriptorPool(dev->device, &info, NULL, &pool),
                              &rec->err, "vkCreateDescriptorPool");
    if (st)
        return st;
    rec->pools[rec->n_pools++] = pool;
    return AXVK_OK;
}

axvk_status vkrec_create(struct vkdev *dev, const struct vkrec_desc *desc, struct vkrec **out,
                         struct err *err)
{
    *out = NULL;
    struct vkrec *rec = mem_calloc(1, sizeof *rec);
    if (!rec)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "recorder: out of host memory");
    rec->dev = dev;
    rec->max_dispatches = desc && desc->max_dispatches ? desc->max_dispatches : 256;
    vkdeps_init(&rec->deps);
    axvk_status st;
    VkCommandPoolCreateInfo pool_info = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
        .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
        .queueFamilyIndex = dev->info.queue_family,
    };
    if ((st = vk_check(dev->fn.vkCreateCommandPool(dev->device, &pool_info, NULL, &rec->cmd_pool),
                       &rec->err, "vkCreateCommandPool")))
        goto fail;
    VkCommandBufferAllocateInfo cmd_info = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
        .commandPool = rec->cmd_pool,
        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
        .commandBufferCount = 1,
    };
    if ((st = vk_check(dev->fn.vkAllocateCommandBuffers(dev->device, &cmd_info, &rec->cmd),
                       &rec->err, "vkAllocateCommandBuffers")))
        goto fail;
    VkFenceCreateInfo fence_info = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    if ((st = vk_check(dev->fn.vkCreateFence(dev->device, &fence_info, NULL, &rec->fence),
                       &rec->err, "vkCreateFence")))
        goto fail;
    if ((st = add_pool(rec)))
        goto fail;
    int timed = (desc && desc->timestamps) || dev->profile;
    if (timed && dev->info.timestamp_bits && dev->info.timestamp_period > 0) {
        VkQueryPoolCreateInfo q = {
            .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
            .queryType = VK_QUERY_TYPE_TIMESTAMP,
            .queryCount = 2 * rec->max_dispatches,
        };
        if ((st = vk_check(dev->fn.vkCreateQueryPool(dev->device, &q, NULL, &rec->queries),
                           &rec->err, "vkCreateQueryPool")))
            goto fail;
        rec->timed_names = mem_calloc(rec->max_dispatches, sizeof *rec->timed_names);
        rec->prof = mem_calloc(rec->max_dispatches, sizeof *rec->prof);
        if (!rec->timed_names || !rec->prof) {
            st = err_set(&rec->err, AXVK_ERR_OUT_OF_HOST_MEMORY, "recorder: out of host memory");
            goto fail;
        }
    }
    *out = rec;
    return AXVK_OK;
fail:
    if (err)
        *err = rec->err;
    vkrec_destroy(rec);
    return st;
}

void vkrec_destroy(struct vkrec *rec)
{
    if (!rec)
        return;
    struct vkdev *dev = rec->dev;
    if (rec->state == PENDING)
        dev->fn.vkWaitForFences(dev->device, 1, &rec->fence, VK_TRUE, UINT64_MAX);
    for (size_t i = 0; i < rec->n_pools; i++)
        dev->fn.vkDestroyDescriptorPool(dev->device, rec->pools[i], NULL);
    if (rec->queries)
        dev->fn.vkDestroyQueryPool(dev->device, rec->queries, NULL);
    if (rec->fence)
        dev->fn.vkDestroyFence(dev->device, rec->fence, NULL);
    if (rec->cmd_pool)
        dev->fn.vkDestroyCommandPool(dev->device, rec->cmd_pool, NULL);
    vkdeps_free(&rec->deps);
    mem_free(rec->pools);
    mem_free(rec->timed_names);
    mem_free(rec->prof);
    mem_free(rec);
}

axvk_status vkrec_begin(struct vkrec *rec)
{
    struct vkdev *dev = rec->dev;
    if (rec->state == PENDING && vkrec_wait(rec))
        return rec->err.status;
    if (rec->state == RECORDING)
        dev->fn.vkEndCommandBuffer(rec->cmd);
    err_clear(&rec->err);
    rec->state = IDLE;
    axvk_status st = vk_check(dev->fn.vkResetCommandBuffer(rec->cmd, 0), &rec->err,
                              "vkResetCommandBuffer");
    if (st)
        return st;
    for (size_t i = 0; i < rec->n_pools; i++)
        dev->fn.vkResetDescriptorPool(dev->device, rec->pools[i], 0);
    rec->cur_pool = 0;
    vkdeps_reset(&rec->deps);
    memset(&rec->counts, 0, sizeof rec->counts);
    rec->bound = VK_NULL_HANDLE;
    rec->n_timed = rec->n_prof = 0;
    rec->gpu_ms = 0;
    VkCommandBufferBeginInfo begin = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    if ((st = vk_check(dev->fn.vkBeginCommandBuffer(rec->cmd, &begin), &rec->err,
                       "vkBeginCommandBuffer")))
        return st;
    rec->state = RECORDING;
    /* inside the buffer, so every replay starts from fresh queries */
    if (rec->queries)
        dev->fn.vkCmdResetQueryPool(rec->cmd, rec->queries, 0, 2 * rec->max_dispatches);
    return AXVK_OK;
}

static axvk_status check_recording(struct vkrec *rec, const char *what)
{
    if (rec->err.status)
        return rec->err.status;
    if (rec->state != RECORDING)
        return fail(rec, err_set(&rec->err, AXVK_ERR_INVALID_ARGUMENT,
                                 "%s outside vkrec_begin/vkrec_end", what));
    return AXVK_OK;
}

static void record_barrier(struct vkrec *rec, VkPipelineStageFlags dst_stage, VkAccessFlags dst_access)
{
    VkMemoryBarrier b = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
        .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
        .dstAccessMask = dst_access,
    };
    VkPipelineStageFlags src_stage =
        VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
    rec->dev->fn.vkCmdPipelineBarrier(rec->cmd, src_stage, dst_stage, 0, 1, &b, 0, NULL, 0, NULL);
}

static const VkPipelineStageFlags work_stages =
    VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
static const VkAccessFlags work_access = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                                         VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;

/* Barrier if the accesses depend on outstanding ones, then records them as outstanding. */
static axvk_status track(struct vkrec *rec, const struct vkdeps_access *acc, size_t n)
{
    if (vkdeps_conflicts(&rec->deps, acc, n)) {
        record_barrier(rec, work_stages, work_access);
        rec->counts.barriers++;
        vkdeps_reset(&rec->deps);
    }
    if (vkdeps_add(&rec->deps, acc, n))
        return fail(rec, err_set(&rec->err, AXVK_ERR_OUT_OF_HOST_MEMORY,
                                 "recorder: out of host memory"));
    return AXVK_OK;
}

axvk_status vkrec_barrier(struct vkrec *rec)
{
    axvk_status st = check_recording(rec, "vkrec_barrier");
    if (st)
        return st;
    record_barrier(rec, work_stages, work_access);
    rec->counts.barriers++;
    vkdeps_reset(&rec->deps);
    return AXVK_OK;
}

/* Timestamp pair around a command: returns the slot, or UINT32_MAX when untimed. */
static uint32_t time_start(struct vkrec *rec, const char *name)
{
    if (!rec->queries || rec->n_timed >= rec->max_dispatches)
        return UINT32_MAX;
    uint32_t slot = rec->n_timed++;
    rec->timed_names[slot] = name;
    rec->dev->fn.vkCmdWriteTimestamp(rec->cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, rec->queries,
                                     2 * slot);
    return slot;
}

static void time_end(struct vkrec *rec, uint32_t slot)
{
    if (slot != UINT32_MAX)
        rec->dev->fn.vkCmdWriteTimestamp(rec->cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT,
                                         rec->queries, 2 * slot + 1);
}

static axvk_status alloc_set(struct vkrec *rec, VkDescriptorSetLayout layout, VkDescriptorSet *set)
{
    struct vkdev *dev = rec->dev;
    for (;;) {
        if (rec->cur_pool == rec->n_pools) {
            axvk_status st = add_pool(rec);
            if (st)
                return fail(rec, st);
        }
        VkDescriptorSetAllocateInfo info = {
            .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
            .descriptorPool = rec->pools[rec->cur_pool],
            .descriptorSetCount = 1,
            .pSetLayouts = &layout,
        };
        VkResult r = dev->fn.vkAllocateDescriptorSets(dev->device, &info, set);
        if (r == VK_SUCCESS)
            return AXVK_OK;
        if (r != VK_ERROR_OUT_OF_POOL_MEMORY && r != VK_ERROR_FRAGMENTED_POOL)
            return fail(rec, vk_check(r, &rec->err, "vkAllocateDescriptorSets"));
        /* this pool is full: the next one (or a new one) takes over for the rest of the recording */
        rec->cur_pool++;
    }
}

static axvk_status check_binding(struct vkrec *rec, const struct vkkernel *k, uint32_t i,
                                 const struct vkbuf *b)
{
    const struct vkdev *dev = rec->dev;
    uint64_t max = vkmem_max_binding(dev), align = dev->info.min_storage_offset_align;
    if (!b->buffer || b->size == 0)
        return err_set(&rec->err, AXVK_ERR_INVALID_ARGUMENT, "kernel %s: binding %u is empty",
                       k->name, i);
    if (b->size > max)
        return err_set(&rec->err, AXVK_ERR_INVALID_ARGUMENT, "kernel %s: binding %u spans %llu "
                       "bytes, more than maxStorageBufferRange %llu: split the tensor", k->name, i,
                       (unsigned long long)b->size, (unsigned long long)max);
    if (align && b->offset % align)
        return err_set(&rec->err, AXVK_ERR_INVALID_ARGUMENT, "kernel %s: binding %u offset %llu is "
                       "not a multiple of %llu", k->name, i, (unsigned long long)b->offset,
                       (unsigned long long)align);
    return AXVK_OK;
}

axvk_status vkrec_dispatch(struct vkrec *rec, struct vkpipe *pipe, const struct vkbuf *bind,
                           uint32_t n_bind, const void *push, uint32_t push_size,
                           const uint32_t groups[3])
{
    struct vkdev *dev = rec->dev;
    axvk_status st = check_recording(rec, "vkrec_dispatch");
    if (st)
        return st;
    const struct vkkernel *k = pipe->kernel;
    if (n_bind != k->n_bindings || push_size != k->push_size || (push_size && !push))
        return fail(rec, err_set(&rec->err, AXVK_ERR_INVALID_ARGUMENT, "kernel %s: given %u "
                                 "bindings and %u bytes of push constants, expects %u and %u",
                                 k->name, n_bind, push_size, k->n_bindings, k->push_size));
    for (int d = 0; d < 3; d++)
        if (groups[d] > dev->info.max_wg_count[d])
            return fail(rec, err_set(&rec->err, AXVK_ERR_INVALID_ARGUMENT, "kernel %s: %u groups "
                                     "along %c, device allows %u", k->name, groups[d], "xyz"[d],
                                     dev->info.max_wg_count[d]));
    if (!groups[0] || !groups[1] || !groups[2])
        return AXVK_OK;
    struct vkdeps_access acc[VKPIPE_MAX_BINDINGS];
    VkDescriptorBufferInfo infos[VKPIPE_MAX_BINDINGS];
    VkWriteDescriptorSet writes[VKPIPE_MAX_BINDINGS];
    for (uint32_t i = 0; i < n_bind; i++) {
        if ((st = check_binding(rec, k, i, &bind[i])))
            return fail(rec, st);
        acc[i] = (struct vkdeps_access){
            .buffer = VK_HANDLE_KEY(bind[i].buffer),
            .begin = bind[i].offset,
            .end = bind[i].offset + bind[i].size,
            .mode = ((pipe->read_mask >> i) & 1 ? VKDEPS_READ : 0) |
                    ((pipe->write_mask >> i) & 1 ? VKDEPS_WRITE : 0),
        };
        infos[i] = (VkDescriptorBufferInfo){bind[i].buffer, bind[i].offset, bind[i].size};
    }
    VkDescriptorSet set;
    if ((st = alloc_set(rec, pipe->set_layout, &set)))
        return st;
    for (uint32_t i = 0; i < n_bind; i++)
        writes[i] = (VkWriteDescriptorSet){
            .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
            .dstSet = set,
            .dstBinding = i,
            .descriptorCount = 1,
            .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
            .pBufferInfo = &infos[i],
        };
    dev->fn.vkUpdateDescriptorSets(dev->device, n_bind, writes, 0, NULL);
    if ((st = track(rec, acc, n_bind)))
        return st;
    VkCommandBuffer cmd = rec->cmd;
    if (rec->bound != pipe->pipeline) {
        dev->fn.vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipe->pipeline);
        rec->bound = pipe->pipeline;
    }
    dev->fn.vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipe->layout, 0, 1, &set,
                                    0, NULL);
    if (push_size)
        dev->fn.vkCmdPushConstants(cmd, pipe->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, push_size, push);
    uint32_t slot = time_start(rec, k->name);
    dev->fn.vkCmdDispatch(cmd, groups[0], groups[1], groups[2]);
    time_end(rec, slot);
    rec->counts.dispatches++;
    return AXVK_OK;
}

axvk_status vkrec_copy(struct vkrec *rec, const struct vkbuf *dst, const struct vkbuf *src,
                       uint64_t bytes)
{
    axvk_status st = check_recording(rec, "vkrec_copy");
    if (st)
        return st;
    if (bytes == 0)
        return AXVK_OK;
    if (!dst->buffer || !src->buffer || bytes > dst->size || bytes > src->size)
        return fail(rec, err_set(&rec->err, AXVK_ERR_INVALID_ARGUMENT, "copy of %llu bytes: "
                                 "source holds %llu, destination %llu", (unsigned long long)bytes,
                                 (unsigned long long)src->size, (unsigned long long)dst->size));
    struct vkdeps_access acc[2] = {
        {VK_HANDLE_KEY(src->buffer), src->offset, src->offset + bytes, VKDEPS_READ},
        {VK_HANDLE_KEY(dst->buffer), dst->offset, dst->offset + bytes, VKDEPS_WRITE},
    };
    if ((st = track(rec, acc, 2)))
        return st;
    VkBufferCopy region = {.srcOffset = src->offset, .dstOffset = dst->offset, .size = bytes};
    uint32_t slot = time_start(rec, "copy");
    rec->dev->fn.vkCmdCopyBuffer(rec->cmd, src->buffer, dst->buffer, 1, &region);
    time_end(rec, slot);
    rec->counts.transfers++;
    return AXVK_OK;
}

axvk_status vkrec_fill(struct vkrec *rec, const struct vkbuf *dst, uint32_t word)
{
    axvk_status st = check_recording(rec, "vkrec_fill");
    if (st)
        return st;
    if (!dst->buffer || dst->size == 0 || dst->size % 4 || dst->offset % 4)
        return fail(rec, err_set(&rec->err, AXVK_ERR_INVALID_ARGUMENT, "fill of %llu bytes at "
                                 "offset %llu: both must be multiples of 4",
                                 (unsigned long long)dst->size, (unsigned long long)dst->offset));
    struct vkdeps_access acc = {VK_HANDLE_KEY(dst->buffer), dst->offset, dst->offset + dst->size,
                                VKDEPS_WRITE};
    if ((st = track(rec, &acc, 1)))
        return st;
    uint32_t slot = time_start(rec, "fill");
    rec->dev->fn.vkCmdFillBuffer(rec->cmd, dst->buffer, dst->offset, dst->size, word);
    time_end(rec, slot);
    rec->counts.transfers++;
    return AXVK_OK;
}

axvk_status vkrec_end(struct vkrec *rec)
{
    axvk_status st = check_recording(rec, "vkrec_end");
    if (st)
        return st;
    /* later submissions (a replay of this one included) and host reads see every write */
    if (vkdeps_dirty(&rec->deps))
        record_barrier(rec, work_stages | VK_PIPELINE_STAGE_HOST_BIT,
                       work_access | VK_ACCESS_HOST_READ_BIT);
    vkdeps_reset(&rec->deps);
    st = vk_check(rec->dev->fn.vkEndCommandBuffer(rec->cmd), &rec->err, "vkEndCommandBuffer");
    rec->state = st ? IDLE : ENDED;
    return st;
}

axvk_status vkrec_submit(struct vkrec *rec)
{
    struct vkdev *dev = rec->dev;
    if (rec->err.status)
        return rec->err.status;
    if (rec->state == PENDING && vkrec_wait(rec))
        return rec->err.status;
    if (rec->state != ENDED)
        return err_set(&rec->err, AXVK_ERR_INVALID_ARGUMENT, "vkrec_submit before vkrec_end");
    axvk_status st = vk_check(dev->fn.vkResetFences(dev->device, 1, &rec->fence), &rec->err,
                              "vkResetFences");
    if (st)
        return st;
    VkSubmitInfo submit = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
        .commandBufferCount = 1,
        .pCommandBuffers = &rec->cmd,
    };
    if ((st = vk_check(dev->fn.vkQueueSubmit(dev->queue, 1, &submit, rec->fence), &rec->err,
                       "vkQueueSubmit")))
        return st;
    rec->state = PENDING;
    return AXVK_OK;
}

static int prof_by_time(const void *a, const void *b)
{
    double x = ((const struct vkprof *)a)->ms, y = ((const struct vkprof *)b)->ms;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Reads the timestamps of the finished run and sums them per name. */
static axvk_status collect_profile(struct vkrec *rec)
{
    struct vkdev *dev = rec->dev;
    rec->n_prof = 0;
    rec->gpu_ms = 0;
    if (!rec->queries || !rec->n_timed)
        return AXVK_OK;
    uint64_t *ticks = mem_calloc(2 * (size_t)rec->n_timed, sizeof *ticks);
    if (!ticks)
        return err_set(&rec->err, AXVK_ERR_OUT_OF_HOST_MEMORY, "profile: out of host memory");
    VkResult r = dev->fn.vkGetQueryPoolResults(dev->device, rec->queries, 0, 2 * rec->n_timed,
                                               2 * rec->n_timed * sizeof *ticks, ticks,
                                               sizeof *ticks,
                                               VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
    axvk_status st = vk_check(r, &rec->err, "vkGetQueryPoolResults");
    if (st) {
        mem_free(ticks);
        return st;
    }
    uint64_t mask = dev->info.timestamp_bits >= 64 ? UINT64_MAX
                                                   : (1ull << dev->info.timestamp_bits) - 1;
    double ns_per_tick = dev->info.timestamp_period;
    uint64_t first = UINT64_MAX, last = 0;
    for (uint32_t i = 0; i < rec->n_timed; i++) {
        uint64_t t0 = ticks[2 * i] & mask, t1 = ticks[2 * i + 1] & mask;
        double ms = t1 > t0 ? (double)(t1 - t0) * ns_per_tick * 1e-6 : 0.0;
        first = t0 < first ? t0 : first;
        last = t1 > last ? t1 : last;
        uint32_t j = 0;
        while (j < rec->n_prof && strcmp(rec->prof[j].name, rec->timed_names[i]))
            j++;
        if (j == rec->n_prof)
            rec->prof[rec->n_prof++] = (struct vkprof){.name = rec->timed_names[i]};
        rec->prof[j].calls++;
        rec->prof[j].ms += ms;
    }
    rec->gpu_ms = last > first ? (double)(last - first) * ns_per_tick * 1e-6 : 0.0;
    qsort(rec->prof, rec->n_prof, sizeof *rec->prof, prof_by_time);
    mem_free(ticks);
    return AXVK_OK;
}

axvk_status vkrec_wait(struct vkrec *rec)
{
    struct vkdev *dev = rec->dev;
    if (rec->state != PENDING)
        return rec->err.status;
    VkResult r = dev->fn.vkWaitForFences(dev->device, 1, &rec->fence, VK_TRUE, UINT64_MAX);
    rec->state = ENDED;
    axvk_status st = vk_check(r, &rec->err, "waiting for the GPU");
    if (st)
        return st;
    return collect_profile(rec);
}

axvk_status vkrec_run(struct vkrec *rec)
{
    axvk_status st = AXVK_OK;
    if (rec->state == RECORDING)
        st = vkrec_end(rec);
    if (!st)
        st = vkrec_submit(rec);
    if (!st)
        st = vkrec_wait(rec);
    return st;
}

void vkrec_profile(const struct vkrec *rec, const struct vkprof **out, uint32_t *n)
{
    *out = rec->prof;
    *n = rec->n_prof;
}

double vkrec_gpu_ms(const struct vkrec *rec)
{
    return rec->gpu_ms;
}

void vkrec_profile_print(const struct vkrec *rec, FILE *f)
{
    double total = 0;
    for (uint32_t i = 0; i < rec->n_prof; i++)
        total += rec->prof[i].ms;
    if (!rec->n_prof) {
        fprintf(f, "profile: no timed commands (AXVK_PROFILE=1 and a queue with timestamps)\n");
        return;
    }
    fprintf(f, "%-28s %7s %11s %10s %6s\n", "kernel", "calls", "total ms", "avg us", "share");
    for (uint32_t i = 0; i < rec->n_prof; i++) {
        const struct vkprof *p = &rec->prof[i];
        fprintf(f, "%-28s %7u %11.3f %10.1f %5.1f%%\n", p->name, p->calls, p->ms,
                1e3 * p->ms / p->calls, total > 0 ? 100.0 * p->ms / total : 0.0);
    }
    fprintf(f, "%-28s %7s %11.3f   (GPU span %.3f ms)\n", "total", "", total, rec->gpu_ms);
}
