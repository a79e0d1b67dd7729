# Attention over the KV cache, one variant per cache type (f16, q8_0):
# attention_decode_<cache> (flash-decoding chunks), attention_combine (merges the chunks),
# attention_prefill_<cache> (causal flash attention of a block of queries).
foreach(cache f16 q8_0)
  string(TOUPPER ${cache} cache_upper)
  axvk_shader(attention_decode_${cache} attention_decode.comp DEFINES CACHE_${cache_upper}=1)
  axvk_shader(attention_prefill_${cache} attention_prefill.comp DEFINES CACHE_${cache_upper}=1)
endforeach()
axvk_shader(attention_combine attention_combine.comp)
