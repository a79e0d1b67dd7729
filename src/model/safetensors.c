/* safetensors: parsing and validation of one .safetensors image, and the set of tensors that
 * one or more images make up. Directory and index handling is hf_dir.c's; this file never
 * interprets tensor names. */
#include "model/safetensors.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/alloc.h"
#include "base/mapfile.h"
#include "base/wtype.h"
#include "model/name_index.h"

#define MAX_FILES 100000

struct st_set {
    struct st_tensor *tensors;
    uint64_t n;
    size_t cap;
    struct name_index index;
    struct mapfile *maps; /* files opened from disk; memory images are not listed */
    size_t n_maps, maps_cap;
    uint32_t n_files;
};

struct dtype {
    const char *name;
    uint32_t type;
    uint32_t bytes;
};

static const struct dtype dtypes[] = {
    {"F32", WTYPE_F32, 4},
    {"F16", WTYPE_F16, 2},
    {"BF16", WTYPE_BF16, 2},
};

/* Valid safetensors dtypes that axvk does not load: refused as unsupported, not malformed. */
static const char *const other_dtypes[] = {
    "F64", "I64", "I32", "I16", "I8", "U8", "U16", "U32", "U64", "BOOL",
    "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64",
};

/* A JSON number that is a non-negative integer exactly representable in a double. */
static bool json_uint(const cJSON *item, uint64_t *out)
{
    if (!cJSON_IsNumber(item))
        return false;
    double d = item->valuedouble;
    if (!(d >= 0 && d <= 9007199254740992.0) || d != floor(d))
        return false;
    *out = (uint64_t)d;
    return true;
}

static void format_shape(char *buf, size_t size, const uint64_t *shape, uint32_t n_dims)
{
    size_t used = (size_t)snprintf(buf, size, "[");
    for (uint32_t d = 0; d < n_dims && used < size; d++)
        used += (size_t)snprintf(buf + used, size - used, "%s%" PRIu64, d ? ", " : "", shape[d]);
    if (used < size)
        snprintf(buf + used, size - used, "]");
}

static axvk_status parse_dtype(const cJSON *item, const char *name, const struct dtype **out,
                               struct err *err)
{
    if (!cJSON_IsString(item))
        return err_set(err, AXVK_ERR_BAD_FILE, "tensor %s: dtype missing or not a string", name);
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (strcmp(item->valuestring, dtypes[i].name) == 0) {
            *out = &dtypes[i];
            return AXVK_OK;
        }
    for (size_t i = 0; i < sizeof other_dtypes / sizeof other_dtypes[0]; i++)
        if (strcmp(item->valuestring, other_dtypes[i]) == 0)
            return err_set(err, AXVK_ERR_UNSUPPORTED,
                           "tensor %s: dtype %s not supported (F32, F16 and BF16 only)", name,
                           item->valuestring);
    return err_set(err, AXVK_ERR_BAD_FILE, "tensor %s: unknown dtype \"%.32s\"", name,
                   item->valuestring);
}

/* One header entry -> *t (name not yet set); data located in [data, data + data_size). */
static axvk_status parse_entry(const cJSON *entry, const char *name, const uint8_t *data,
                               uint64_t data_size, struct st_tensor *t, uint64_t *begin,
                               struct err *err)
{
    if (!cJSON_IsObject(entry))
        return err_set(err, AXVK_ERR_BAD_FILE, "tensor %s: entry is not a JSON object", name);
    const struct dtype *dt = NULL;
    axvk_status s = parse_dtype(cJSON_GetObjectItemCaseSensitive(entry, "dtype"), name, &dt, err);
    if (s != AXVK_OK)
        return s;
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(entry, "shape");
    if (!cJSON_IsArray(shape))
        return err_set(err, AXVK_ERR_BAD_FILE, "tensor %s: shape missing or not an array", name);
    int n_dims = cJSON_GetArraySize(shape);
    if (n_dims > ST_MAX_DIMS)
        return err_set(err, AXVK_ERR_BAD_FILE, "tensor %s: %d dimensions (at most %d)", name,
                       n_dims, ST_MAX_DIMS);
    t->type = dt->type;
    t->n_dims = (uint32_t)n_dims;
    /* bytes = product of dims x element size, every step checked */
    uint64_t bytes = dt->bytes;
    bool overflow = false;
    int d = 0;
    for (const cJSON *dim = shape->child; dim; dim = dim->next, d++) {
        if (!json_uint(dim, &t->shape[d]))
            return err_set(err, AXVK_ERR_BAD_FILE,
                           "tensor %s: shape[%d] is not a non-negative integer", name, d);
        if (t->shape[d] && bytes > UINT64_MAX / t->shape[d])
            overflow = true;
        else
            bytes *= t->shape[d];
    }
    /* [rows, cols] in the file is ne = {cols, rows} in GGUF terms */
    for (d = 0; d < ST_MAX_DIMS; d++)
        t->ne[d] = d < n_dims ? t->shape[n_dims - 1 - d] : 1;
    const cJSON *offsets = cJSON_GetObjectItemCaseSensitive(entry, "data_offsets");
    uint64_t end;
    if (!cJSON_IsArray(offsets) || cJSON_GetArraySize(offsets) != 2 ||
        !json_uint(offsets->child, begin) || !json_uint(offsets->child->next, &end))
        return err_set(err, AXVK_ERR_BAD_FILE,
                       "tensor %s: data_offsets is not a pair of non-negative integers", name);
    if (end < *begin)
        return err_set(err, AXVK_ERR_BAD_FILE,
                       "tensor %s: data_offsets end %" PRIu64 " before begin %" PRIu64, name, end,
                       *begin);
    if (end > data_size)
        return err_set(err, AXVK_ERR_BAD_FILE,
                       "tensor %s: data_offsets [%" PRIu64 ", %" PRIu64
                       "] past end of data (size %" PRIu64 ")",
                       name, *begin, end, data_size);
    char dims[128];
    format_shape(dims, sizeof dims, t->shape, t->n_dims);
    if (overflow)
        return err_set(err, AXVK_ERR_BAD_FILE, "tensor %s: shape %s overflows", name, dims);
    if (bytes != end - *begin)
        return err_set(err, AXVK_ERR_BAD_FILE,
                       "tensor %s: %s %s is %" PRIu64 " bytes but data_offsets span %" PRIu64,
                       name, dt->name, dims, bytes, end - *begin);
    t->size = bytes;
    t->data = data + *begin;
    return AXVK_OK;
}

