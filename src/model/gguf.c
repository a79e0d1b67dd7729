/* gguf: parsing and validation of GGUF images, assembly of split models, tensor lookup.
 * Every read goes through a bounds-checked reader; nothing here writes files (gguf_write.c)
 * or interprets keys beyond general.alignment and split.*. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/wtype.h"
#include "model/gguf_impl.h"

/* Far above any real model (~1,000 tensors, ~50 keys), low enough to keep tables small. */
#define MAX_KEYS (1u << 20)
#define MAX_TENSORS (1u << 20)
#define MAX_SHARDS 9999
/* Smallest encodings, used to bound counts by the bytes left: a key is u64 length, 1 byte,
 * u32 type, a 1-byte value; a tensor info is u64 length, 1 byte, u32 n_dims, one u64 dim,
 * u32 type, u64 offset. */
#define KV_MIN_BYTES 14
#define TENSOR_MIN_BYTES 33

struct reader {
    const uint8_t *p;
    uint64_t size;
    uint64_t pos;
    struct err *err;
};

static uint64_t left(const struct reader *r)
{
    return r->size - r->pos;
}

/* Reads a little-endian integer of `bytes` bytes; `what` names the field in the message. */
static axvk_status read_uint(struct reader *r, unsigned bytes, uint64_t *out, const char *what)
{
    *out = 0;
    if (left(r) < bytes)
        return err_set(r->err, AXVK_ERR_BAD_FILE,
                       "%s: truncated at byte %" PRIu64 " (needs %u bytes, file size %" PRIu64 ")",
                       what, r->pos, bytes, r->size);
    *out = gguf_load_le(r->p + r->pos, bytes);
    r->pos += bytes;
    return AXVK_OK;
}

static axvk_status read_u32(struct reader *r, uint32_t *out, const char *what)
{
    uint64_t v = 0;
    axvk_status s = read_uint(r, 4, &v, what);
    *out = (uint32_t)v;
    return s;
}

/* A GGUF string: u64 length + bytes, in place. */
static axvk_status read_str(struct reader *r, const uint8_t **ptr, uint64_t *len, const char *what)
{
    *ptr = NULL;
    axvk_status s = read_uint(r, 8, len, what);
    if (s != AXVK_OK)
        return s;
    if (*len > left(r))
        return err_set(r->err, AXVK_ERR_BAD_FILE,
                       "%s: string length %" PRIu64 " past end of file (%" PRIu64 " bytes left)",
                       what, *len, left(r));
    *ptr = r->p + r->pos;
    r->pos += *len;
    return AXVK_OK;
}

/* A key or tensor name: non-empty, no NUL bytes, copied so it can be used as a C string. */
static axvk_status read_name(struct reader *r, char **out, const char *what)
{
    const uint8_t *ptr = NULL;
    uint64_t len = 0;
    axvk_status s = read_str(r, &ptr, &len, what);
    if (s != AXVK_OK)
        return s;
    if (len == 0)
        return err_set(r->err, AXVK_ERR_BAD_FILE, "%s is empty", what);
    if (memchr(ptr, 0, (size_t)len))
        return err_set(r->err, AXVK_ERR_BAD_FILE, "%s contains a NUL byte", what);
    *out = mem_strndup((const char *)ptr, (size_t)len);
    if (!*out)
        return err_set(r->err, AXVK_ERR_OUT_OF_HOST_MEMORY, "%s: out of memory", what);
    return AXVK_OK;
}

/* Walks n strings from the reader; with `off` set, records each one's offset from `base`. */
static axvk_status walk_strings(struct reader *r, uint64_t n, uint64_t base, uint64_t *off,
                                const char *key)
{
    for (uint64_t i = 0; i < n; i++) {
        uint64_t at = r->pos, len = 0;
        const uint8_t *ptr = NULL;
        char what[128];
        snprintf(what, sizeof what, "key %.64s: element %" PRIu64, key, i);
        axvk_status s = read_str(r, &ptr, &len, what);
        if (s != AXVK_OK)
            return s;
        if (off)
            off[i] = at - base;
    }
    return AXVK_OK;
}

