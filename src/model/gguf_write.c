/* gguf_write: GGUF v3 encoding of metadata and tensors, streamed to a FILE*.
 * Holds encoded metadata and tensor descriptions only; tensor bytes are read from the caller or
 * produced by its callback while writing. Never parses files (gguf.c does). */
#include "model/gguf_write.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "base/alloc.h"
#include "base/wtype.h"
#include "model/gguf_impl.h"

/* Rows produced per fill call: bounded so that converting a 70B model needs little memory. */
#define FILL_CHUNK_BYTES (16u << 20)

struct buf {
    uint8_t *p;
    size_t n, cap;
    bool oom;
};

struct wkv {
    char *key;
    uint32_t type;
    uint8_t *payload; /* the value as encoded after the key's type field */
    size_t size;
};

struct wtensor {
    char *name;
    uint32_t type, n_dims;
    uint64_t ne[GGUF_MAX_DIMS];
    uint64_t row_bytes, rows, size;
    uint64_t offset; /* in the data section, assigned when writing */
    const void *data;
    gguf_fill_fn fill;
    void *user;
};

struct gguf_writer {
    struct wkv *kv;
    size_t n_kv, kv_cap;
    struct wtensor *tensors;
    size_t n_tensors, tensor_cap;
    uint32_t alignment;
};

static void buf_put(struct buf *b, const void *p, size_t n)
{
    if (b->oom || mem_grow((void **)&b->p, &b->cap, b->n + n, 1)) {
        b->oom = true;
        return;
    }
    if (n)
        memcpy(b->p + b->n, p, n);
    b->n += n;
}

/* Little-endian whatever the host. */
static void buf_put_le(struct buf *b, uint64_t v, unsigned bytes)
{
    uint8_t le[8];
    for (unsigned i = 0; i < bytes; i++)
        le[i] = (uint8_t)(v >> (8 * i));
    buf_put(b, le, bytes);
}

static void buf_put_str(struct buf *b, const char *s, uint64_t len)
{
    buf_put_le(b, len, 8);
    buf_put(b, s, (size_t)len);
}

/* Encodes one scalar given as its C type. */
static void put_scalar(struct buf *b, uint32_t type, const void *value)
{
    uint64_t v = 0;
    switch (type) {
    case GGUF_TYPE_U8: v = *(const uint8_t *)value; break;
    case GGUF_TYPE_I8: v = (uint8_t)*(const int8_t *)value; break;
    case GGUF_TYPE_U16: v = *(const uint16_t *)value; break;
    case GGUF_TYPE_I16: v = (uint16_t)*(const int16_t *)value; break;
    case GGUF_TYPE_U32: v = *(const uint32_t *)value; break;
    case GGUF_TYPE_I32: v = (uint32_t)*(const int32_t *)value; break;
    case GGUF_TYPE_U64: v = *(const uint64_t *)value; break;
    case GGUF_TYPE_I64: v = (uint64_t)*(const int64_t *)value; break;
    case GGUF_TYPE_BOOL: v = *(const bool *)value ? 1 : 0; break;
    case GGUF_TYPE_F32: {
        uint32_t bits;
        memcpy(&bits, value, 4);
        v = bits;
        break;
    }
    case GGUF_TYPE_F64: memcpy(&v, value, 8); break;
    }
    buf_put_le(b, v, gguf_scalar_bytes(type));
}

/* Takes ownership of b's bytes as the value of `key`, replacing an earlier value. */
static axvk_status put_kv(struct gguf_writer *w, const char *key, uint32_t type, struct buf *b,
                          struct err *err)
{
    axvk_status s = AXVK_OK;
    char *copy = NULL;
    if (b->oom) {
        s = err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "key %s: out of memory", key);
        goto fail;
    }
    if (!key || !key[0]) {
        s = err_set(err, AXVK_ERR_INVALID_ARGUMENT, "empty metadata key");
        goto fail;
    }
    if (strcmp(key, "general.alignment") == 0) {
        uint64_t a = type == GGUF_TYPE_U32 ? gguf_load_le(b->p, 4) : 0;
        if (a == 0 || (a & (a - 1))) {
            s = err_set(err, AXVK_ERR_INVALID_ARGUMENT,
                        "general.alignment must be a u32 power of two");
            goto fail;
        }
        w->alignment = (uint32_t)a;
    }
    /* replacing keeps the key's place, so copied metadata keeps the source's order */
    for (size_t i = 0; i < w->n_kv; i++) {
        if (strcmp(w->kv[i].key, key) == 0) {
            mem_free(w->kv[i].payload);
            w->kv[i].type = type;
            w->kv[i].payload = b->p;
            w->kv[i].size = b->n;
            return AXVK_OK;
        }
    }
    copy = mem_strdup(key);
    if (!copy || mem_grow((void **)&w->kv, &w->kv_cap, w->n_kv + 1, sizeof *w->kv)) {
        s = err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "key %s: out of memory", key);
        goto fail;
    }
    w->kv[w->n_kv++] = (struct wkv){copy, type, b->p, b->n};
    return AXVK_OK;
