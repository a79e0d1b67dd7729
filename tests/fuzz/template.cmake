# Chat template fuzzer: arbitrary bytes parse (or fail cleanly) and render a fixed conversation.
# Included from tests/fuzz/CMakeLists.txt; axvk_text is instrumented for coverage. Seeds are the
# shipped templates, taken from ../shared at configure time.
if(NOT DEFINED fuzz_sanitizers)
  set(fuzz_sanitizers -fsanitize=address,undefined -fno-sanitize-recover=undefined
      -fno-omit-frame-pointer)
endif()
if(NOT DEFINED AXVK_FUZZ_SECONDS)
  set(AXVK_FUZZ_SECONDS 20)
endif()
target_compile_options(axvk_text PRIVATE -fsanitize=fuzzer-no-link ${fuzz_sanitizers})

add_executable(fuzz_template ${CMAKE_CURRENT_LIST_DIR}/fuzz_template.c)
target_compile_options(fuzz_template PRIVATE -fsanitize=fuzzer ${fuzz_sanitizers})
target_link_options(fuzz_template PRIVATE -fsanitize=fuzzer ${fuzz_sanitizers})
target_link_libraries(fuzz_template PRIVATE axvk_text)

set(template_seeds ${CMAKE_CURRENT_BINARY_DIR}/seeds_template)
file(MAKE_DIRECTORY ${template_seeds})
foreach(model ax-4.0-light qwen2.5)
  set(config_file ${AXVK_SHARED_DIR}/models/${model}/tokenizer_config.json)
  if(EXISTS ${config_file})
    file(READ ${config_file} config)
    string(JSON template ERROR_VARIABLE json_error GET "${config}" chat_template)
    if(NOT json_error)
      file(WRITE ${template_seeds}/${model}.jinja "${template}")
    endif()
  endif()
endforeach()
set(template_corpus ${CMAKE_CURRENT_BINARY_DIR}/corpus_template)
file(MAKE_DIRECTORY ${template_corpus})
add_test(NAME fuzz_template
         COMMAND fuzz_template -max_total_time=${AXVK_FUZZ_SECONDS} -rss_limit_mb=2048
                 -dict=${CMAKE_CURRENT_LIST_DIR}/template.dict ${template_corpus} ${template_seeds})
set_tests_properties(fuzz_template PROPERTIES LABELS fuzz TIMEOUT 300)
