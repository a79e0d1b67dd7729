# src/model: GGUF and safetensors readers, the GGUF writer, hyper-parameters.
axvk_test(test_gguf SOURCES test_gguf.c LIBS axvk_model)
axvk_test(test_gguf_write SOURCES test_gguf_write.c test_gguf_fixture.c LIBS axvk_model)
axvk_test(test_gguf_corrupt SOURCES test_gguf_corrupt.c test_gguf_fixture.c LIBS axvk_model)
axvk_test(test_safetensors SOURCES test_safetensors.c test_gguf_fixture.c LIBS axvk_model)
axvk_test(test_hparams SOURCES test_hparams.c test_gguf_fixture.c LIBS axvk_model)
if(AXVK_FUZZ)
  add_subdirectory(fuzz)
endif()