static axvk_status check_bools(struct reader *r, const uint8_t *p, uint64_t n, const char *key)
{
    for (uint64_t i = 0; i < n; i++)
        if (p[i] > 1)
            return err_set(r->err, AXVK_ERR_BAD_FILE,
                           "key %s: bool value %u at element %" PRIu64 " (must be 0 or 1)", key,
                           p[i], i);
    return AXVK_OK;
}

static axvk_status parse_array(struct reader *r, struct gguf_kv *kv, const char *what)
{
    uint64_t n = 0;
    axvk_status s = read_u32(r, &kv->arr_type, what);
    if (s == AXVK_OK)
        s = read_uint(r, 8, &n, what);
    if (s != AXVK_OK)
        return s;
    if (kv->arr_type == GGUF_TYPE_ARR)
        return err_set(r->err, AXVK_ERR_BAD_FILE, "key %s: arrays of arrays are not supported",
                       kv->key);
    if (kv->arr_type >= GGUF_TYPE_COUNT)
        return err_set(r->err, AXVK_ERR_BAD_FILE, "key %s: unknown array element type %u",
                       kv->key, kv->arr_type);
    /* a string element needs at least its u64 length */
    unsigned bytes = kv->arr_type == GGUF_TYPE_STR ? 8 : gguf_scalar_bytes(kv->arr_type);
    if (n > left(r) / bytes)
        return err_set(r->err, AXVK_ERR_BAD_FILE,
                       "key %s: array count %" PRIu64 " of %s too large for the %" PRIu64
                       " bytes left",
                       kv->key, n, gguf_type_name(kv->arr_type), left(r));
    kv->n = n;
    kv->data = r->p + r->pos;
    if (kv->arr_type != GGUF_TYPE_STR) {
        r->pos += n * bytes;
        return kv->arr_type == GGUF_TYPE_BOOL ? check_bools(r, kv->data, n, kv->key) : AXVK_OK;
    }
    /* validate first, so that a lying count costs no memory; then index the elements */
    uint64_t start = r->pos;
    s = walk_strings(r, n, start, NULL, kv->key);
    if (s != AXVK_OK)
        return s;
    kv->str_off = mem_calloc((size_t)(n ? n : 1), sizeof *kv->str_off);
    if (!kv->str_off)
        return err_set(r->err, AXVK_ERR_OUT_OF_HOST_MEMORY, "key %s: out of memory", kv->key);
    r->pos = start;
    return walk_strings(r, n, start, kv->str_off, kv->key);
}

/* `what` is "key <name>", for messages. */
static axvk_status parse_value(struct reader *r, struct gguf_kv *kv, const char *what)
{
    axvk_status s = read_u32(r, &kv->type, what);
    if (s != AXVK_OK)
        return s;
    if (kv->type >= GGUF_TYPE_COUNT)
        return err_set(r->err, AXVK_ERR_BAD_FILE, "key %s: unknown value type %u", kv->key,
                       kv->type);
    if (kv->type == GGUF_TYPE_ARR)
        return parse_array(r, kv, what);
    if (kv->type == GGUF_TYPE_STR) {
        s = read_str(r, &kv->data, &kv->n, what);
        if (s != AXVK_OK)
            return s;
        kv->str = mem_strndup((const char *)kv->data, (size_t)kv->n);
        if (!kv->str)
            return err_set(r->err, AXVK_ERR_OUT_OF_HOST_MEMORY, "key %s: out of memory", kv->key);
        return AXVK_OK;
    }
    unsigned bytes = gguf_scalar_bytes(kv->type);
    if (left(r) < bytes)
        return err_set(r->err, AXVK_ERR_BAD_FILE,
                       "key %s: %s value past end of file (%" PRIu64 " bytes left)", kv->key,
                       gguf_type_name(kv->type), left(r));
    kv->data = r->p + r->pos;
    r->pos += bytes;
    return kv->type == GGUF_TYPE_BOOL ? check_bools(r, kv->data, 1, kv->key) : AXVK_OK;
}

