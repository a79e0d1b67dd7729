# src/ref: the CPU reference every GPU kernel and the whole model are checked against.
axvk_test(test_ref_quant SOURCES test_ref_quant.c LIBS axvk_ref)
axvk_test(test_ref_ops SOURCES test_ref_ops.c LIBS axvk_ref)
if(TARGET axvk_model)
  axvk_test(test_ref_dequant SOURCES test_ref_dequant.c dequant_vectors.c
            LIBS axvk_ref axvk_model)
endif()
if(TARGET axvk_model)
  axvk_test(test_ref_forward SOURCES test_ref_forward.c LIBS axvk_ref axvk_model)
endif()
