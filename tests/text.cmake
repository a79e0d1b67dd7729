axvk_test(test_tokenizer SOURCES test_tokenizer.c test_tokenizer_files.c LIBS axvk_text)
