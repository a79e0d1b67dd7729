# axvk bench end to end: the built command on a tiny synthetic model, every output format parsed.
axvk_test(test_bench SOURCES test_bench.c LIBS axvk_api PkgConfig::CJSON GPU)
target_compile_definitions(test_bench PRIVATE AXVK_BIN="$<TARGET_FILE:axvk>")
add_dependencies(test_bench axvk)
