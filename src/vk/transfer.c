/* transfer: the staging ring between host memory and device buffers. N host-visible chunks, each
 * with its own command buffer and fence, so the memcpy of one chunk overlaps the GPU copy of the
 * previous ones. Uploads return when submitted; downloads when the bytes are in host memory. */
#include <string.h>

#include "base/alloc.h"
#include "vk/internal.h"
#include "vk/memory.h"

#define RING_MAX 8

struct vkring {
    uint64_t chunk_bytes;
    uint32_t n;
    int ready;                 /* chunks, commands and fences exist */
    uint32_t next;             /* slot the next chunk goes to */
    VkCommandPool pool;
    struct vkbuf staging[RING_MAX];
    VkCommandBuffer cmd[RING_MAX];
    VkFence fence[RING_MAX];
    int pending[RING_MAX];     /* submitted, fence not yet waited for */
    uint8_t *read_to[RING_MAX]; /* download chunk: where its bytes go once the fence signals */
    uint64_t read_len[RING_MAX];
};

static struct vkring *ring_config(struct vkdev *dev)
{
    if (!dev->ring) {
        dev->ring = mem_calloc(1, sizeof *dev->ring);
        if (!dev->ring)
            return NULL;
        /* 64 MiB chunks keep a PCIe link busy; a CPU device copies memory to memory, and
         * smaller chunks spare its (host) memory */
        int cpu = dev->info.type == VK_PHYSICAL_DEVICE_TYPE_CPU;
        dev->ring->chunk_bytes = cpu ? (16ull << 20) : (64ull << 20);
        dev->ring->n = 3;
    }
    return dev->ring;
}

static void ring_release(struct vkdev *dev, struct vkring *r)
{
    if (!r->ready)
        return;
    for (uint32_t i = 0; i < r->n; i++) {
        if (r->pending[i])
            dev->fn.vkWaitForFences(dev->device, 1, &r->fence[i], VK_TRUE, UINT64_MAX);
        if (r->fence[i])
            dev->fn.vkDestroyFence(dev->device, r->fence[i], NULL);
        vkmem_free(dev, &r->staging[i]);
        r->fence[i] = VK_NULL_HANDLE;
        r->pending[i] = 0;
    }
    if (r->pool)
        dev->fn.vkDestroyCommandPool(dev->device, r->pool, NULL); /* frees the command buffers */
    r->pool = VK_NULL_HANDLE;
    r->ready = 0;
    r->next = 0;
}

void vkring_destroy(struct vkdev *dev)
{
    if (!dev->ring)
        return;
    ring_release(dev, dev->ring);
    mem_free(dev->ring);
    dev->ring = NULL;
}

void vkmem_set_staging(struct vkdev *dev, uint64_t chunk_bytes, uint32_t n_chunks)
{
    struct vkring *r = ring_config(dev);
    if (!r)
        return;
    ring_release(dev, r);
    if (chunk_bytes)
        r->chunk_bytes = chunk_bytes;
    if (n_chunks)
        r->n = n_chunks < 2 ? 2 : n_chunks > RING_MAX ? RING_MAX : n_chunks;
}

static axvk_status ring_ready(struct vkdev *dev, struct vkring **out, struct err *err)
{
    struct vkring *r = ring_config(dev);
    axvk_status st;
    if (!r)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "staging ring: out of host memory");
    *out = r;
    if (r->ready)
        return AXVK_OK;
    VkCommandPoolCreateInfo pool_info = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
        .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT |
                 VK_COMMAND_POOL_CREATE_TRANSIENT_BIT,
        .queueFamilyIndex = dev->info.queue_family,
    };
    r->ready = 1; /* from here on ring_release undoes whatever part exists */
    if ((st = vk_check(dev->fn.vkCreateCommandPool(dev->device, &pool_info, NULL, &r->pool), err,
                       "vkCreateCommandPool")))
        goto fail;
    VkCommandBufferAllocateInfo cmd_info = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
        .commandPool = r->pool,
        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
        .commandBufferCount = r->n,
    };
    if ((st = vk_check(dev->fn.vkAllocateCommandBuffers(dev->device, &cmd_info, r->cmd), err,
                       "vkAllocateCommandBuffers")))
        goto fail;
    VkFenceCreateInfo fence_info = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    for (uint32_t i = 0; i < r->n; i++) {
        if ((st = vk_check(dev->fn.vkCreateFence(dev->device, &fence_info, NULL, &r->fence[i]), err,
                           "vkCreateFence")))
            goto fail;
        if ((st = vkmem_alloc_host(dev, r->chunk_bytes, "staging buffer", &r->staging[i], err)))
            goto fail;
    }
    return AXVK_OK;
fail:
    ring_release(dev, r);
    return st;
}

/* Waits for slot i's previous use; a download chunk's bytes are copied out then. */
static axvk_status slot_wait(struct vkdev *dev, struct vkring *r, uint32_t i, struct err *err)
{
    if (!r->pending[i])
        return AXVK_OK;
    VkResult res = dev->fn.vkWaitForFences(dev->device, 1, &r->fence[i], VK_TRUE, UINT64_MAX);
    r->pending[i] = 0;
    axvk_status st = vk_check(res, err, "waiting for a transfer");
    if (st)
        return st;
    if (r->read_to[i])
        memcpy(r->read_to[i], r->staging[i].map, r->read_len[i]);
    r->read_to[i] = NULL;
    return vk_check(dev->fn.vkResetFences(dev->device, 1, &r->fence[i]), err, "vkResetFences");
}

