# Tokenizer fuzzer: any bytes encode and round-trip, any ids decode (streamed and whole).
# Included from tests/fuzz/CMakeLists.txt, which instruments axvk_text for coverage.
axvk_fuzzer(tokenizer axvk_text)
target_compile_definitions(fuzz_tokenizer PRIVATE AXVK_SHARED_DIR="${AXVK_SHARED_DIR}")