static void kvset_free(struct kvset *set)
{
    for (uint64_t i = 0; i < set->n; i++) {
        mem_free(set->kv[i].key);
        mem_free(set->kv[i].str_off);
        mem_free(set->kv[i].str);
    }
    mem_free(set->kv);
    name_index_free(&set->index);
    memset(set, 0, sizeof *set);
}

static axvk_status parse_kvs(struct reader *r, struct kvset *set, uint64_t n_kv)
{
    for (uint64_t i = 0; i < n_kv; i++) {
        if (mem_grow((void **)&set->kv, &set->cap, (size_t)set->n + 1, sizeof *set->kv))
            return err_set(r->err, AXVK_ERR_OUT_OF_HOST_MEMORY, "metadata: out of memory");
        struct gguf_kv *kv = &set->kv[set->n];
        memset(kv, 0, sizeof *kv);
        char what[48];
        snprintf(what, sizeof what, "key #%" PRIu64, i);
        axvk_status s = read_name(r, &kv->key, what);
        if (s != AXVK_OK)
            return s;
        set->n++; /* owned by the set from here, so a failure below frees it */
        char key_what[288];
        snprintf(key_what, sizeof key_what, "key %.280s", kv->key);
        s = parse_value(r, kv, key_what);
        if (s != AXVK_OK)
            return s;
    }
    uint64_t dup = 0;
    axvk_status s = name_index_build(&set->index, set->kv, sizeof *set->kv, set->n, &dup);
    if (s == AXVK_ERR_BAD_FILE)
        return err_set(r->err, s, "duplicate key %s", set->kv[dup].key);
    if (s != AXVK_OK)
        return err_set(r->err, s, "metadata index: out of memory");
    return AXVK_OK;
}

/* Unsigned integer value of an optional key: false when absent; an error when not usable. */
static axvk_status optional_uint(struct reader *r, const struct kvset *set, const char *key,
                                 uint64_t max, uint64_t *out, bool *present)
{
    int64_t i = kvset_find(set, key);
    *present = i >= 0;
    if (i < 0)
        return AXVK_OK;
    if (!gguf_kv_to_u64(&set->kv[i], out) || set->kv[i].type == GGUF_TYPE_BOOL)
        return err_set(r->err, AXVK_ERR_BAD_FILE, "key %s: %s value where an integer expected",
                       key, gguf_type_name(set->kv[i].type));
    if (*out > max)
        return err_set(r->err, AXVK_ERR_BAD_FILE, "key %s: value %" PRIu64 " above %" PRIu64, key,
                       *out, max);
    return AXVK_OK;
}

