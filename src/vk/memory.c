/* memory: sub-allocation of buffers from large VkDeviceMemory blocks (first fit, coalescing free
 * list), dedicated blocks for big tensors, splitting on row boundaries, and the accounting that
 * turns "out of memory" into a message instead of a driver crash. Transfers are transfer.c's. */
#include "vk/memory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "vk/internal.h"

enum { KIND_DEVICE, KIND_HOST, KIND_COUNT };

#define DEVICE_BLOCK_BYTES (256ull << 20)
#define HOST_BLOCK_BYTES (64ull << 20)

struct span {
    uint64_t off, len;
};

struct vkblock {
    VkBuffer buffer;          /* spans the whole block; allocations are (buffer, offset) */
    VkDeviceMemory memory;
    uint64_t size;
    uint8_t *map;             /* host kind: the whole block mapped */
    int kind;
    int dedicated;            /* one allocation, freed with it */
    struct span *free;        /* sorted by offset, never adjacent (coalesced) */
    size_t n_free, cap_free;
    uint64_t used;
    struct vkblock *next;
};

struct vkmem {
    struct vkblock *blocks[KIND_COUNT];
    uint32_t type[KIND_COUNT];        /* memory type index per kind */
    uint32_t heap[KIND_COUNT];
    uint64_t block_bytes[KIND_COUNT];
    uint64_t held[KIND_COUNT];        /* VkDeviceMemory bytes held */
    uint64_t used[KIND_COUNT];        /* handed out */
    uint64_t heap_held[VK_MAX_MEMORY_HEAPS];
    uint64_t limit;                   /* cap on held[KIND_DEVICE]; 0: none */
    uint64_t max_binding;
    uint64_t align;
    VkPhysicalDeviceMemoryProperties props;
};

static uint64_t round_up(uint64_t x, uint64_t a)
{
    return (x + a - 1) / a * a;
}

/* Best memory type of `bits` for a kind: device-local preferably not host-visible (that is the
 * small BAR window on discrete GPUs); host kind coherent, preferably cached for readback. */
static int pick_type(const VkPhysicalDeviceMemoryProperties *p, uint32_t bits, int kind)
{
    int best = -1, best_score = -1;
    for (uint32_t i = 0; i < p->memoryTypeCount; i++) {
        if (!(bits & (1u << i)))
            continue;
        VkMemoryPropertyFlags f = p->memoryTypes[i].propertyFlags;
        int score;
        if (kind == KIND_DEVICE) {
            score = (f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) ? 2 : 0;
            score += !(f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT);
        } else {
            const VkMemoryPropertyFlags need =
                VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
            if ((f & need) != need)
                continue;
            score = (f & VK_MEMORY_PROPERTY_HOST_CACHED_BIT) ? 2 : 0;
            score += !(f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
        }
        if (score > best_score) {
            best = (int)i;
            best_score = score;
        }
    }
    return best;
}

static const VkBufferUsageFlags buffer_usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
                                               VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                               VK_BUFFER_USAGE_TRANSFER_DST_BIT;

static VkResult create_buffer(struct vkdev *dev, uint64_t size, VkBuffer *out)
{
    VkBufferCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
        .size = size,
        .usage = buffer_usage,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
    };
    return dev->fn.vkCreateBuffer(dev->device, &info, NULL, out);
}

