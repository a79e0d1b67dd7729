/* gguf_kv: typed access to GGUF metadata that the parser has already validated.
 * Never reads past what gguf.c checked; never changes the parsed file. */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "base/alloc.h"
#include "model/gguf_impl.h"

static const char *const type_names[GGUF_TYPE_COUNT] = {
    "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64",
};

const char *gguf_type_name(uint32_t type)
{
    return type < GGUF_TYPE_COUNT ? type_names[type] : "?";
}

/* One integer element: signed types are sign-extended into *s, unsigned kept in *u. */
static bool load_int(uint32_t type, const uint8_t *p, int64_t *s, uint64_t *u, bool *is_signed)
{
    *is_signed = false;
    switch (type) {
    case GGUF_TYPE_U8:
    case GGUF_TYPE_BOOL: *u = p[0]; return true;
    case GGUF_TYPE_U16: *u = gguf_load_le(p, 2); return true;
    case GGUF_TYPE_U32: *u = gguf_load_le(p, 4); return true;
    case GGUF_TYPE_U64: *u = gguf_load_le(p, 8); return true;
    case GGUF_TYPE_I8: *s = (int8_t)p[0]; break;
    case GGUF_TYPE_I16: *s = (int16_t)(uint16_t)gguf_load_le(p, 2); break;
    case GGUF_TYPE_I32: *s = (int32_t)(uint32_t)gguf_load_le(p, 4); break;
    case GGUF_TYPE_I64: *s = (int64_t)gguf_load_le(p, 8); break;
    default: return false;
    }
    *is_signed = true;
    return true;
}

static bool load_float(uint32_t type, const uint8_t *p, double *out)
{
    if (type == GGUF_TYPE_F32) {
        uint32_t bits = (uint32_t)gguf_load_le(p, 4);
        float f;
        memcpy(&f, &bits, 4);
        *out = f;
        return true;
    }
    if (type == GGUF_TYPE_F64) {
        uint64_t bits = gguf_load_le(p, 8);
        memcpy(out, &bits, 8);
        return true;
    }
    return false;
}

bool gguf_kv_to_i64(const struct gguf_kv *kv, int64_t *out)
{
    int64_t s;
    uint64_t u;
    bool is_signed;
    if (!load_int(kv->type, kv->data, &s, &u, &is_signed))
        return false;
    if (!is_signed) {
        if (u > INT64_MAX)
            return false;
        s = (int64_t)u;
    }
    *out = s;
    return true;
}

bool gguf_kv_to_u64(const struct gguf_kv *kv, uint64_t *out)
{
    int64_t s;
    uint64_t u;
    bool is_signed;
    if (!load_int(kv->type, kv->data, &s, &u, &is_signed))
        return false;
    if (is_signed) {
        if (s < 0)
            return false;
        u = (uint64_t)s;
    }
    *out = u;
    return true;
}

int64_t kvset_find(const struct kvset *set, const char *key)
{
    return name_index_find(&set->index, set->kv, sizeof *set->kv, key);
}

uint64_t gguf_n_keys(const struct gguf *g)
{
    return g->meta.n;
}

const char *gguf_key_at(const struct gguf *g, uint64_t i)
{
    return i < g->meta.n ? g->meta.kv[i].key : NULL;
}

bool gguf_has_key(const struct gguf *g, const char *key)
{
    return kvset_find(&g->meta, key) >= 0;
}

uint32_t gguf_key_type(const struct gguf *g, const char *key)
{
    int64_t i = kvset_find(&g->meta, key);
    return i < 0 ? GGUF_TYPE_COUNT : g->meta.kv[i].type;
}

/* The value of `key`, or NULL after recording why it is missing. */
static const struct gguf_kv *get_kv(const struct gguf *g, const char *key, struct err *err)
{
    int64_t i = kvset_find(&g->meta, key);
    if (i < 0) {
        err_set(err, AXVK_ERR_BAD_MODEL, "missing key %s", key);
        return NULL;
    }
    return &g->meta.kv[i];
}

static axvk_status wrong_type(const struct gguf_kv *kv, const char *want, struct err *err)
{
    return err_set(err, AXVK_ERR_BAD_MODEL, "key %s: %s value where %s expected", kv->key,
                   gguf_type_name(kv->type), want);
}

/* Integer getters share one range check over [lo, hi]. */
static axvk_status get_int(const struct gguf *g, const char *key, int64_t lo, uint64_t hi,
                           int64_t *s, uint64_t *u, struct err *err)
{
    const struct gguf_kv *kv = get_kv(g, key, err);
    if (!kv)
        return AXVK_ERR_BAD_MODEL;
    bool is_signed;
    if (!load_int(kv->type, kv->data, s, u, &is_signed))
        return wrong_type(kv, "an integer", err);
    if (is_signed && *s >= 0) {
        *u = (uint64_t)*s;
        is_signed = false;
    }
    if (is_signed ? *s < lo : *u > hi)
        return err_set(err, AXVK_ERR_BAD_MODEL, "key %s: value %s%" PRIu64 " out of range", key,
                       is_signed ? "-" : "", is_signed ? 0 - (uint64_t)*s : *u);
    if (!is_signed)
        *s = (int64_t)(*u <= INT64_MAX ? *u : 0);
    return AXVK_OK;
}