/* Records and submits one copy in slot i; `dst_access` is who reads the destination next. */
static axvk_status slot_submit(struct vkdev *dev, struct vkring *r, uint32_t i, VkBuffer src,
                               uint64_t src_off, VkBuffer dst, uint64_t dst_off, uint64_t len,
                               int to_host, struct err *err)
{
    VkCommandBuffer cmd = r->cmd[i];
    VkCommandBufferBeginInfo begin = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
        .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
    };
    axvk_status st = vk_check(dev->fn.vkBeginCommandBuffer(cmd, &begin), err, "vkBeginCommandBuffer");
    if (st)
        return st;
    /* earlier dispatches may still read or write what this copy touches */
    VkMemoryBarrier before = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
        .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
        .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
    };
    const VkPipelineStageFlags work =
        VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
    dev->fn.vkCmdPipelineBarrier(cmd, work, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &before, 0, NULL,
                                 0, NULL);
    VkBufferCopy region = {.srcOffset = src_off, .dstOffset = dst_off, .size = len};
    dev->fn.vkCmdCopyBuffer(cmd, src, dst, 1, &region);
    VkMemoryBarrier after = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
        .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
        .dstAccessMask = to_host ? VK_ACCESS_HOST_READ_BIT
                                 : VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                                       VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
    };
    dev->fn.vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT,
                                 to_host ? VK_PIPELINE_STAGE_HOST_BIT : work, 0, 1, &after, 0,
                                 NULL, 0, NULL);
    if ((st = vk_check(dev->fn.vkEndCommandBuffer(cmd), err, "vkEndCommandBuffer")))
        return st;
    VkSubmitInfo submit = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
        .commandBufferCount = 1,
        .pCommandBuffers = &cmd,
    };
    if ((st = vk_check(dev->fn.vkQueueSubmit(dev->queue, 1, &submit, r->fence[i]), err,
                       "vkQueueSubmit")))
        return st;
    r->pending[i] = 1;
    return AXVK_OK;
}

static axvk_status check_range(const struct vkbuf *buf, uint64_t offset, uint64_t bytes,
                               const char *verb, struct err *err)
{
    if (!buf->buffer || offset > buf->size || bytes > buf->size - offset)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "%s of %llu bytes at offset %llu: buffer "
                       "holds %llu", verb, (unsigned long long)bytes, (unsigned long long)offset,
                       (unsigned long long)buf->size);
    return AXVK_OK;
}

axvk_status vkmem_upload(struct vkdev *dev, const struct vkbuf *dst, uint64_t dst_offset,
                         const void *src, uint64_t bytes, vkmem_progress_fn progress, void *user,
                         struct err *err)
{
    struct vkring *r;
    axvk_status st = check_range(dst, dst_offset, bytes, "upload", err);
    if (st || (st = ring_ready(dev, &r, err)))
        return st;
    const uint8_t *p = src;
    for (uint64_t done = 0; done < bytes;) {
        uint32_t i = r->next;
        r->next = (i + 1) % r->n;
        if ((st = slot_wait(dev, r, i, err)))
            return st;
        uint64_t len = bytes - done < r->chunk_bytes ? bytes - done : r->chunk_bytes;
        memcpy(r->staging[i].map, p + done, len);
        if ((st = slot_submit(dev, r, i, r->staging[i].buffer, r->staging[i].offset, dst->buffer,
                              dst->offset + dst_offset + done, len, 0, err)))
            return st;
        done += len;
        if (progress)
            progress(user, done, bytes);
    }
    return AXVK_OK;
}

axvk_status vkmem_download(struct vkdev *dev, void *dst, const struct vkbuf *src,
                           uint64_t src_offset, uint64_t bytes, struct err *err)
{
    struct vkring *r;
    axvk_status st = check_range(src, src_offset, bytes, "download", err);
    if (st || (st = ring_ready(dev, &r, err)))
        return st;
    uint8_t *p = dst;
    for (uint64_t done = 0; done < bytes;) {
        uint32_t i = r->next;
        r->next = (i + 1) % r->n;
        if ((st = slot_wait(dev, r, i, err)))
            return st;
        uint64_t len = bytes - done < r->chunk_bytes ? bytes - done : r->chunk_bytes;
        if ((st = slot_submit(dev, r, i, src->buffer, src->offset + src_offset + done,
                              r->staging[i].buffer, r->staging[i].offset, len, 1, err)))
            return st;
        r->read_to[i] = p + done;
        r->read_len[i] = len;
        done += len;
    }
    return vkmem_flush(dev, err);
}

axvk_status vkmem_flush(struct vkdev *dev, struct err *err)
{
    struct vkring *r = dev->ring;
    if (!r || !r->ready)
        return AXVK_OK;
    /* oldest first, so download chunks land in order */
    for (uint32_t k = 0; k < r->n; k++) {
        axvk_status st = slot_wait(dev, r, (r->next + k) % r->n, err);
        if (st)
            return st;
    }
    return AXVK_OK;
}
