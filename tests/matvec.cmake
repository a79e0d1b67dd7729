# Decode-path weight kernels (matvec, get_rows) against src/ref, and the GPU dequantizer against
# llama.cpp's values. Run twice: as the device is, and with every optional feature disabled.
axvk_test(test_kernels_matvec SOURCES test_kernels_matvec.c gpu_test.c dequant_vectors.c
          LIBS axvk_kernels axvk_ref axvk_model GPU)
add_test(NAME test_kernels_matvec_fallback COMMAND test_kernels_matvec)
set_tests_properties(test_kernels_matvec_fallback PROPERTIES LABELS gpu SKIP_RETURN_CODE 77
                     ENVIRONMENT "AXVK_VALIDATION=1;AXVK_DISABLE=fp16,intdot,coopmat,subgroup-size-control")