struct span {
    uint64_t begin, size, tensor;
};

static int span_cmp(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin;
}

/* Tensors [first, set->n) at their `begins`: no two may share a byte. */
static axvk_status check_overlaps(const struct st_set *set, uint64_t first, const uint64_t *begins,
                                  struct err *err)
{
    uint64_t n = set->n - first;
    if (n < 2)
        return AXVK_OK;
    struct span *spans = mem_calloc((size_t)n, sizeof *spans);
    if (!spans)
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "tensor table: out of memory");
    for (uint64_t i = 0; i < n; i++)
        spans[i] = (struct span){begins[i], set->tensors[first + i].size, first + i};
    qsort(spans, (size_t)n, sizeof *spans, span_cmp);
    axvk_status s = AXVK_OK;
    const struct span *prev = NULL;
    for (uint64_t i = 0; i < n && s == AXVK_OK; i++) {
        const struct span *cur = &spans[i];
        if (cur->size == 0)
            continue; /* empty tensors hold no bytes */
        if (prev && prev->begin + prev->size > cur->begin)
            s = err_set(err, AXVK_ERR_BAD_FILE,
                        "tensors %s and %s overlap (data_offsets [%" PRIu64 ", %" PRIu64
                        "] and [%" PRIu64 ", %" PRIu64 "])",
                        set->tensors[prev->tensor].name, set->tensors[cur->tensor].name,
                        prev->begin, prev->begin + prev->size, cur->begin, cur->begin + cur->size);
        prev = cur;
    }
    mem_free(spans);
    return s;
}

static axvk_status parse_entries(struct st_set *set, const cJSON *root, const uint8_t *data,
                                 uint64_t data_size, struct err *err)
{
    uint64_t first = set->n;
    uint64_t *begins = NULL;
    size_t begins_cap = 0;
    axvk_status s = AXVK_OK;
    for (const cJSON *e = root->child; e && s == AXVK_OK; e = e->next) {
        const char *name = e->string;
        if (strcmp(name, "__metadata__") == 0) {
            if (!cJSON_IsObject(e))
                s = err_set(err, AXVK_ERR_BAD_FILE, "__metadata__ is not a JSON object");
            continue;
        }
        if (!name[0]) {
            s = err_set(err, AXVK_ERR_BAD_FILE, "empty tensor name");
            break;
        }
        uint64_t i = set->n - first;
        if (mem_grow((void **)&set->tensors, &set->cap, (size_t)set->n + 1, sizeof *set->tensors) ||
            mem_grow((void **)&begins, &begins_cap, (size_t)i + 1, sizeof *begins)) {
            s = err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "tensor table: out of memory");
            break;
        }
        struct st_tensor *t = &set->tensors[set->n];
        memset(t, 0, sizeof *t);
        s = parse_entry(e, name, data, data_size, t, &begins[i], err);
        if (s != AXVK_OK)
            break;
        t->file = set->n_files;
        t->name = mem_strdup(name);
        if (!t->name) {
            s = err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "tensor %s: out of memory", name);
            break;
        }
        set->n++;
    }
    if (s == AXVK_OK)
        s = check_overlaps(set, first, begins, err);
    mem_free(begins);
    return s;
}

