/* test_tokenizer: the two halves of the test_tokenizer executable. */
#ifndef AXVK_TEST_TOKENIZER_H
#define AXVK_TEST_TOKENIZER_H

/* Synthetic and malformed tokenizer files; returns the number of failed tests. */
int tokenizer_file_tests(void);

#endif
