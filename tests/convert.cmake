# src/model/convert: Hugging Face directories and GGUF files to GGUF (test_convert: what the files
# hold, on the CPU; test_convert_gpu: the same models run on the device), and the embedding example.
axvk_test(test_convert SOURCES test_convert.c hf_fixture.c gpu_test.c LIBS axvk_api)
axvk_test(test_convert_gpu SOURCES test_convert_gpu.c hf_fixture.c gpu_test.c model_test.c
         LIBS axvk_api GPU)

# The embedding example on a tiny synthetic model that `axvk mkmodel` writes first.
add_test(NAME example_model COMMAND axvk mkmodel -o ${CMAKE_CURRENT_BINARY_DIR}/example.gguf --seed 3)
set_tests_properties(example_model PROPERTIES FIXTURES_SETUP example_model)
add_test(NAME axvk_example COMMAND axvk-example ${CMAKE_CURRENT_BINARY_DIR}/example.gguf "hello")
set_tests_properties(axvk_example PROPERTIES FIXTURES_REQUIRED example_model LABELS gpu
                     SKIP_RETURN_CODE 77 ENVIRONMENT "AXVK_VALIDATION=1")