fail:
    mem_free(copy);
    mem_free(b->p);
    return s;
}

axvk_status gguf_writer_create(struct gguf_writer **out, struct err *err)
{
    *out = mem_calloc(1, sizeof **out);
    if (!*out)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "gguf writer: out of memory");
    (*out)->alignment = GGUF_DEFAULT_ALIGNMENT;
    return AXVK_OK;
}

void gguf_writer_destroy(struct gguf_writer *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n_kv; i++) {
        mem_free(w->kv[i].key);
        mem_free(w->kv[i].payload);
    }
    for (size_t i = 0; i < w->n_tensors; i++)
        mem_free(w->tensors[i].name);
    mem_free(w->kv);
    mem_free(w->tensors);
    mem_free(w);
}

axvk_status gguf_writer_set(struct gguf_writer *w, const char *key, uint32_t type,
                            const void *value, struct err *err)
{
    struct buf b = {0};
    if (type == GGUF_TYPE_STR) {
        const char *s = *(const char *const *)value;
        buf_put_str(&b, s, strlen(s));
    } else if (gguf_scalar_bytes(type)) {
        put_scalar(&b, type, value);
    } else {
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "key %s: %s is not a scalar type", key,
                       gguf_type_name(type));
    }
    return put_kv(w, key, type, &b, err);
}

axvk_status gguf_writer_set_u32(struct gguf_writer *w, const char *key, uint32_t v,
                                struct err *err)
{
    return gguf_writer_set(w, key, GGUF_TYPE_U32, &v, err);
}

axvk_status gguf_writer_set_i32(struct gguf_writer *w, const char *key, int32_t v,
                                struct err *err)
{
    return gguf_writer_set(w, key, GGUF_TYPE_I32, &v, err);
}

axvk_status gguf_writer_set_u64(struct gguf_writer *w, const char *key, uint64_t v,
                                struct err *err)
{
    return gguf_writer_set(w, key, GGUF_TYPE_U64, &v, err);
}

axvk_status gguf_writer_set_f32(struct gguf_writer *w, const char *key, float v, struct err *err)
{
    return gguf_writer_set(w, key, GGUF_TYPE_F32, &v, err);
}

axvk_status gguf_writer_set_bool(struct gguf_writer *w, const char *key, bool v, struct err *err)
{
    return gguf_writer_set(w, key, GGUF_TYPE_BOOL, &v, err);
}

axvk_status gguf_writer_set_str(struct gguf_writer *w, const char *key, const char *v,
                                struct err *err)
{
    return gguf_writer_set(w, key, GGUF_TYPE_STR, &v, err);
}

axvk_status gguf_writer_set_arr(struct gguf_writer *w, const char *key, uint32_t type,
                                const void *values, uint64_t n, struct err *err)
{
    unsigned bytes = gguf_scalar_bytes(type);
    if (!bytes)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "key %s: %s arrays need another call",
                       key, gguf_type_name(type));
    /* bool is one byte in the file but sizeof(bool) in memory */
    size_t stride = type == GGUF_TYPE_BOOL ? sizeof(bool) : bytes;
    struct buf b = {0};
    buf_put_le(&b, type, 4);
    buf_put_le(&b, n, 8);
    for (uint64_t i = 0; i < n && !b.oom; i++)
        put_scalar(&b, type, (const uint8_t *)values + i * stride);
    return put_kv(w, key, GGUF_TYPE_ARR, &b, err);
}

axvk_status gguf_writer_set_arr_str(struct gguf_writer *w, const char *key,
                                    const char *const *strs, const uint64_t *lens, uint64_t n,
                                    struct err *err)
{
    struct buf b = {0};
    buf_put_le(&b, GGUF_TYPE_STR, 4);
    buf_put_le(&b, n, 8);
    for (uint64_t i = 0; i < n && !b.oom; i++)
        buf_put_str(&b, strs[i], lens ? lens[i] : strlen(strs[i]));
    return put_kv(w, key, GGUF_TYPE_ARR, &b, err);
}