/* One tensor info record, checked for shape and type; data is located later. */
static axvk_status parse_tensor_info(struct reader *r, struct gguf_tensor *t, uint64_t *offset)
{
    char what[48];
    snprintf(what, sizeof what, "tensor name at byte %" PRIu64, r->pos);
    char *name = NULL;
    axvk_status s = read_name(r, &name, what);
    if (s != AXVK_OK)
        return s;
    t->name = name;
    char tensor_what[288];
    snprintf(tensor_what, sizeof tensor_what, "tensor %.280s", name);
    s = read_u32(r, &t->n_dims, tensor_what);
    if (s != AXVK_OK)
        return s;
    if (t->n_dims < 1 || t->n_dims > GGUF_MAX_DIMS)
        return err_set(r->err, AXVK_ERR_BAD_FILE, "tensor %s: n_dims %u (must be 1 to %d)", name,
                       t->n_dims, GGUF_MAX_DIMS);
    uint64_t elems = 1;
    for (uint32_t d = 0; d < GGUF_MAX_DIMS; d++) {
        t->ne[d] = 1;
        if (d >= t->n_dims)
            continue;
        s = read_uint(r, 8, &t->ne[d], tensor_what);
        if (s != AXVK_OK)
            return s;
        if (t->ne[d] == 0)
            return err_set(r->err, AXVK_ERR_BAD_FILE, "tensor %s: dimension %u is 0", name, d);
        /* element counts stay below 2^63 so that signed arithmetic downstream is safe */
        if (t->ne[d] > (uint64_t)INT64_MAX / elems)
            return err_set(r->err, AXVK_ERR_BAD_FILE,
                           "tensor %s: element count overflows (%" PRIu64 " x %" PRIu64 ")", name,
                           elems, t->ne[d]);
        elems *= t->ne[d];
    }
    s = read_u32(r, &t->type, tensor_what);
    if (s == AXVK_OK)
        s = read_uint(r, 8, offset, tensor_what);
    if (s != AXVK_OK)
        return s;
    const struct wtype_info *info = wtype_get(t->type);
    if (!info)
        return err_set(r->err, AXVK_ERR_BAD_FILE, "tensor %s: unknown type %u", name, t->type);
    if (t->ne[0] % info->block_elems)
        return err_set(r->err, AXVK_ERR_BAD_FILE,
                       "tensor %s: row length %" PRIu64 " not a multiple of the %s block size %u",
                       name, t->ne[0], info->name, info->block_elems);
    uint64_t row = wtype_row_bytes(t->type, t->ne[0]);
    uint64_t rows = elems / t->ne[0];
    if (row == 0 || rows > UINT64_MAX / row)
        return err_set(r->err, AXVK_ERR_BAD_FILE, "tensor %s: byte size overflows", name);
    t->size = row * rows;
    return AXVK_OK;
}

struct span {
    uint64_t offset, size;
    uint64_t tensor;
};

