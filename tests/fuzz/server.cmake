# Server request fuzzer: any bytes as a chat, completion, tokenize, detokenize or apply-template
# body parse to a request or an OpenAI error. Included from tests/fuzz/CMakeLists.txt; the request
# and reply code (axvk_server_json) is instrumented for coverage. Seeds are written here.
if(NOT DEFINED fuzz_sanitizers)
  set(fuzz_sanitizers -fsanitize=address,undefined -fno-sanitize-recover=undefined
      -fno-omit-frame-pointer)
endif()
if(NOT DEFINED AXVK_FUZZ_SECONDS)
  set(AXVK_FUZZ_SECONDS 20)
endif()
target_compile_options(axvk_server_json PRIVATE -fsanitize=fuzzer-no-link ${fuzz_sanitizers})

add_executable(fuzz_request ${CMAKE_CURRENT_LIST_DIR}/fuzz_request.c)
target_compile_options(fuzz_request PRIVATE -fsanitize=fuzzer ${fuzz_sanitizers})
target_link_options(fuzz_request PRIVATE -fsanitize=fuzzer ${fuzz_sanitizers})
target_link_libraries(fuzz_request PRIVATE axvk_server_json)

# seeds: one valid body per endpoint; the first byte modulo 5 picks it: A chat, B completion,
# C tokenize, D detokenize, E apply-template
set(request_seeds ${CMAKE_CURRENT_BINARY_DIR}/seeds_request)
file(MAKE_DIRECTORY ${request_seeds})
file(WRITE ${request_seeds}/chat "A{\"model\":\"ax\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"안녕\"}]}],\"temperature\":0.7,\"top_p\":0.9,\"top_k\":40,\"min_p\":0.05,\"max_tokens\":16,\"stop\":[\"\\n\",\"</s>\"],\"seed\":42,\"stream\":true,\"stream_options\":{\"include_usage\":true},\"logprobs\":true,\"top_logprobs\":3,\"presence_penalty\":0.5,\"frequency_penalty\":0.1,\"repeat_penalty\":1.1,\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}")
file(WRITE ${request_seeds}/completion "B{\"prompt\":[[1,2,3]],\"max_completion_tokens\":4,\"logprobs\":2,\"stop\":\"x\",\"n\":1}")
file(WRITE ${request_seeds}/tokenize "C{\"content\":\"a<|im_end|>\",\"parse_special\":false,\"with_pieces\":true}")
file(WRITE ${request_seeds}/detokenize "D{\"tokens\":[27583,1739]}")
file(WRITE ${request_seeds}/template "E{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
set(request_corpus ${CMAKE_CURRENT_BINARY_DIR}/corpus_request)
file(MAKE_DIRECTORY ${request_corpus})
add_test(NAME fuzz_request
         COMMAND fuzz_request -max_total_time=${AXVK_FUZZ_SECONDS} -rss_limit_mb=2048
                 -dict=${CMAKE_CURRENT_LIST_DIR}/request.dict ${request_corpus} ${request_seeds})
set_tests_properties(fuzz_request PROPERTIES LABELS fuzz TIMEOUT 300)
