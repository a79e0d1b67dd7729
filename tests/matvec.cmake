# Decode-path weight kernels (matvec, get_rows) against src/ref, and the GPU dequantizer against
# llama.cpp's values. Run twice: as the device is, and with every optional feature disabled.
axvk_test(test_kernels_matvec SOURCES test_kernels_matvec.c gpu_test.c weights_test.c dequant_vectors.c
          LIBS axvk_kernels axvk_ref axvk_model GPU)
add_test(NAME test_kernels_matvec_fallback COMMAND test_kernels_matvec)
set_tests_properties(test_kernels_matvec_fallback PROPERTIES LABELS gpu SKIP_RETURN_CODE 77
                     ENVIRONMENT "AXVK_VALIDATION=1;AXVK_DISABLE=fp16,intdot,coopmat,subgroup-size-control")

# The fused gate/up/SwiGLU product (matvec with w_up) against src/ref, same two runs.
axvk_test(test_kernels_matvec_glu SOURCES test_kernels_matvec_glu.c gpu_test.c weights_test.c
          LIBS axvk_kernels axvk_ref GPU)
add_test(NAME test_kernels_matvec_glu_fallback COMMAND test_kernels_matvec_glu)
set_tests_properties(test_kernels_matvec_glu_fallback PROPERTIES LABELS gpu SKIP_RETURN_CODE 77
                     ENVIRONMENT "AXVK_VALIDATION=1;AXVK_DISABLE=fp16,intdot,coopmat,subgroup-size-control")