axvk_status vkmem_init(struct vkdev *dev, struct err *err)
{
    struct vkmem *m = mem_calloc(1, sizeof *m);
    if (!m)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "memory setup: out of host memory");
    dev->mem = m;
    dev->inst->fn.vkGetPhysicalDeviceMemoryProperties(dev->phys, &m->props);
    /* every axvk buffer has the same usage, hence the same memoryTypeBits: probe once */
    VkBuffer probe;
    axvk_status st = vk_check(create_buffer(dev, 4096, &probe), err, "vkCreateBuffer");
    if (st)
        return st;
    VkMemoryRequirements req;
    dev->fn.vkGetBufferMemoryRequirements(dev->device, probe, &req);
    dev->fn.vkDestroyBuffer(dev->device, probe, NULL);
    for (int k = 0; k < KIND_COUNT; k++) {
        int t = pick_type(&m->props, req.memoryTypeBits, k);
        if (t < 0)
            return err_set(err, AXVK_ERR_UNSUPPORTED, "device %s has no %s memory type for buffers",
                           dev->info.name, k == KIND_DEVICE ? "device-local" : "host-visible coherent");
        m->type[k] = (uint32_t)t;
        m->heap[k] = m->props.memoryTypes[t].heapIndex;
    }
    uint64_t max_alloc = dev->info.max_alloc_size ? dev->info.max_alloc_size : DEVICE_BLOCK_BYTES;
    m->block_bytes[KIND_DEVICE] = DEVICE_BLOCK_BYTES < max_alloc ? DEVICE_BLOCK_BYTES : max_alloc;
    m->block_bytes[KIND_HOST] = HOST_BLOCK_BYTES < max_alloc ? HOST_BLOCK_BYTES : max_alloc;
    m->max_binding = dev->info.max_storage_buffer_range;
    /* 256 is the largest minStorageBufferOffsetAlignment the spec allows: any device accepts it */
    m->align = dev->info.min_storage_offset_align > 256 ? dev->info.min_storage_offset_align : 256;
    const char *limit = getenv("AXVK_DEVICE_MEMORY_LIMIT_MB");
    if (limit && limit[0])
        m->limit = strtoull(limit, NULL, 10) << 20;
    return AXVK_OK;
}

static void block_destroy(struct vkdev *dev, struct vkblock *b)
{
    struct vkmem *m = dev->mem;
    if (b->map)
        dev->fn.vkUnmapMemory(dev->device, b->memory);
    if (b->buffer)
        dev->fn.vkDestroyBuffer(dev->device, b->buffer, NULL);
    if (b->memory) {
        dev->fn.vkFreeMemory(dev->device, b->memory, NULL);
        m->held[b->kind] -= b->size;
        m->heap_held[m->heap[b->kind]] -= b->size;
    }
    mem_free(b->free);
    mem_free(b);
}

void vkmem_fini(struct vkdev *dev)
{
    struct vkmem *m = dev->mem;
    if (!m)
        return;
    for (int k = 0; k < KIND_COUNT; k++)
        while (m->blocks[k]) {
            struct vkblock *b = m->blocks[k];
            m->blocks[k] = b->next;
            block_destroy(dev, b);
        }
    mem_free(m);
    dev->mem = NULL;
}

/* Bytes of memory this kind may still take, with the reason in `why` (for messages). */
static uint64_t available(const struct vkdev *dev, int kind, char *why, size_t why_cap)
{
    const struct vkmem *m = dev->mem;
    uint32_t heap = m->heap[kind];
    uint64_t size = m->props.memoryHeaps[heap].size, held = m->heap_held[heap];
    /* a CPU device's heap is host memory, whatever size it reports (device.h: plan_bytes) */
    if (dev->info.type == VK_PHYSICAL_DEVICE_TYPE_CPU && dev->info.plan_bytes > size)
        size = dev->info.plan_bytes;
    uint64_t avail = size > held ? size - held : 0;
    char a[32], b[32], c[32];
    int n = snprintf(why, why_cap, "heap %u has %s, axvk holds %s", heap, vk_fmt_bytes(a, size),
                     vk_fmt_bytes(b, held));
    uint64_t budget, usage;
    if (vkinfo_heap_budget(dev, heap, &budget, &usage)) {
        uint64_t left = budget > usage ? budget - usage : 0;
        if (left < avail)
            avail = left;
        n += snprintf(why + n, why_cap - (size_t)n, ", budget %s of which %s used",
                      vk_fmt_bytes(a, budget), vk_fmt_bytes(b, usage));
    }
    if (kind == KIND_DEVICE && m->limit) {
        uint64_t left = m->limit > m->held[kind] ? m->limit - m->held[kind] : 0;
        if (left < avail)
            avail = left;
        n += snprintf(why + n, why_cap - (size_t)n, ", limit %s", vk_fmt_bytes(a, m->limit));
    }
    snprintf(why + n, why_cap - (size_t)n, ": %s available", vk_fmt_bytes(c, avail));
    return avail;
}

static axvk_status out_of_memory(const struct vkdev *dev, int kind, const char *what,
                                 uint64_t asked, struct err *err)
{
    char why[256], a[32];
    available(dev, kind, why, sizeof why);
    return err_set(err, AXVK_ERR_OUT_OF_DEVICE_MEMORY, "out of %s memory: %s needs %s; %s",
                   kind == KIND_DEVICE ? "device" : "host-visible", what ? what : "buffer",
                   vk_fmt_bytes(a, asked), why);
}

