# src/model: GGUF and safetensors readers, the GGUF writer, hyper-parameters.
axvk_test(test_gguf SOURCES test_gguf.c LIBS axvk_model)
