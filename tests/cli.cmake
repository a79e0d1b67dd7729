# tools/: the axvk program run as a child process. test_cli: tokenize and template (no GPU);
# test_cli_gpu: chat and run on a tiny synthetic model with the A.X tokenizer.
axvk_test(test_cli SOURCES test_cli.c cli_test.c LIBS PkgConfig::CJSON)
axvk_test(test_cli_gpu SOURCES test_cli_gpu.c cli_test.c LIBS PkgConfig::CJSON GPU)
foreach(t test_cli test_cli_gpu)
  target_compile_definitions(${t} PRIVATE AXVK_BIN="$<TARGET_FILE:axvk>")
  add_dependencies(${t} axvk)
endforeach()