static axvk_status block_create(struct vkdev *dev, int kind, uint64_t size, int dedicated,
                                const char *what, struct vkblock **out, struct err *err)
{
    struct vkmem *m = dev->mem;
    char why[256];
    *out = NULL;
    if (size > available(dev, kind, why, sizeof why))
        return out_of_memory(dev, kind, what, size, err);
    struct vkblock *b = mem_calloc(1, sizeof *b);
    if (!b)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "%s: out of host memory", what);
    b->kind = kind;
    b->dedicated = dedicated;
    axvk_status st = vk_check(create_buffer(dev, size, &b->buffer), err, "vkCreateBuffer");
    if (st)
        goto fail;
    VkMemoryRequirements req;
    dev->fn.vkGetBufferMemoryRequirements(dev->device, b->buffer, &req);
    VkMemoryAllocateInfo info = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .allocationSize = req.size,
        .memoryTypeIndex = m->type[kind],
    };
    VkResult r = dev->fn.vkAllocateMemory(dev->device, &info, NULL, &b->memory);
    if (r == VK_ERROR_OUT_OF_DEVICE_MEMORY || r == VK_ERROR_OUT_OF_HOST_MEMORY) {
        b->memory = VK_NULL_HANDLE;
        st = out_of_memory(dev, kind, what, req.size, err);
        goto fail;
    }
    if ((st = vk_check(r, err, "vkAllocateMemory")))
        goto fail;
    b->size = req.size;
    m->held[kind] += b->size;
    m->heap_held[m->heap[kind]] += b->size;
    if ((st = vk_check(dev->fn.vkBindBufferMemory(dev->device, b->buffer, b->memory, 0), err,
                       "vkBindBufferMemory")))
        goto fail;
    if (kind == KIND_HOST) {
        void *p = NULL;
        if ((st = vk_check(dev->fn.vkMapMemory(dev->device, b->memory, 0, VK_WHOLE_SIZE, 0, &p), err,
                           "vkMapMemory")))
            goto fail;
        b->map = p;
    }
    /* the block's usable bytes are what was asked; req.size may add driver padding */
    b->free = mem_alloc(sizeof *b->free);
    if (!b->free) {
        st = err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "%s: out of host memory", what);
        goto fail;
    }
    b->free[0] = (struct span){0, size};
    b->n_free = b->cap_free = 1;
    b->next = m->blocks[kind];
    m->blocks[kind] = b;
    *out = b;
    return AXVK_OK;
fail:
    block_destroy(dev, b);
    return st;
}

/* First fit in b; returns the offset or UINT64_MAX. */
static uint64_t block_take(struct vkblock *b, uint64_t len, uint64_t align)
{
    for (size_t i = 0; i < b->n_free; i++) {
        struct span *s = &b->free[i];
        uint64_t start = round_up(s->off, align);
        if (start + len > s->off + s->len)
            continue;
        uint64_t end = start + len, span_end = s->off + s->len;
        if (start == s->off && end == span_end) {
            memmove(s, s + 1, (b->n_free - i - 1) * sizeof *s);
            b->n_free--;
        } else if (start == s->off) {
            s->off = end;
            s->len = span_end - end;
        } else if (end == span_end) {
            s->len = start - s->off;
        } else {
            /* the alignment gap stays free before the allocation, the tail after it */
            if (mem_grow((void **)&b->free, &b->cap_free, b->n_free + 1, sizeof *b->free))
                return UINT64_MAX;
            s = &b->free[i];
            memmove(s + 2, s + 1, (b->n_free - i - 1) * sizeof *s);
            s[1] = (struct span){end, span_end - end};
            s->len = start - s->off;
            b->n_free++;
        }
        b->used += len;
        return start;
    }
    return UINT64_MAX;
}

