# Server request fuzzer: any bytes as a chat, completion, tokenize, detokenize or apply-template
# body parse to a request or an OpenAI error. Included from tests/fuzz/CMakeLists.txt; the request
# and reply code (axvk_server_json) is instrumented for coverage here.
target_compile_options(axvk_server_json PRIVATE -fsanitize=fuzzer-no-link ${fuzz_sanitizers})

# seeds: one valid body per endpoint; the first byte modulo 5 picks it: A chat, B completion,
# C tokenize, D detokenize, E apply-template
set(request_seeds ${CMAKE_CURRENT_BINARY_DIR}/seeds_request)
file(MAKE_DIRECTORY ${request_seeds})
file(WRITE ${request_seeds}/chat "A{\"model\":\"ax\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"안녕\"}]}],\"temperature\":0.7,\"top_p\":0.9,\"top_k\":40,\"min_p\":0.05,\"max_tokens\":16,\"stop\":[\"\\n\",\"</s>\"],\"seed\":42,\"stream\":true,\"stream_options\":{\"include_usage\":true},\"logprobs\":true,\"top_logprobs\":3,\"presence_penalty\":0.5,\"frequency_penalty\":0.1,\"repeat_penalty\":1.1,\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}")
file(WRITE ${request_seeds}/completion "B{\"prompt\":[[1,2,3]],\"max_completion_tokens\":4,\"logprobs\":2,\"stop\":\"x\",\"n\":1}")
file(WRITE ${request_seeds}/tokenize "C{\"content\":\"a<|im_end|>\",\"parse_special\":false,\"with_pieces\":true}")
file(WRITE ${request_seeds}/detokenize "D{\"tokens\":[27583,1739]}")
file(WRITE ${request_seeds}/template "E{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
axvk_fuzzer(request axvk_server_json ${request_seeds})
