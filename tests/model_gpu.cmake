# Whole models on the GPU against llama.cpp's tokens and the reference forward pass.
axvk_test(test_model SOURCES test_model.c model_test.c gpu_test.c LIBS axvk_api GPU)
set_tests_properties(test_model PROPERTIES TIMEOUT 900)