/* Parses one image and appends its tensors; `p` must outlive the set. */
static axvk_status add_image(struct st_set *set, const uint8_t *p, uint64_t size, struct err *err)
{
    if (set->n_files >= MAX_FILES)
        return err_set(err, AXVK_ERR_BAD_FILE, "more than %d safetensors files", MAX_FILES);
    if (size < 8)
        return err_set(err, AXVK_ERR_BAD_FILE,
                       "file too small for a safetensors header (%" PRIu64 " bytes)", size);
    uint64_t n = 0; /* header length, little-endian */
    for (int i = 0; i < 8; i++)
        n |= (uint64_t)p[i] << (8 * i);
    if (n > size - 8)
        return err_set(err, AXVK_ERR_BAD_FILE,
                       "header length %" PRIu64 " larger than the file (%" PRIu64
                       " bytes after the length)",
                       n, size - 8);
    if (n > ST_MAX_HEADER)
        return err_set(err, AXVK_ERR_BAD_FILE,
                       "header length %" PRIu64 " above the limit of %u bytes", n, ST_MAX_HEADER);
    /* the JSON is not NUL-terminated in the file: parse with its length */
    const char *json = (const char *)p + 8;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, (size_t)n, &end, 0);
    axvk_status s = AXVK_OK;
    if (!root) {
        s = err_set(err, AXVK_ERR_BAD_FILE,
                    "header is not valid JSON (error near byte %zu of %" PRIu64 ")",
                    end && end >= json ? (size_t)(end - json) : (size_t)0, n);
        goto done;
    }
    /* writers pad the header with spaces to align the data section */
    for (const char *q = end; q < json + n; q++)
        if (*q != ' ' && *q != '\t' && *q != '\n' && *q != '\r') {
            s = err_set(err, AXVK_ERR_BAD_FILE,
                        "header has bytes after its JSON object (at byte %zu)",
                        (size_t)(q - json));
            goto done;
        }
    if (!cJSON_IsObject(root)) {
        s = err_set(err, AXVK_ERR_BAD_FILE, "header is not a JSON object");
        goto done;
    }
    s = parse_entries(set, root, p + 8 + n, size - 8 - n, err);
    if (s == AXVK_OK)
        set->n_files++;
done:
    cJSON_Delete(root);
    return s;
}

axvk_status st_set_create(struct st_set **out, struct err *err)
{
    *out = mem_calloc(1, sizeof **out);
    return *out ? AXVK_OK : err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "safetensors: out of memory");
}

void st_close(struct st_set *set)
{
    if (!set)
        return;
    for (uint64_t i = 0; i < set->n; i++)
        mem_free((void *)set->tensors[i].name);
    mem_free(set->tensors);
    name_index_free(&set->index);
    for (size_t i = 0; i < set->n_maps; i++)
        mapfile_close(&set->maps[i]);
    mem_free(set->maps);
    mem_free(set);
}

axvk_status st_set_add_file(struct st_set *set, const char *path, struct err *err)
{
    if (mem_grow((void **)&set->maps, &set->maps_cap, set->n_maps + 1, sizeof *set->maps))
        return err_set(err, AXVK_ERR_OUT_OF_HOST_MEMORY, "%s: out of memory", path);
    struct mapfile *map = &set->maps[set->n_maps];
    axvk_status s = mapfile_open(map, path, err);
    if (s != AXVK_OK)
        return s;
    set->n_maps++; /* unmapped by st_close from here */
    s = add_image(set, map->data, map->size, err);
    if (s != AXVK_OK)
        err_wrap(err, "%s", path);
    return s;
}

axvk_status st_set_finish(struct st_set *set, struct err *err)
{
    uint64_t dup = 0;
    axvk_status s = name_index_build(&set->index, set->tensors, sizeof *set->tensors, set->n, &dup);
    if (s == AXVK_ERR_BAD_FILE)
        return err_set(err, s, "duplicate tensor name %s", set->tensors[dup].name);
    if (s != AXVK_OK)
        return err_set(err, s, "tensor index: out of memory");
    return AXVK_OK;
}

axvk_status st_open_file(struct st_set **out, const char *path, struct err *err)
{
    struct st_set *set = NULL;
    axvk_status s = st_set_create(&set, err);
    if (s == AXVK_OK)
        s = st_set_add_file(set, path, err);
    if (s == AXVK_OK && (s = st_set_finish(set, err)) != AXVK_OK)
        err_wrap(err, "%s", path);
    if (s != AXVK_OK) {
        st_close(set);
        set = NULL;
    }
    *out = set;
    return s;
}

axvk_status st_open_memory(struct st_set **out, const void *data, size_t size, struct err *err)
{
    struct st_set *set = NULL;
    axvk_status s = st_set_create(&set, err);
    if (s == AXVK_OK)
        s = add_image(set, data, size, err);
    if (s == AXVK_OK)
        s = st_set_finish(set, err);
    if (s != AXVK_OK) {
        st_close(set);
        set = NULL;
    }
    *out = set;
    return s;
}

uint64_t st_n_tensors(const struct st_set *set)
{
    return set->n;
}

const struct st_tensor *st_tensor_at(const struct st_set *set, uint64_t i)
{
    return i < set->n ? &set->tensors[i] : NULL;
}

const struct st_tensor *st_find(const struct st_set *set, const char *name)
{
    int64_t i = name_index_find(&set->index, set->tensors, sizeof *set->tensors, name);
    return i < 0 ? NULL : &set->tensors[i];
}

uint32_t st_n_files(const struct st_set *set)
{
    return set->n_files;
}