static int span_cmp(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Places tensors [first, g->n_tensors) in the data section at `data_start`: aligned, inside
 * the image, no two sharing a byte. */
static axvk_status place_tensors(struct gguf *g, struct reader *r, uint64_t first,
                                 const uint64_t *offsets, uint64_t data_start, uint32_t align)
{
    uint64_t n = g->n_tensors - first;
    if (n == 0)
        return AXVK_OK;
    if (data_start > r->size)
        return err_set(r->err, AXVK_ERR_BAD_FILE,
                       "data section starts at %" PRIu64 ", past end of file (size %" PRIu64 ")",
                       data_start, r->size);
    uint64_t data_size = r->size - data_start;
    struct span *spans = mem_calloc((size_t)n, sizeof *spans);
    if (!spans)
        return err_set(r->err, AXVK_ERR_OUT_OF_HOST_MEMORY, "tensor table: out of memory");
    axvk_status s = AXVK_OK;
    for (uint64_t i = 0; i < n && s == AXVK_OK; i++) {
        struct gguf_tensor *t = &g->tensors[first + i];
        uint64_t off = offsets[i];
        if (off % align)
            s = err_set(r->err, AXVK_ERR_BAD_FILE,
                        "tensor %s: offset %" PRIu64 " not aligned to %u", t->name, off, align);
        else if (off > data_size || t->size > data_size - off)
            s = err_set(r->err, AXVK_ERR_BAD_FILE,
                        "tensor %s: offset %" PRIu64 " + size %" PRIu64
                        " past end of data (size %" PRIu64 ")",
                        t->name, off, t->size, data_size);
        t->data = r->p + data_start + (s == AXVK_OK ? off : 0);
        spans[i] = (struct span){off, t->size, first + i};
    }
    if (s == AXVK_OK)
        qsort(spans, (size_t)n, sizeof *spans, span_cmp);
    for (uint64_t i = 1; i < n && s == AXVK_OK; i++) {
        const struct span *a = &spans[i - 1], *b = &spans[i];
        if (a->offset + a->size > b->offset)
            s = err_set(r->err, AXVK_ERR_BAD_FILE,
                        "tensors %s and %s overlap (offset %" PRIu64 " + size %" PRIu64
                        " > offset %" PRIu64 ")",
                        g->tensors[a->tensor].name, g->tensors[b->tensor].name, a->offset,
                        a->size, b->offset);
    }
    mem_free(spans);
    return s;
}

static axvk_status parse_tensors(struct gguf *g, struct reader *r, uint64_t n, uint32_t align)
{
    uint64_t first = g->n_tensors;
    uint64_t *offsets = NULL;
    size_t offsets_cap = 0;
    axvk_status s = AXVK_OK;
    for (uint64_t i = 0; i < n && s == AXVK_OK; i++) {
        if (mem_grow((void **)&g->tensors, &g->tensor_cap, (size_t)g->n_tensors + 1,
                     sizeof *g->tensors) ||
            mem_grow((void **)&offsets, &offsets_cap, (size_t)i + 1, sizeof *offsets)) {
            s = err_set(r->err, AXVK_ERR_OUT_OF_HOST_MEMORY, "tensor table: out of memory");
            break;
        }
        struct gguf_tensor *t = &g->tensors[g->n_tensors];
        memset(t, 0, sizeof *t);
        s = parse_tensor_info(r, t, &offsets[i]);
        if (t->name)
            g->n_tensors++; /* owned by g from here, so a failure frees the name */
    }
    if (s == AXVK_OK) {
        /* the data section starts at the next multiple of the alignment */
        uint64_t data_start = (r->pos + align - 1) / align * align;
        s = place_tensors(g, r, first, offsets, data_start, align);
    }
    mem_free(offsets);
    return s;
}

struct split_info {
    uint64_t no, count, tensors;
    bool has_count, has_tensors;
};

/* Parses one image; its keys go to `meta`, its tensors are appended to g's table. */
static axvk_status parse_image(struct gguf *g, struct kvset *meta, const uint8_t *p,
                               uint64_t size, struct split_info *split, struct err *err)
{
    struct reader r = {p, size, 0, err};
    if (size < 24)
        return err_set(err, AXVK_ERR_BAD_FILE,
                       "file too small for a GGUF header (%" PRIu64 " bytes, needs 24)", size);
    if (memcmp(p, "GGUF", 4) != 0)
        return err_set(err, AXVK_ERR_BAD_FILE,
                       "bad magic %02x %02x %02x %02x (expected \"GGUF\")", p[0], p[1], p[2],
                       p[3]);
    r.pos = 4;
    uint32_t version;
    uint64_t n_tensors, n_kv;
    read_u32(&r, &version, "version");
    if (version == 1)
        return err_set(err, AXVK_ERR_BAD_FILE,
                       "GGUF version 1 is not supported (only 2 and 3; re-convert the model)");
    if (version != 2 && version != 3)
        return err_set(err, AXVK_ERR_BAD_FILE, "unsupported GGUF version %u (only 2 and 3)%s",
                       version,
                       version == 0x02000000u || version == 0x03000000u ? "; big-endian file?"
                                                                          : "");
    g->version = version;
    read_uint(&r, 8, &n_tensors, "tensor count");
    read_uint(&r, 8, &n_kv, "key count");
    if (n_kv > MAX_KEYS || n_kv > left(&r) / KV_MIN_BYTES)
        return err_set(err, AXVK_ERR_BAD_FILE,
                       "key count %" PRIu64 " too large for file size %" PRIu64
                       " (each key needs at least %d bytes)",
                       n_kv, size, KV_MIN_BYTES);
    if (n_tensors > MAX_TENSORS || n_tensors > left(&r) / TENSOR_MIN_BYTES)
        return err_set(err, AXVK_ERR_BAD_FILE,
                       "tensor count %" PRIu64 " too large for file size %" PRIu64
                       " (each tensor needs at least %d bytes)",
                       n_tensors, size, TENSOR_MIN_BYTES);
    axvk_status s = parse_kvs(&r, meta, n_kv);
    if (s != AXVK_OK)
        return s;
    uint64_t align = GGUF_DEFAULT_ALIGNMENT;
    bool present;
    s = optional_uint(&r, meta, "general.alignment", UINT32_MAX, &align, &present);
    if (s != AXVK_OK)
        return s;
    if (align == 0 || (align & (align - 1)))
        return err_set(err, AXVK_ERR_BAD_FILE,
                       "key general.alignment: %" PRIu64 " is not a power of two", align);
    if (meta == &g->meta)
        g->alignment = (uint32_t)align;
    split->no = 0;
    split->count = 1;
    s = optional_uint(&r, meta, "split.no", MAX_SHARDS - 1, &split->no, &present);
    if (s == AXVK_OK)
        s = optional_uint(&r, meta, "split.count", MAX_SHARDS, &split->count, &split->has_count);
    if (s == AXVK_OK)
        s = optional_uint(&r, meta, "split.tensors.count", MAX_TENSORS * (uint64_t)MAX_SHARDS,
                          &split->tensors, &split->has_tensors);
    if (s != AXVK_OK)
        return s;
    if (split->count == 0 || split->no >= split->count)
        return err_set(err, AXVK_ERR_BAD_FILE,
                       "split.no %" PRIu64 " does not fit split.count %" PRIu64, split->no,
                       split->count);
    return parse_tensors(g, &r, n_tensors, (uint32_t)align);
}

static axvk_status index_tensors(struct gguf *g, struct err *err)
{
    uint64_t dup = 0;
    axvk_status s =
        name_index_build(&g->tensor_index, g->tensors, sizeof *g->tensors, g->n_tensors, &dup);
    if (s == AXVK_ERR_BAD_FILE)
        return err_set(err, s, "duplicate tensor name %s", g->tensors[dup].name);
    if (s != AXVK_OK)
        return err_set(err, s, "tensor index: out of memory");
    return AXVK_OK;
}

void gguf_close(struct gguf *g)
{
    if (!g)
        return;
    kvset_free(&g->meta);
    for (uint64_t i = 0; i < g->n_tensors; i++)
        mem_free((void *)g->tensors[i].name);
    mem_free(g->tensors);
    name_index_free(&g->tensor_index);
    if (g->maps)
        for (uint32_t i = 0; i < g->n_shards; i++)
            mapfile_close(&g->maps[i]);
    mem_free(g->maps);
    mem_free(g);
}

axvk_status gguf_open_memory(struct gguf **out, const void *data, size_t size, struct err *err)
{
    *out = NULL;
    struct gguf *g = mem_calloc(1, sizeof *g);
    if (!g)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "gguf: out of memory");
    g->n_shards = 1;
    struct split_info split = {0};
    axvk_status s = parse_image(g, &g->meta, data, size, &split, err);
    if (s != AXVK_OK)
        goto fail;
    if (split.count > 1) {
        s = err_set(err, AXVK_ERR_UNSUPPORTED,
                    "split GGUF (shard %" PRIu64 " of %" PRIu64 ") must be opened from its path",
                    split.no + 1, split.count);
        goto fail;
    }
    s = index_tensors(g, err);
    if (s != AXVK_OK)
        goto fail;
    *out = g;
    return AXVK_OK;
fail:
    gguf_close(g);
    return s;
}