axvk_status gguf_writer_copy_key(struct gguf_writer *w, const struct gguf *g, const char *key,
                                 struct err *err)
{
    int64_t i = kvset_find(&g->meta, key);
    if (i < 0)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "missing key %s", key);
    const struct gguf_kv *kv = &g->meta.kv[i];
    /* the parser left kv->data just past the length (strings) or type + count (arrays) */
    const uint8_t *start = kv->data;
    uint64_t size = gguf_scalar_bytes(kv->type);
    if (kv->type == GGUF_TYPE_STR) {
        start -= 8;
        size = 8 + kv->n;
    } else if (kv->type == GGUF_TYPE_ARR) {
        start -= 12;
        if (kv->arr_type != GGUF_TYPE_STR)
            size = 12 + kv->n * gguf_scalar_bytes(kv->arr_type);
        else if (kv->n == 0)
            size = 12;
        else /* up to the end of the last string */
            size = 12 + kv->str_off[kv->n - 1] + 8 +
                   gguf_load_le(kv->data + kv->str_off[kv->n - 1], 8);
    }
    struct buf b = {0};
    buf_put(&b, start, (size_t)size);
    return put_kv(w, key, kv->type, &b, err);
}

/* Validates a tensor as the reader will (name unique, type known, rows whole blocks, sizes
 * without overflow) and reserves its slot; the caller sets the data source and commits it. */
static axvk_status add_tensor(struct gguf_writer *w, const char *name, uint32_t type,
                              uint32_t n_dims, const uint64_t *ne, struct wtensor *out,
                              struct err *err)
{
    memset(out, 0, sizeof *out);
    if (!name || !name[0])
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "empty tensor name");
    for (size_t i = 0; i < w->n_tensors; i++)
        if (strcmp(w->tensors[i].name, name) == 0)
            return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "duplicate tensor name %s", name);
    const struct wtype_info *info = wtype_get(type);
    if (!info)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "tensor %s: unknown type %u", name, type);
    if (n_dims < 1 || n_dims > GGUF_MAX_DIMS)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "tensor %s: n_dims %u", name, n_dims);
    out->rows = 1;
    for (uint32_t d = 0; d < GGUF_MAX_DIMS; d++) {
        out->ne[d] = d < n_dims ? ne[d] : 1;
        if (out->ne[d] == 0 || (d > 0 && out->rows > UINT64_MAX / out->ne[d]))
            return err_set(err, AXVK_ERR_INVALID_ARGUMENT, "tensor %s: bad dimension %u", name,
                           d);
        if (d > 0)
            out->rows *= out->ne[d];
    }
    out->row_bytes = wtype_row_bytes(type, out->ne[0]);
    if (out->row_bytes == 0 || out->rows > UINT64_MAX / out->row_bytes)
        return err_set(err, AXVK_ERR_INVALID_ARGUMENT,
                       "tensor %s: row length %" PRIu64 " does not fit type %s", name, out->ne[0],
                       info->name);
    out->size = out->row_bytes * out->rows;
    out->type = type;
    out->n_dims = n_dims;
    out->name = mem_strdup(name);
    if (!out->name ||
        mem_grow((void **)&w->tensors, &w->tensor_cap, w->n_tensors + 1, sizeof *w->tensors)) {
        mem_free(out->name);
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "tensor %s: out of memory", name);
    }
    return AXVK_OK;
}

axvk_status gguf_writer_add_tensor(struct gguf_writer *w, const char *name, uint32_t type,
                                   uint32_t n_dims, const uint64_t *ne, const void *data,
                                   struct err *err)
{
    struct wtensor t;
    axvk_status s = add_tensor(w, name, type, n_dims, ne, &t, err);
    if (s != AXVK_OK)
        return s;
    t.data = data;
    w->tensors[w->n_tensors++] = t;
    return AXVK_OK;
}

axvk_status gguf_writer_add_tensor_fn(struct gguf_writer *w, const char *name, uint32_t type,
                                      uint32_t n_dims, const uint64_t *ne, gguf_fill_fn fill,
                                      void *user, struct err *err)
{
    struct wtensor t;
    axvk_status s = add_tensor(w, name, type, n_dims, ne, &t, err);
    if (s != AXVK_OK)
        return s;
    t.fill = fill;
    t.user = user;
    w->tensors[w->n_tensors++] = t;
    return AXVK_OK;
}

static axvk_status write_bytes(FILE *f, const void *p, uint64_t n, struct err *err)
{
    if (n && fwrite(p, 1, (size_t)n, f) != n)
        return err_set(err, AXVK_ERR_IO, "writing GGUF: %s", strerror(errno));
    return AXVK_OK;
}