axvk_status gguf_get_u32(const struct gguf *g, const char *key, uint32_t *out, struct err *err)
{
    int64_t s;
    uint64_t u;
    axvk_status st = get_int(g, key, 0, UINT32_MAX, &s, &u, err);
    if (st == AXVK_OK)
        *out = (uint32_t)u;
    return st;
}

axvk_status gguf_get_i32(const struct gguf *g, const char *key, int32_t *out, struct err *err)
{
    int64_t s;
    uint64_t u;
    axvk_status st = get_int(g, key, INT32_MIN, INT32_MAX, &s, &u, err);
    if (st == AXVK_OK)
        *out = (int32_t)s;
    return st;
}

axvk_status gguf_get_u64(const struct gguf *g, const char *key, uint64_t *out, struct err *err)
{
    int64_t s;
    uint64_t u;
    axvk_status st = get_int(g, key, 0, UINT64_MAX, &s, &u, err);
    if (st == AXVK_OK)
        *out = u;
    return st;
}

axvk_status gguf_get_i64(const struct gguf *g, const char *key, int64_t *out, struct err *err)
{
    int64_t s;
    uint64_t u;
    axvk_status st = get_int(g, key, INT64_MIN, INT64_MAX, &s, &u, err);
    if (st == AXVK_OK)
        *out = s;
    return st;
}

axvk_status gguf_get_f64(const struct gguf *g, const char *key, double *out, struct err *err)
{
    const struct gguf_kv *kv = get_kv(g, key, err);
    if (!kv)
        return AXVK_ERR_BAD_MODEL;
    double d;
    int64_t s;
    uint64_t u;
    bool is_signed;
    if (load_float(kv->type, kv->data, &d))
        *out = d;
    else if (kv->type != GGUF_TYPE_BOOL && load_int(kv->type, kv->data, &s, &u, &is_signed))
        *out = is_signed ? (double)s : (double)u;
    else
        return wrong_type(kv, "a number", err);
    return AXVK_OK;
}

axvk_status gguf_get_f32(const struct gguf *g, const char *key, float *out, struct err *err)
{
    double d = 0;
    axvk_status st = gguf_get_f64(g, key, &d, err);
    if (st != AXVK_OK)
        return st;
    /* a finite f64 beyond float range would silently become infinity */
    if (isfinite(d) && fabs(d) > 3.4028234663852886e38)
        return err_set(err, AXVK_ERR_BAD_MODEL, "key %s: value %g out of float range", key, d);
    *out = (float)d;
    return AXVK_OK;
}

axvk_status gguf_get_bool(const struct gguf *g, const char *key, bool *out, struct err *err)
{
    const struct gguf_kv *kv = get_kv(g, key, err);
    if (!kv)
        return AXVK_ERR_BAD_MODEL;
    if (kv->type != GGUF_TYPE_BOOL)
        return wrong_type(kv, "a bool", err);
    *out = kv->data[0] != 0;
    return AXVK_OK;
}

axvk_status gguf_get_str(const struct gguf *g, const char *key, const char **out, size_t *len,
                         struct err *err)
{
    const struct gguf_kv *kv = get_kv(g, key, err);
    if (!kv)
        return AXVK_ERR_BAD_MODEL;
    if (kv->type != GGUF_TYPE_STR)
        return wrong_type(kv, "a string", err);
    *out = kv->str;
    if (len)
        *len = (size_t)kv->n;
    return AXVK_OK;
}

axvk_status gguf_get_arr(const struct gguf *g, const char *key, struct gguf_arr *out,
                         struct err *err)
{
    const struct gguf_kv *kv = get_kv(g, key, err);
    if (!kv)
        return AXVK_ERR_BAD_MODEL;
    if (kv->type != GGUF_TYPE_ARR)
        return wrong_type(kv, "an array", err);
    out->type = kv->arr_type;
    out->n = kv->n;
    out->data = kv->data;
    out->str_off = kv->str_off;
    return AXVK_OK;
}

bool gguf_arr_str(const struct gguf_arr *a, uint64_t i, const char **ptr, uint64_t *len)
{
    if (a->type != GGUF_TYPE_STR || i >= a->n || !a->str_off)
        return false;
    const uint8_t *p = a->data + a->str_off[i];
    *len = gguf_load_le(p, 8);
    *ptr = (const char *)p + 8;
    return true;
}

bool gguf_arr_int(const struct gguf_arr *a, uint64_t i, int64_t *out)
{
    unsigned bytes = gguf_scalar_bytes(a->type);
    if (i >= a->n || !bytes)
        return false;
    struct gguf_kv kv = {.type = a->type, .data = a->data + i * bytes};
    return gguf_kv_to_i64(&kv, out);
}

bool gguf_arr_f64(const struct gguf_arr *a, uint64_t i, double *out)
{
    unsigned bytes = gguf_scalar_bytes(a->type);
    if (i >= a->n || !bytes)
        return false;
    return load_float(a->type, a->data + i * bytes, out);
}