/* Returns [off, off + len) to b's free list, merging with its neighbours. 0 or -1 (host OOM). */
static int block_give(struct vkblock *b, uint64_t off, uint64_t len)
{
    size_t i = 0;
    while (i < b->n_free && b->free[i].off < off)
        i++;
    int join_prev = i > 0 && b->free[i - 1].off + b->free[i - 1].len == off;
    int join_next = i < b->n_free && off + len == b->free[i].off;
    if (join_prev && join_next) {
        b->free[i - 1].len += len + b->free[i].len;
        memmove(&b->free[i], &b->free[i + 1], (b->n_free - i - 1) * sizeof *b->free);
        b->n_free--;
    } else if (join_prev) {
        b->free[i - 1].len += len;
    } else if (join_next) {
        b->free[i].off = off;
        b->free[i].len += len;
    } else {
        if (mem_grow((void **)&b->free, &b->cap_free, b->n_free + 1, sizeof *b->free))
            return -1;
        memmove(&b->free[i + 1], &b->free[i], (b->n_free - i) * sizeof *b->free);
        b->free[i] = (struct span){off, len};
        b->n_free++;
    }
    b->used -= len;
    return 0;
}

static axvk_status alloc_kind(struct vkdev *dev, int kind, uint64_t bytes, const char *what,
                              struct vkbuf *out, struct err *err)
{
    struct vkmem *m = dev->mem;
    char a[32], b[32];
    memset(out, 0, sizeof *out);
    if (!what)
        what = "buffer";
    if (bytes == 0)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "%s: zero-byte buffer", what);
    if (bytes > UINT64_MAX - m->align)
        return out_of_memory(dev, kind, what, bytes, err);
    uint64_t len = round_up(bytes, m->align);
    if (dev->info.max_alloc_size && len > dev->info.max_alloc_size)
        return err_set(err, AXVK_ERR_UNSUPPORTED,
                       "%s: %s is more than one allocation may hold on %s (maxMemoryAllocationSize "
                       "%s); allocate it split", what, vk_fmt_bytes(a, bytes), dev->info.name,
                       vk_fmt_bytes(b, dev->info.max_alloc_size));
    struct vkblock *blk = NULL;
    uint64_t off = UINT64_MAX;
    axvk_status st;
    if (len > m->block_bytes[kind] / 2) {
        /* big tensors get memory of their own: no block space wasted around them */
        if ((st = block_create(dev, kind, len, 1, what, &blk, err)))
            return st;
        off = block_take(blk, len, m->align);
    } else {
        for (blk = m->blocks[kind]; blk; blk = blk->next)
            if (!blk->dedicated && (off = block_take(blk, len, m->align)) != UINT64_MAX)
                break;
        if (!blk) {
            st = block_create(dev, kind, m->block_bytes[kind], 0, what, &blk, err);
            /* near the end of memory a whole block may not fit where this buffer still does */
            if (st == AXVK_ERR_OUT_OF_DEVICE_MEMORY)
                st = block_create(dev, kind, len, 1, what, &blk, err);
            if (st)
                return st;
            off = block_take(blk, len, m->align);
        }
    }
    if (off == UINT64_MAX)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "%s: out of host memory", what);
    m->used[kind] += len;
    *out = (struct vkbuf){
        .buffer = blk->buffer,
        .offset = off,
        .size = bytes,
        .map = blk->map ? blk->map + off : NULL,
        .block = blk,
    };
    return AXVK_OK;
}

axvk_status vkmem_alloc(struct vkdev *dev, uint64_t bytes, const char *what, struct vkbuf *out,
                        struct err *err)
{
    return alloc_kind(dev, KIND_DEVICE, bytes, what, out, err);
}

axvk_status vkmem_alloc_host(struct vkdev *dev, uint64_t bytes, const char *what, struct vkbuf *out,
                             struct err *err)
{
    return alloc_kind(dev, KIND_HOST, bytes, what, out, err);
}

void vkmem_free(struct vkdev *dev, struct vkbuf *buf)
{
    struct vkmem *m = dev->mem;
    struct vkblock *b = buf->block;
    if (!b) {
        memset(buf, 0, sizeof *buf);
        return;
    }
    uint64_t len = round_up(buf->size, m->align);
    m->used[b->kind] -= len;
    /* a block left empty is released: weights are loaded once, so there is no churn to absorb */
    if (b->used == len) {
        struct vkblock **p = &m->blocks[b->kind];
        while (*p != b)
            p = &(*p)->next;
        *p = b->next;
        block_destroy(dev, b);
    } else if (block_give(b, buf->offset, len) != 0) {
        b->used -= len; /* no host memory for the free list: the span returns with its block */
    }
    memset(buf, 0, sizeof *buf);
}