/* "dir/name-00001-of-00003.gguf" -> length of "dir/name", or 0 when the path does not end that
 * way for this shard count. */
static size_t split_prefix_len(const char *path, uint64_t count)
{
    char suffix[32];
    snprintf(suffix, sizeof suffix, "-%05u-of-%05u.gguf", 1u, (unsigned)count);
    size_t n = strlen(path), k = strlen(suffix);
    if (n <= k || strcmp(path + n - k, suffix) != 0)
        return 0;
    return n - k;
}

/* Maps and parses shard `i` (0 = the path given), checking it against the first. */
static axvk_status open_shard(struct gguf *g, const char *path, uint32_t i,
                              struct split_info *first, struct err *err)
{
    axvk_status s = mapfile_open(&g->maps[i], path, err);
    if (s != AXVK_OK)
        return s;
    g->n_shards = i + 1; /* from here gguf_close unmaps it */
    struct kvset other = {0};
    struct kvset *meta = i == 0 ? &g->meta : &other;
    struct split_info split = {0};
    s = parse_image(g, meta, g->maps[i].data, g->maps[i].size, &split, err);
    if (s == AXVK_OK && i > 0 && (split.no != i || split.count != first->count))
        s = err_set(err, AXVK_ERR_BAD_FILE,
                    "split.no %" PRIu64 " / split.count %" PRIu64 " where shard %u of %" PRIu64
                    " expected",
                    split.no, split.count, i + 1, first->count);
    if (i == 0)
        *first = split;
    kvset_free(&other);
    if (s != AXVK_OK)
        err_wrap(err, "%s", path);
    return s;
}