static axvk_status write_padding(FILE *f, uint64_t pos, uint32_t align, struct err *err)
{
    static const uint8_t zeros[256];
    uint64_t pad = (align - pos % align) % align;
    axvk_status s = AXVK_OK;
    while (pad && s == AXVK_OK) {
        uint64_t n = pad < sizeof zeros ? pad : sizeof zeros;
        s = write_bytes(f, zeros, n, err);
        pad -= n;
    }
    return s;
}

/* Caller bytes in one write, or the callback's rows a chunk at a time through one buffer. */
static axvk_status write_tensor_data(const struct wtensor *t, FILE *f, struct err *err)
{
    if (!t->fill)
        return write_bytes(f, t->data, t->size, err);
    uint64_t chunk = FILL_CHUNK_BYTES / t->row_bytes;
    if (chunk == 0)
        chunk = 1;
    if (chunk > t->rows)
        chunk = t->rows;
    uint8_t *buf = mem_alloc((size_t)(chunk * t->row_bytes));
    if (!buf)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "tensor %s: out of memory", t->name);
    axvk_status s = AXVK_OK;
    for (uint64_t row = 0; row < t->rows && s == AXVK_OK; row += chunk) {
        uint64_t n = t->rows - row < chunk ? t->rows - row : chunk;
        s = t->fill(t->user, buf, row, n, err);
        if (s == AXVK_OK)
            s = write_bytes(f, buf, n * t->row_bytes, err);
        else
            err_wrap(err, "tensor %s", t->name);
    }
    mem_free(buf);
    return s;
}

axvk_status gguf_writer_write(struct gguf_writer *w, FILE *f, struct err *err)
{
    /* header, metadata and tensor infos are small: encode them in memory first */
    struct buf b = {0};
    buf_put(&b, "GGUF", 4);
    buf_put_le(&b, 3, 4); /* version */
    buf_put_le(&b, w->n_tensors, 8);
    buf_put_le(&b, w->n_kv, 8);
    /* key: string name, u32 type, value as encoded by the setters */
    for (size_t i = 0; i < w->n_kv; i++) {
        buf_put_str(&b, w->kv[i].key, strlen(w->kv[i].key));
        buf_put_le(&b, w->kv[i].type, 4);
        buf_put(&b, w->kv[i].payload, w->kv[i].size);
    }
    /* tensor info: string name, u32 n_dims, u64 ne[n_dims], u32 type, u64 offset; offsets are
     * laid out now, in order, each rounded up to the alignment */
    uint64_t offset = 0;
    for (size_t i = 0; i < w->n_tensors; i++) {
        struct wtensor *t = &w->tensors[i];
        offset = (offset + w->alignment - 1) / w->alignment * w->alignment;
        t->offset = offset;
        offset += t->size;
        buf_put_str(&b, t->name, strlen(t->name));
        buf_put_le(&b, t->n_dims, 4);
        for (uint32_t d = 0; d < t->n_dims; d++)
            buf_put_le(&b, t->ne[d], 8);
        buf_put_le(&b, t->type, 4);
        buf_put_le(&b, t->offset, 8);
    }
    axvk_status s = b.oom ? err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "GGUF header: out of memory")
                          : write_bytes(f, b.p, b.n, err);
    /* the data section, and the padding before it, exist only when there are tensors */
    if (s == AXVK_OK && w->n_tensors)
        s = write_padding(f, b.n, w->alignment, err);
    uint64_t pos = 0; /* in the data section */
    for (size_t i = 0; i < w->n_tensors && s == AXVK_OK; i++) {
        const struct wtensor *t = &w->tensors[i];
        s = write_padding(f, pos, w->alignment, err);
        if (s == AXVK_OK)
            s = write_tensor_data(t, f, err);
        pos = t->offset + t->size;
    }
    /* the last tensor is padded too, as gguf-py and llama.cpp write files */
    if (s == AXVK_OK && w->n_tensors)
        s = write_padding(f, pos, w->alignment, err);
    if (s == AXVK_OK && fflush(f) != 0)
        s = err_set(err, AXVK_ERR_IO, "writing GGUF: %s", strerror(errno));
    mem_free(b.p);
    return s;
}

axvk_status gguf_writer_write_file(struct gguf_writer *w, const char *path, struct err *err)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return err_set(err, AXVK_ERR_IO, "%s: %s", path, strerror(errno));
    axvk_status s = gguf_writer_write(w, f, err);
    if (fclose(f) != 0 && s == AXVK_OK)
        s = err_set(err, AXVK_ERR_IO, "%s: %s", path, strerror(errno));
    if (s != AXVK_OK) {
        remove(path);
        err_wrap(err, "%s", path);
    }
    return s;
}