struct vkbuf vkbuf_view(const struct vkbuf *buf, uint64_t offset, uint64_t size)
{
    return (struct vkbuf){
        .buffer = buf->buffer,
        .offset = buf->offset + offset,
        .size = size,
        .map = buf->map ? buf->map + offset : NULL,
        .block = NULL,
    };
}

uint64_t vkmem_max_binding(const struct vkdev *dev)
{
    return dev->mem->max_binding;
}

axvk_status vkmem_alloc_split(struct vkdev *dev, uint64_t bytes, uint64_t row_bytes,
                              const char *what, struct vksplit *out, struct err *err)
{
    struct vkmem *m = dev->mem;
    char a[32], b[32];
    memset(out, 0, sizeof *out);
    if (!what)
        what = "tensor";
    if (bytes == 0 || row_bytes == 0 || bytes % row_bytes)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "%s: %llu bytes is not a whole number of "
                       "%llu-byte rows", what, (unsigned long long)bytes,
                       (unsigned long long)row_bytes);
    uint64_t part_max = m->max_binding;
    if (dev->info.max_alloc_size && dev->info.max_alloc_size < part_max)
        part_max = dev->info.max_alloc_size;
    part_max -= part_max % m->align; /* whole parts keep the next one aligned in a shared block */
    if (row_bytes > part_max)
        return err_set(err, AXVK_ERR_UNSUPPORTED, "%s: one row of %s exceeds the largest binding "
                       "of %s (%s)", what, vk_fmt_bytes(a, row_bytes), dev->info.name,
                       vk_fmt_bytes(b, part_max));
    uint64_t rows = bytes / row_bytes, rows_max = part_max / row_bytes;
    uint64_t n = (rows + rows_max - 1) / rows_max;
    if (n > UINT32_MAX)
        return err_set(err, AXVK_ERR_UNSUPPORTED, "%s: too many parts", what);
    /* fail before taking anything when the whole cannot fit: no half-loaded model */
    uint64_t free_bytes = 0;
    for (struct vkblock *blk = m->blocks[KIND_DEVICE]; blk; blk = blk->next)
        if (!blk->dedicated)
            free_bytes += blk->size - blk->used;
    char why[256];
    if (bytes > available(dev, KIND_DEVICE, why, sizeof why) + free_bytes)
        return out_of_memory(dev, KIND_DEVICE, what, bytes, err);

    out->parts = mem_calloc(n, sizeof *out->parts);
    if (!out->parts)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "%s: out of host memory", what);
    out->n = (uint32_t)n;
    out->bytes = bytes;
    out->row_bytes = row_bytes;
    out->rows_per_part = (rows + n - 1) / n;
    for (uint32_t i = 0; i < out->n; i++) {
        uint64_t first = i * out->rows_per_part;
        uint64_t count = rows - first < out->rows_per_part ? rows - first : out->rows_per_part;
        axvk_status st = vkmem_alloc(dev, count * row_bytes, what, &out->parts[i], err);
        if (st) {
            vkmem_free_split(dev, out);
            return st;
        }
    }
    return AXVK_OK;
}

void vkmem_free_split(struct vkdev *dev, struct vksplit *split)
{
    for (uint32_t i = 0; split->parts && i < split->n; i++)
        vkmem_free(dev, &split->parts[i]);
    mem_free(split->parts);
    memset(split, 0, sizeof *split);
}

void vkmem_get_stats(const struct vkdev *dev, struct vkmem_stats *s)
{
    const struct vkmem *m = dev->mem;
    memset(s, 0, sizeof *s);
    s->device_bytes = m->held[KIND_DEVICE];
    s->host_bytes = m->held[KIND_HOST];
    s->device_used = m->used[KIND_DEVICE];
    s->host_used = m->used[KIND_HOST];
    for (const struct vkblock *b = m->blocks[KIND_DEVICE]; b; b = b->next)
        s->device_blocks++;
    for (const struct vkblock *b = m->blocks[KIND_HOST]; b; b = b->next)
        s->host_blocks++;
}

void vkmem_set_limit(struct vkdev *dev, uint64_t bytes)
{
    dev->mem->limit = bytes;
}

void vkmem_set_max_binding(struct vkdev *dev, uint64_t bytes)
{
    uint64_t hw = dev->info.max_storage_buffer_range;
    dev->mem->max_binding = bytes && bytes < hw ? bytes : hw;
}