axvk_status gguf_open(struct gguf **out, const char *path, struct err *err)
{
    *out = NULL;
    char *shard_path = NULL;
    struct gguf *g = mem_calloc(1, sizeof *g);
    axvk_status s = AXVK_ERR_OUT_OF_HOST_MEMORY;
    if (!g || !(g->maps = mem_calloc(1, sizeof *g->maps))) {
        err_set(err, s, "%s: out of memory", path);
        goto fail;
    }
    struct split_info split = {0};
    s = open_shard(g, path, 0, &split, err);
    if (s != AXVK_OK)
        goto fail;
    if (split.count > 1) {
        size_t prefix = split_prefix_len(path, split.count);
        if (split.no != 0 || prefix == 0) {
            s = err_set(err, AXVK_ERR_BAD_FILE,
                        "%s: shard %" PRIu64 " of a %" PRIu64
                        "-file split model; open the first shard, named "
                        "<name>-00001-of-%05u.gguf",
                        path, split.no + 1, split.count, (unsigned)split.count);
            goto fail;
        }
        struct mapfile *maps = mem_calloc((size_t)split.count, sizeof *maps);
        shard_path = mem_alloc(prefix + 32);
        if (!maps || !shard_path) {
            mem_free(maps);
            s = err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "%s: out of memory", path);
            goto fail;
        }
        maps[0] = g->maps[0];
        mem_free(g->maps);
        g->maps = maps;
        for (uint32_t i = 1; i < split.count; i++) {
            snprintf(shard_path, prefix + 32, "%.*s-%05u-of-%05u.gguf", (int)prefix, path, i + 1,
                     (unsigned)split.count);
            s = open_shard(g, shard_path, i, &split, err);
            if (s != AXVK_OK)
                goto fail;
        }
    }
    if (split.has_tensors && split.tensors != g->n_tensors) {
        s = err_set(err, AXVK_ERR_BAD_FILE,
                    "%s: split.tensors.count %" PRIu64 " but the shards hold %" PRIu64 " tensors",
                    path, split.tensors, g->n_tensors);
        goto fail;
    }
    s = index_tensors(g, err);
    if (s != AXVK_OK) {
        err_wrap(err, "%s", path);
        goto fail;
    }
    mem_free(shard_path);
    *out = g;
    return AXVK_OK;
fail:
    mem_free(shard_path);
    gguf_close(g);
    return s;
}

uint32_t gguf_version(const struct gguf *g)
{
    return g->version;
}

uint32_t gguf_alignment(const struct gguf *g)
{
    return g->alignment;
}

uint32_t gguf_n_shards(const struct gguf *g)
{
    return g->n_shards;
}

uint64_t gguf_n_tensors(const struct gguf *g)
{
    return g->n_tensors;
}

const struct gguf_tensor *gguf_tensor_at(const struct gguf *g, uint64_t i)
{
    return i < g->n_tensors ? &g->tensors[i] : NULL;
}

const struct gguf_tensor *gguf_find_tensor(const struct gguf *g, const char *name)
{
    int64_t i = name_index_find(&g->tensor_index, g->tensors, sizeof *g->tensors, name);
    return i < 0 ? NULL : &g->tensors[i];
}
