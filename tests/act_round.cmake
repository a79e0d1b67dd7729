# llama.cpp's CPU rounding of activations: the reference against hand-worked values, and the GPU
# kernel against the reference (run twice: as the device is, and with optional features off).
axvk_test(test_ref_act_round SOURCES test_ref_act_round.c LIBS axvk_ref)
axvk_test(test_kernels_act_round SOURCES test_kernels_act_round.c gpu_test.c
          LIBS axvk_kernels axvk_ref GPU)
add_test(NAME test_kernels_act_round_fallback COMMAND test_kernels_act_round)
set_tests_properties(test_kernels_act_round_fallback PROPERTIES LABELS gpu SKIP_RETURN_CODE 77
                     ENVIRONMENT "AXVK_VALIDATION=1;AXVK_DISABLE=fp16,intdot,coopmat,subgroup-size-control")
