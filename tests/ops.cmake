# Element-wise and small GPU ops and GPU sampling against src/ref; each executable runs a second
# time with the optional device features turned off (_fallback).
foreach(t test_kernels_ops test_kernels_sample)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${t}.c)
    axvk_test(${t} SOURCES ${t}.c gpu_test.c LIBS axvk_kernels axvk_ref GPU)
    add_test(NAME ${t}_fallback COMMAND ${t})
    set_tests_properties(${t}_fallback PROPERTIES LABELS gpu SKIP_RETURN_CODE 77 ENVIRONMENT
                         "AXVK_VALIDATION=1;AXVK_DISABLE=fp16,intdot,coopmat,subgroup-size-control")
  endif()
endforeach()
