axvk_test(test_base SOURCES test_base.c LIBS axvk_base)
