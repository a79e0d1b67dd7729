# tools/: the axvk program run as a child process. test_cli: tokenize and template (no GPU);
# test_cli_gpu: chat and run on a tiny synthetic model with the A.X tokenizer.
axvk_test(test_cli SOURCES test_cli.c cli_test.c LIBS PkgConfig::CJSON)
axvk_test(test_cli_gpu SOURCES test_cli_gpu.c cli_test.c LIBS PkgConfig::CJSON GPU)
foreach(t test_cli test_cli_gpu)
  target_compile_definitions(${t} PRIVATE AXVK_BIN="$<TARGET_FILE:axvk>")
  add_dependencies(${t} axvk)
endforeach()

# The full-size check: `axvk run` on A.X 4.0 Light's shapes (7.3 B parameters, Q4_K_M,
# 4.1 GiB made on the device) prints its tokens/s. About 40 s and 4.5 GB of RAM on lavapipe, so
# only in the plain build; a machine whose memory cannot hold it skips it.
if(NOT AXVK_SANITIZE AND NOT AXVK_FUZZ)
  add_test(NAME cli_run_ax4_light COMMAND axvk run --synthetic ax4-light:q4_k_m -c 256 -n 3
           -p "Hello")
  set_tests_properties(cli_run_ax4_light PROPERTIES LABELS gpu ENVIRONMENT "AXVK_VALIDATION=1"
                       PASS_REGULAR_EXPRESSION "generation: 3 tokens, [0-9.]+ tokens/s"
                       FAIL_REGULAR_EXPRESSION "VUID-|[Vv]alidation [Ee]rror"
                       SKIP_REGULAR_EXPRESSION "out of device memory|no Vulkan device" TIMEOUT 600)
endif()
