# Tokenizer fuzzer: any bytes encode and round-trip, any ids decode (streamed and whole).
# Included from tests/fuzz/CMakeLists.txt; axvk_text is instrumented for coverage.
if(NOT DEFINED fuzz_sanitizers)
  set(fuzz_sanitizers -fsanitize=address,undefined -fno-sanitize-recover=undefined
      -fno-omit-frame-pointer)
endif()
if(NOT DEFINED AXVK_FUZZ_SECONDS)
  set(AXVK_FUZZ_SECONDS 20)
endif()
target_compile_options(axvk_text PRIVATE -fsanitize=fuzzer-no-link ${fuzz_sanitizers})

add_executable(fuzz_tokenizer ${CMAKE_CURRENT_LIST_DIR}/fuzz_tokenizer.c)
target_compile_options(fuzz_tokenizer PRIVATE -fsanitize=fuzzer ${fuzz_sanitizers})
target_link_options(fuzz_tokenizer PRIVATE -fsanitize=fuzzer ${fuzz_sanitizers})
target_link_libraries(fuzz_tokenizer PRIVATE axvk_text)
target_compile_definitions(fuzz_tokenizer PRIVATE AXVK_SHARED_DIR="${AXVK_SHARED_DIR}")
set(tokenizer_corpus ${CMAKE_CURRENT_BINARY_DIR}/corpus_tokenizer)
file(MAKE_DIRECTORY ${tokenizer_corpus})
add_test(NAME fuzz_tokenizer
         COMMAND fuzz_tokenizer -max_total_time=${AXVK_FUZZ_SECONDS} -rss_limit_mb=2048
                 -dict=${CMAKE_CURRENT_LIST_DIR}/tokenizer.dict ${tokenizer_corpus})
set_tests_properties(fuzz_tokenizer PROPERTIES LABELS fuzz TIMEOUT 300)
