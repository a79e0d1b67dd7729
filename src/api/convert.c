/* api/convert: axvk_convert — argument checks and the type name, then model/convert does the
 * work. No device, no context: failures go to axvk_errmsg(NULL). */
#include "api/internal.h"
#include "model/convert.h"
#include "model/quant_mix.h"

axvk_status axvk_convert(const axvk_convert_desc *desc, const char *src, const char *out_path)
{
    static const axvk_convert_desc defaults = {0};
    struct err err = {0};
    if (!src || !out_path) {
        err_set(&err, AXVK_ERR_INVALID_ARGUMENT, "convert: source and output paths are required");
        return api_fail_global(&err);
    }
    if (!desc)
        desc = &defaults;
    const char *type = desc->type ? desc->type : "f16";
    struct convert_opts o = {.scheme = quant_scheme_from_name(type), .name = desc->name,
                             .pre = desc->pre, .progress = desc->progress,
                             .progress_user = desc->progress_user};
    if (o.scheme < 0) {
        err_set(&err, AXVK_ERR_INVALID_ARGUMENT,
                "unknown weight type \"%s\" (f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1 q4_k_s q4_k_m "
                "q5_k_s q5_k_m q6_k)", type);
        return api_fail_global(&err);
    }
    axvk_status s = convert_to_gguf(src, out_path, &o, &err);
    return s ? api_fail_global(&err) : AXVK_OK;
}
