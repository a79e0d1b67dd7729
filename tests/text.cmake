axvk_test(test_tokenizer SOURCES test_tokenizer.c test_tokenizer_files.c LIBS axvk_text)
axvk_test(test_chat_template SOURCES test_chat_template.c test_chat_template_units.c
          test_chat_template_llama.c LIBS axvk_text)
