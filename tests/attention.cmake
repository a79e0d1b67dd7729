# Attention kernels (decode, combine, prefill) against the reference; again with every optional
# feature disabled.
axvk_test(test_kernels_attention SOURCES test_kernels_attention.c gpu_test.c
          LIBS axvk_kernels axvk_ref m GPU)
add_test(NAME test_kernels_attention_fallback COMMAND test_kernels_attention)
set_tests_properties(test_kernels_attention_fallback PROPERTIES LABELS gpu SKIP_RETURN_CODE 77
                     ENVIRONMENT "AXVK_VALIDATION=1;AXVK_DISABLE=fp16,intdot,coopmat,subgroup-size-control")
