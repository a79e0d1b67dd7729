/* test_chat_template_units: one small template per construct (statements, loop variables,
 * namespaces, macros, slicing, operators, filters, tests, methods, whitespace control), each
 * expected value taken from Python jinja2 with transformers' settings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "test_chat_template.h"

static void test_literals_print_as_python(void **state)
{
    (void)state;
    tmpl_expect("{{ [1,'a',\"b'\",none,true,1.5,{'k':[1]}] }}", "[1, 'a', \"b'\", None, True, 1.5, {'k': [1]}]");
}

int chat_template_unit_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literals_print_as_python),
    };
    return cmocka_run_group_tests_name("chat_template_units", tests, NULL, NULL);
}
