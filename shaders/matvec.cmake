# Decode-path weight kernels, one variant per GGUF weight type: matvec_<type> (y = W x + bias +
# residual for 1..8 activation columns), matvec_glu_<type> (silu(gate x) * (up x), the decode
# feed-forward's first half in one dispatch) and get_rows_<type> (embedding lookup / dequantizer).
# All decode through dequant.glsl.
foreach(wtype f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1 q4_k q5_k q6_k)
  string(TOUPPER ${wtype} wtype_upper)
  axvk_shader(matvec_${wtype} matvec.comp DEFINES DQ_TYPE_${wtype_upper}=1)
  axvk_shader(matvec_glu_${wtype} matvec.comp DEFINES DQ_TYPE_${wtype_upper}=1 MATVEC_GLU=1)
  axvk_shader(get_rows_${wtype} get_rows.comp DEFINES DQ_TYPE_${wtype_upper}=1)
endforeach()
