/* test_chat_template_units: one small template per construct (statements, loop variables,
 * namespaces, macros, slicing, operators, filters, tests, methods, whitespace control). Each
 * expected text is what Python jinja2 renders with transformers' settings (trim_blocks,
 * lstrip_blocks, tojson with ensure_ascii=False) for the conversation in test_chat_template.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_chat_template.h"

/* if / elif / else with Python truthiness */
static void test_if_elif_else_picks_one_branch(void **state)
{
    (void)state;
    tmpl_expect("{% if true %}yes{% elif false %}no{% else %}maybe{% endif %}|{% if 0 %}a{% elif '' %}b{% elif [1] %}c{% endif %}|{% if none %}x{% else %}y{% endif %}",
                "yes|c|y");
    tmpl_expect("{% if messages|length > 1 and messages[0].role == 'system' %}sys:{{ messages[0].content }}{% endif %}",
                "sys:Be brief.");
}

/* loop.index, index0, revindex, revindex0, first, last, length, previtem, nextitem, cycle, depth */
static void test_loop_variables_track_position(void **state)
{
    (void)state;
    tmpl_expect("{% for m in messages %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }} {{ m.role }};{% endfor %}",
                "1021TrueFalse2 system;2110FalseTrue2 user;");
    tmpl_expect("{% for x in [10, 20, 30] %}[{{ loop.previtem }}<{{ x }}>{{ loop.nextitem }}]{% endfor %}",
                "[<10>20][10<20>30][20<30>]");
    tmpl_expect("{% for i in range(5) %}{{ loop.cycle('a', 'b', 'c') }}{% endfor %}{% for i in range(2) %}{{ loop.depth }}{{ loop.depth0 }}{% endfor %}",
                "abcab1010");
    tmpl_expect("{% for a in [1, 2] %}{% for b in 'xy' %}{{ loop.index }}{{ b }}{% endfor %}{{ loop.index }}{{ a }}|{% endfor %}",
                "1x2y11|1x2y22|");
}

/* for ... if cond (loop.length counts kept items), {% else %}, break and continue */
static void test_for_filters_breaks_and_falls_back_to_else(void **state)
{
    (void)state;
    tmpl_expect("{% for x in [1, 2, 3, 4] if x > 1 %}{{ loop.index }}/{{ loop.length }}:{{ x }} {% endfor %}",
                "1/3:2 2/3:3 3/3:4 ");
    tmpl_expect("{% for y in [1, 2, 3] if y > 5 %}{{ y }}{% else %}none{% endfor %}|{% for m in [] %}x{% else %}empty{% endfor %}",
                "none|empty");
    tmpl_expect("{% for x in [1, 2, 3, 4, 5] %}{% if x == 2 %}{% continue %}{% endif %}{{ x }}{% if x == 4 %}{% break %}{% endif %}{% endfor %}",
                "134");
}

/* iteration over pairs, dict keys, dict items and characters */
static void test_for_unpacks_pairs_dicts_and_strings(void **state)
{
    (void)state;
    tmpl_expect("{% for a, b in [[1, 2], [3, 4]] %}{{ a }}{{ b }}{% endfor %}|{% for k in {'a': 1, 'b': 2} %}{{ k }}{% endfor %}",
                "1234|ab");
    tmpl_expect("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}{% for k, v in {'x': 1}|items %}{{ k }}{{ v }}{% endfor %}",
                "a=1;b=2;x1");
    tmpl_expect("{% for c in 'héy' %}[{{ c }}]{% endfor %}",
                "[h][é][y]");
}

/* set inside a loop body is local to that iteration, as in jinja2 */
static void test_loop_scope_does_not_leak(void **state)
{
    (void)state;
    tmpl_expect("{% set x = 'outer' %}{% for i in [1, 2, 3] %}{% if i == 1 %}{% set x = i %}{% endif %}{{ x }},{% endfor %}[{{ x }}]",
                "1,outer,outer,[outer]");
    tmpl_expect("{% for i in [1] %}{% set inner = 5 %}{% endfor %}{{ inner is defined }}",
                "False");
}

/* namespace(...) and set ns.attr = ... */
static void test_namespace_carries_state_out_of_loops(void **state)
{
    (void)state;
    tmpl_expect("{% set ns = namespace(found=false, n=0) %}{% for m in messages %}{% if m.role == 'user' %}{% set ns.found = true %}{% endif %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.found }} {{ ns.n }}",
                "True 2");
    tmpl_expect("{% set ns = namespace() %}{% set ns.x = [1] %}{% set ns.x = ns.x + [2] %}{{ ns.x }} {{ ns }}",
                "[1, 2] <Namespace {'x': [1, 2]}>");
    tmpl_expect("{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}{{ ns.c is defined }}",
                "12False");
}

/* set with tuples, the block form, with blocks and filter blocks */
static void test_set_forms(void **state)
{
    (void)state;
    tmpl_expect("{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c %}X{{ a }}{% endset %}[{{ c }}]",
                "12[X1]");
    tmpl_expect("{% set t = (1, 'two') %}{% set x, y = t %}{{ y }}{{ x }}",
                "two1");
    tmpl_expect("{% with a = 5, b = 6 %}{{ a + b }}{% endwith %}{{ a is defined }}|{% filter upper %}abc{{ 'd' }}{% endfilter %}",
                "11False|ABCD");
}

/* macro definitions and calls */
static void test_macros_take_defaults_keywords_and_recurse(void **state)
{
    (void)state;
    tmpl_expect("{% macro m(a, b=a ~ '!') %}[{{ a }}{{ b }}]{% endmacro %}{{ m(1) }}{{ m(1, b=2) }}{{ m(b=3, a=4) }}",
                "[11!][12][43]");
    tmpl_expect("{% macro greet(name, greeting='Hi') -%}{{ greeting }}, {{ name }}!{%- endmacro %}{{ greet('A') }} {{ greet('B', 'Yo') }}",
                "Hi, A! Yo, B!");
    tmpl_expect("{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1)|int }}{% endif %}{% endmacro %}{{ fact(6) }}",
                "720");
    tmpl_expect("{% set x = 1 %}{% macro m() %}{{ x }}{{ undefined_var }}{% endmacro %}{% set x = 2 %}[{{ m() }}]{{ m is callable }}",
                "[2]True");
}

/* macros are closures over the scope they are defined in; set and filter blocks are scopes */
static void test_macros_close_over_their_scope(void **state)
{
    (void)state;
    tmpl_expect("{% for i in [1, 2] %}{% set j = i * 10 %}{% macro m() %}{{ j }}{{ loop.index }}{% endmacro %}{{ m() }}{% endfor %}",
                "101202");
    tmpl_expect("{% macro n(f) %}{{ f() }}{% endmacro %}{% for i in [7] %}{% macro m() %}<{{ i }}>{% endmacro %}{{ n(m) }}{% endfor %}",
                "<7>");
    tmpl_expect("{% macro outer(a) %}{% macro inner() %}{{ a }}{% endmacro %}{{ inner() }}{% endmacro %}{{ outer(5) }}|{% with a = 1 %}{% macro m() %}{{ a }}{% endmacro %}{{ m() }}{% endwith %}",
                "5|1");
    tmpl_expect("{% set v = 1 %}{% set blk %}{% set v = 2 %}{{ v }}{% endset %}{{ blk }}{{ v }}|{% filter upper %}{% set v = 'x' %}{{ v }}{% endfilter %}{{ v }}|{% if true %}{% set q = 3 %}{% endif %}{{ q }}",
                "21|X1|3");
}

/* raw keeps tags verbatim; comments vanish */
static void test_raw_blocks_and_comments_emit_nothing_extra(void **state)
{
    (void)state;
    tmpl_expect("{% raw %}{% if %}{{ x }}{# c #}{% endraw %}|{#- comment -#} x {# another\n"
                "line #}y",
                "{% if %}{{ x }}{# c #}|x y");
    tmpl_expect("{%- raw %} x {% endraw -%} y",
                " x y");
    tmpl_expect("  {% raw %}\n  a\n  {% endraw %}\n  b",
                "\n  a\n  b");
}

/* trim_blocks, lstrip_blocks, -, + and the dropped final newline */
static void test_whitespace_control_matches_hugging_face(void **state)
{
    (void)state;
    tmpl_expect("line1\n    {% if true %}\n    inside\n    {% endif %}\nline2\n",
                "line1\n    inside\nline2");
    tmpl_expect("{% for i in [1, 2] %}\n  {{ i }}\n{% endfor %}\n",
                "  1\n  2\n");
    tmpl_expect("a  {%- if true -%}  b  {%- endif -%}  c|{{ 'x' -}}  \n  {{- 'y' }}",
                "abc|xy");
    tmpl_expect("  {%+ if true %}kept indent{% endif %}\n{% if true +%}\nkept newline{% endif %}",
                "  kept indent\nkept newline");
    tmpl_expect("{{ 'a' }}  {% if true %}b{% endif %}\n  {# c #}\nd\015\ne\n\n",
                "a  bd\ne\n");
}

/* str() of literals and containers */
static void test_values_print_as_python(void **state)
{
    (void)state;
    tmpl_expect("{{ [1, 'a', \"b'\", none, true, 1.5, {'k': [1]}] }}|{{ (1,) }}{{ (1, 2) }}{{ () }}|{{ 1, 2 }}",
                "[1, 'a', \"b'\", None, True, 1.5, {'k': [1]}]|(1,)(1, 2)()|(1, 2)");
    tmpl_expect("{{ [\"it's\", 'say \"x\"', 'both \\' \"', 'tab\\t', 'nl\\n', 'ü', '\\u200b', '\\x7f'] }}",
                "[\"it's\", 'say \"x\"', 'both \\' \"', 'tab\\t', 'nl\\n', 'ü', '\\u200b', '\\x7f']");
    tmpl_expect("{{ 0.1 + 0.2 }} {{ 1e-5 }} {{ 1e16 }} {{ 1.5e15 }} {{ 1/3 }} {{ -0.0 }} {{ 2.0 }} {{ 1e100 }} {{ 123456789.125 }}",
                "0.30000000000000004 1e-05 1e+16 1500000000000000.0 0.3333333333333333 -0.0 2.0 1e+100 123456789.125");
    tmpl_expect("{{ true }} {{ none }} {{ 'x' ~ none ~ false ~ 1.0 }} {{ {1: 'a', 2.5: 'b', true: 'c', none: 'd'} }}",
                "True None xNoneFalse1.0 {1: 'c', 2.5: 'b', None: 'd'}");
}

/* + - * / // % ** with Python signs and types */
static void test_arithmetic_follows_python(void **state)
{
    (void)state;
    tmpl_expect("{{ 10 % 3 }} {{ -10 % 3 }} {{ 10 % -3 }} {{ 5.5 % 2 }} {{ -7.5 % 2 }} {{ -7 // 2 }} {{ 7 // -2 }} {{ -7 // 2.0 }}",
                "1 2 -2 1.5 0.5 -4 -4 -4.0");
    tmpl_expect("{{ 10 / 4 }} {{ 4 / 2 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 2 ** 0.5 }} {{ 2 ** 3 ** 2 }} {{ -2 ** 2 }} {{ -1|abs }}",
                "2.5 2.0 1024 0.5 1.4142135623730951 64 4 1");
    tmpl_expect("{{ 'a' + 'b' }} {{ [1] + [2] }} {{ (1,) + (2,) }} {{ 1.5 + 1 }} {{ true + true }} {{ 'ab' * 3 }} {{ 2 * [0] }} {{ 'a' * -1 }}",
                "ab [1, 2] (1, 2) 2.5 2 ababab [0, 0] ");
    tmpl_expect("{{ 'a' ~ (1 + 2) }} {{ 1 ~ 2 * 3 }} {{ 'n=' ~ [1] }}",
                "a3 16 n=[1]");
}

/* ==, <, chained comparisons, in and not in */
static void test_comparisons_chain_and_test_membership(void **state)
{
    (void)state;
    tmpl_expect("{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 1 == 1.0 }} {{ 1 == true }} {{ (1,) == [1] }} {{ {'a': 1} == {'a': 1.0} }}",
                "True False True True True True False True");
    tmpl_expect("{{ 'a' in 'cat' }} {{ '' in 'x' }} {{ 'x' not in ['x'] }} {{ 1 in {1: 2} }} {{ 'role' in messages[0] }} {{ 'x' in undefined_thing }}",
                "True True False True True False");
}

/* and/or return the deciding operand; not; conditional expressions */
static void test_logic_returns_operands(void **state)
{
    (void)state;
    tmpl_expect("{{ 1 and 2 }} {{ 0 and 2 }} {{ 0 or 'x' }} {{ '' or [] }} {{ none or 0 }} {{ not none }} {{ not [1] }}",
                "2 0 x [] 0 True False");
    tmpl_expect("{{ 'a' if 'b' in 'abc' else 'c' }} {{ (1 if false else 2) + 3 }} [{{ 1 if false }}] {{ 'y' if x is defined else 'n' }}",
                "a 5 [] n");
}

/* slicing with negative indices and steps, strings by code point */
static void test_slices_count_code_points(void **state)
{
    (void)state;
    tmpl_expect("{{ [1, 2, 3][::-1] }} {{ 'abcdef'[1:-1:2] }} {{ [1, 2, 3][5:] }} {{ 'abc'[-10:2] }} {{ (1, 2, 3)[1:] }} {{ [1, 2, 3, 4, 5][-1:0:-2] }}",
                "[3, 2, 1] bd [] ab (2, 3) [5, 3]");
    tmpl_expect("{{ 'héllo'[::-1] }} {{ 'héllo'[1:3] }} {{ 'héllo'[::2] }} {{ '안녕하세요'[-2:] }} {{ messages[1].content[:2] }} {{ 'héllo'|length }}",
                "olléh él hlo 세요 안녕 5");
    tmpl_expect("{{ messages[1:]|length }} {{ messages[-1].role }} {{ 'abc'[1] }} {{ 'héllo'[1] }} {{ 'abc'[-1] }}",
                "1 user b é c");
}

/* attribute and item access never fail by themselves */
static void test_missing_keys_are_undefined_until_used(void **state)
{
    (void)state;
    tmpl_expect("{{ messages[0].nope }}|{{ messages[5] is defined }}|{{ none.foo }}|{{ 3.foo }}|{{ [1][5] }}|{{ 'ab'[7] }}|{{ {}['x'] }}",
                "|False|||||");
    tmpl_expect("{{ messages.0.role }} {{ messages[0]['role'] }} {{ messages[0].role.upper() }} |{{ [1, 2]['a'] }}|{{ messages[0]|attr('role') }}",
                "system system SYSTEM ||");
}

/* trim, upper, lower, capitalize, title, replace, indent, wordcount, escape, string, safe */
static void test_string_filters(void **state)
{
    (void)state;
    tmpl_expect("{{ '  x  '|trim }}|{{ 'xxaxx'|trim('x') }}|{{ 'héllo wörld'|upper }}|{{ 'ÀB'|lower }}|{{ 'hELLO wORLD'|capitalize }}",
                "x|a|HÉLLO WÖRLD|àb|Hello world");
    tmpl_expect("{{ 'hello world-foo (bar) [baz] <q> {w}'|title }}|{{ \"they're bill's\"|title }}|{{ 'élan vital'|title }}",
                "Hello World-Foo (Bar) [Baz] <Q> {W}|They're Bill's|Élan Vital");
    tmpl_expect("{{ 'Hello World'|replace('o', '0') }}|{{ 'aaa'|replace('a', 'b', 2) }}|{{ 'abc'|replace('', '-') }}",
                "Hell0 W0rld|bba|-a-b-c-");
    tmpl_expect("{{ 'a\\nb'|indent(2) }}|{{ 'a\\n\\nb'|indent(2, true) }}|{{ 'a\\n\\nb\\n"
                "'|indent(2, true, true) }}|{{ 'a\\nb'|indent('> ') }}",
                "a\n  b|  a\n\n  b|  a\n  \n  b\n  |a\n> b");
    tmpl_expect("{{ 'one two  three'|wordcount }}|{{ '<a href=\"x\">&\\''|e }}|{{ '<b>'|safe }}|{{ 5|string }}|{{ none|string }}",
                "3|&lt;a href=&#34;x&#34;&gt;&amp;&#39;|<b>|5|None");
}

/* length, first, last, join, list, reverse, sort, unique, min, max, sum, dictsort, items */
static void test_sequence_filters(void **state)
{
    (void)state;
    tmpl_expect("{{ messages|length }}{{ 'hé'|count }}{{ {'a': 1}|length }}{{ undefined_thing|length }} {{ 'abc'|first }}{{ 'abc'|last }}{{ [1, 2]|last }}{{ {'a': 1}|first }} [{{ []|first }}]",
                "2210 ac2a []");
    tmpl_expect("{{ ['a', 'b']|join(', ') }} {{ [1, 2]|join }} {{ 'ab'|list }} {{ {'a': 1}|list }} {{ (1, 2)|list }} {{ [1, 2, 3]|reverse|list }} {{ 'héllo'|reverse }}",
                "a, b 12 ['a', 'b'] ['a'] [1, 2] [3, 2, 1] olléh");
    tmpl_expect("{{ [3, 1, 2]|sort }} {{ ['b', 'A', 'a']|sort }} {{ [3, 1, 2]|sort(reverse=true) }} {{ ['b', 'a', 'C']|sort(case_sensitive=true) }} {{ [{'a': 2}, {'a': 1}]|sort(attribute='a') }}",
                "[1, 2, 3] ['A', 'a', 'b'] [3, 2, 1] ['C', 'a', 'b'] [{'a': 1}, {'a': 2}]");
    tmpl_expect("{{ ['b', 'A', 'a']|unique|list }} {{ [1, 2, 2, 3, 1]|unique|list }} {{ [1, 5, 3]|min }} {{ ['a', 'B']|max }} {{ ['a', 'B']|max(case_sensitive=true) }} [{{ []|max }}]",
                "['b', 'A'] [1, 2, 3] 1 B a []");
    tmpl_expect("{{ [1, 2, 3]|sum }} {{ [1, 2, 3]|sum(start=10) }} {{ [1.5, 2]|sum }} {{ [{'v': 1}, {'v': 2}]|sum(attribute='v') }}",
                "6 16 3.5 3");
    tmpl_expect("{{ {'b': 1, 'a': 2}|dictsort }} {{ {'b': 1, 'a': 2}|dictsort(by='value') }} {{ {'b': 1, 'A': 2, 'a': 3}|dictsort(reverse=true) }} {{ {'b': 1, 'a': 2}|items|list }}",
                "[('a', 2), ('b', 1)] [('b', 1), ('a', 2)] [('b', 1), ('A', 2), ('a', 3)] [('b', 1), ('a', 2)]");
}

/* map, select, reject, selectattr, rejectattr */
static void test_map_and_select_filters(void **state)
{
    (void)state;
    tmpl_expect("{{ messages|map(attribute='role')|join(',') }} {{ ['a', 'b']|map('upper')|list }} {{ [1, 2]|map('string')|join('+') }} {{ ['a', 'b']|map('replace', 'a', 'x')|list }}",
                "system,user ['A', 'B'] 1+2 ['x', 'b']");
    tmpl_expect("{{ [{'a': {'b': 5}}]|map(attribute='a.b')|list }} {{ [{'a': 1}, {}]|map(attribute='a', default=0)|list }} {{ [[1, 2], [3]]|map('length')|list }}",
                "[5] [1, 0] [2, 1]");
    tmpl_expect("{{ [1, 2, 3, 4]|select('odd')|list }} {{ [1, 0, 2]|select|list }} {{ [1, 2, 3]|reject('equalto', 2)|list }}",
                "[1, 3] [1, 2] [1, 3]");
    tmpl_expect("{{ messages|selectattr('role', 'equalto', 'user')|map(attribute='content')|first }} {{ messages|rejectattr('role', 'eq', 'user')|list|length }} {{ [{'x': 1}, {}]|selectattr('x', 'defined')|list }}",
                "안녕 \"hi\" 1 [{'x': 1}]");
}

/* default / d, with and without boolean */
static void test_default_filter(void **state)
{
    (void)state;
    tmpl_expect("{{ x|default('d') }} {{ ''|default('d') }} {{ ''|default('d', true) }} {{ none|default('d') }} {{ x|d('e') }} [{{ x|default }}] {{ 0|d(5, boolean=true) }}",
                "d  d None e [] 5");
}

/* int, float, abs, round */
static void test_number_filters(void **state)
{
    (void)state;
    tmpl_expect("{{ 3|float }} {{ '3.7'|int }} {{ 'x'|int }} {{ 3.7|int }} {{ '  12 '|int }} {{ '1_000'|int }} {{ 'ff'|int(base=16) }} {{ 'x'|int(5) }} {{ '1e3'|float }} {{ 'abc'|float }} {{ none|int }} {{ true|int }}",
                "3.0 3 0 3 12 1000 255 5 1000.0 0.0 0 1");
    tmpl_expect("{{ 2.5|round }} {{ 3.5|round }} {{ 2.567|round(2) }} {{ -2.5|round }} {{ 2.5|round(0, 'floor') }} {{ 7|round }} {{ 2.675|round(2) }} {{ 7|round(1, 'ceil') }} {{ -3|abs }} {{ -2.5|abs }}",
                "2.0 4.0 2.57 -2.0 2.0 7 2.67 7.0 3 2.5");
}

/* transformers' tojson: separators, unicode kept, escapes, indent, sort_keys */
static void test_tojson_matches_python_json_dumps(void **state)
{
    (void)state;
    tmpl_expect("{{ {'a': 'é\"\\n\\u0001\\x7f\\\\', 'b': [1, 2.0, true, none, {}], 'c': {'d': []}}|tojson }}",
                "{\"a\": \"é\\\"\\n\\u0001\177\\\\\", \"b\": [1, 2.0, true, null, {}], \"c\": {\"d\": []}}");
    tmpl_expect("{{ messages|tojson }} {{ 'a/b<&>'|tojson }} {{ \"\\u2028한\\t\"|tojson }} {{ '😀é'|tojson(ensure_ascii=true) }} {{ 0.1|tojson }} {{ 1e100|tojson }}",
                "[{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"안녕 \\\"hi\\\"\"}] \"a/b<&>\" \" 한\\t\" \"\\ud83d\\ude00\\u00e9\" 0.1 1e+100");
    tmpl_expect("{{ {'a': [1, {'b': []}], 'c': {}}|tojson(indent=2) }}|{{ [1, [2]]|tojson(indent='--') }}|{{ {'x': 1}|tojson(indent=0) }}",
                "{\n  \"a\": [\n    1,\n    {\n      \"b\": []\n    }\n  ],\n  \"c\": {}\n"
                "}|[\n--1,\n--[\n----2\n--]\n]|{\n\"x\": 1\n}");
    tmpl_expect("{{ {'b': 1, 'a': 2}|tojson(sort_keys=true) }} {{ {'a': [1, 2]}|tojson(separators=(',', ':')) }} {{ {1: 'a', 2.5: 'b', none: 'c', true: 'd'}|tojson }} {{ (1, 'x')|tojson }}",
                "{\"a\": 2, \"b\": 1} {\"a\":[1,2]} {\"1\": \"d\", \"2.5\": \"b\", \"null\": \"c\"} [1, \"x\"]");
}

/* defined, none, string, mapping, iterable, number, sequence, boolean and friends */
static void test_is_tests(void **state)
{
    (void)state;
    tmpl_expect("{{ x is defined }}{{ x is undefined }}{{ none is none }}{{ 1 is none }}{{ [] is not none }}{{ x is not defined }}{{ not x is defined }}",
                "FalseTrueTrueFalseTrueTrueTrue");
    tmpl_expect("{{ 'a' is string }}{{ 1 is string }}{{ {} is mapping }}{{ [] is mapping }}{{ 'a' is iterable }}{{ 1 is iterable }}{{ none is iterable }}{{ x is iterable }}",
                "TrueFalseTrueFalseTrueFalseFalseTrue");
    tmpl_expect("{{ 1 is number }}{{ 1.5 is number }}{{ true is number }}{{ '1' is number }}{{ 1 is integer }}{{ true is integer }}{{ 1.0 is float }}{{ true is boolean }}{{ 1 is boolean }}{{ false is false }}{{ true is true }}",
                "TrueTrueTrueFalseTrueFalseTrueTrueFalseTrueTrue");
    tmpl_expect("{{ [] is sequence }}{{ 'a' is sequence }}{{ {} is sequence }}{{ 1 is sequence }}{{ range is callable }}{{ 1 is callable }}",
                "TrueTrueTrueFalseTrueFalse");
    tmpl_expect("{{ 4 is even }}{{ 3 is odd }}{{ 10 is divisibleby 5 }}{{ 10 is divisibleby(3) }}{{ 1 is eq 1 }}{{ 1 is ne 2 }}{{ 2 is gt 1 }}{{ 1 is lt 2 }}{{ 2 is ge 2 }}{{ 1 is le 0 }}{{ 'x' is in 'xyz' }}{{ 'a' is lower }}{{ 'aB' is upper }}",
                "TrueTrueTrueFalseTrueTrueTrueTrueTrueFalseTrueTrueFalse");
}

/* strip/lstrip/rstrip with chars, split, rsplit, startswith, endswith, case, replace, find, count, join */
static void test_string_methods(void **state)
{
    (void)state;
    tmpl_expect("{{ messages[0].content.strip('.') }}|{{ '  x\\n'.rstrip() }}|{{ '\\nxx'.lstrip('\\n"
                "') }}|{{ 'abcba'.strip('ab') }}|{{ '<think>x</think>\\n\\nanswer'.split('</think>')[-1].lstrip('\\n"
                "') }}",
                "Be brief|  x|xx|c|answer");
    tmpl_expect("{{ 'a.b.c'.split('.') }} {{ 'a b\\tc\\n'.split() }} {{ ''.split() }} {{ '  a  b '.split(' ') }} {{ 'a b c'.split(none, 1) }} {{ '  a b  c  '.rsplit(none, 1) }} {{ 'a,b,,c'.rsplit(',', 2) }}",
                "['a', 'b', 'c'] ['a', 'b', 'c'] [] ['', '', 'a', '', 'b', ''] ['a', 'b c'] ['  a b', 'c'] ['a,b', '', 'c']");
    tmpl_expect("{{ 'Hello'.startswith(('x', 'H')) }} {{ 'abc'.endswith('bc') }} {{ 'abc'.upper() }} {{ 'ABC'.lower() }} {{ 'hello world'.title() }} {{ 'hELLO'.capitalize() }}",
                "True True ABC abc Hello World Hello");
    tmpl_expect("{{ 'abcabc'.replace('b', 'X', 1) }} {{ 'héllo'.find('l') }} {{ 'abc'.find('z') }} {{ 'aXbXc'.count('X') }} {{ '-'.join(['a', 'b']) }} {{ '12'.isdigit() }} {{ 'a\\n"
                "b'.splitlines() }}",
                "aXcabc 2 -1 2 a-b True ['a', 'b']");
}

/* items, keys, values, get */
static void test_dict_methods(void **state)
{
    (void)state;
    tmpl_expect("{{ {'a': 1}.get('a') }} {{ {'a': 1}.get('b') }} {{ {'a': 1}.get('b', 'z') }} {{ {'a': 1, 'b': 2}.keys()|list }} {{ {'a': 1, 'b': 2}.values()|list }} {{ {'a': 1}.items()|list }}",
                "1 None z ['a', 'b'] [1, 2] [('a', 1)]");
}

/* range, dict, namespace, and which globals exist */
static void test_global_functions(void **state)
{
    (void)state;
    tmpl_expect("{{ range(3)|list }} {{ range(1, 5, 2)|list }} {{ range(5, 0, -2)|list }} {{ range(0)|list }} {{ dict(a=1, b=2) }} {{ namespace is defined }} {{ strftime_now is defined }} {{ raise_exception is defined }}",
                "[0, 1, 2] [1, 3] [5, 3, 1] [] {'a': 1, 'b': 2} True True True");
    tmpl_expect("{{ add_generation_prompt }} [{{ bos_token }}] {{ eos_token }} {{ tools }} {{ documents }}",
                "True [] <|im_end|> None None");
}

/* Python escapes inside template string literals */
static void test_string_literal_escapes(void **state)
{
    (void)state;
    tmpl_expect("{{ 'a\\tb\\u00e9\\x41\\101\\q' }} {{ 'ab' \"cd\" }} {{ \"a\\\"b\" }}{{ 'a\\'b' }}{{ 'a\\\\b' }} {{ '\\U0001F600' }}",
                "a\tbéAA\\q abcd a\"ba'ba\\b 😀");
    tmpl_expect("{{ 'line1\\\nline2' }}",
                "line1line2");
}

/* jinja2's runtime behaviour where Python's and jinja2's own rules meet: float parity, `if value`
 * guards in select/map, key lists in sort, slices that fail where [key] gives undefined */
static void test_jinja2_runtime_quirks(void **state)
{
    (void)state;
    tmpl_expect("{{ 2.5 is odd }}{{ 3.0 is odd }}{{ -3 is odd }}{{ 2.5 is even }}|{{ none|select|list }}{{ false|map('string')|list }}{{ ''|reject|list }}",
                "FalseTrueTrueFalse|[][][]");
    tmpl_expect("{{ ['b', 'a']|sort(attribute='missing') }} {{ [{'n': 1}, {}, {'n': 0}]|map(attribute='n')|list }}",
                "['b', 'a'] [1, Undefined, 0]");
    tmpl_expect("{% for m in messages|selectattr('role', 'in', ['user', 'tool']) %}{{ m.role }}{% endfor %}|{{ x is callable }}",
                "user|True");
    tmpl_expect_error("{% set s = messages[0].role %}{{ s[x:] }}", "slice indices must be integers or None");
    tmpl_expect_error("{% set n = none %}{{ n[1:] }}", "'NoneType' object is not subscriptable");
    tmpl_expect_error("{{ messages[0][1:] }}", "unhashable type: 'slice'");
    tmpl_expect_error("{{ nope|int }}", "undefined");
    tmpl_expect_error("{{ 5|indent }}", "expected a string");
}

/* printf-style `%` on strings and the format filter */
static void test_percent_formatting_matches_python(void **state)
{
    (void)state;
    tmpl_expect("{{ '%s' % 1 }}|{{ '%s-%s' % (1, 'a') }}|{{ '%d' % 2.7 }}|{{ '%5d|%-5d|%05d' % (42, 42, -42) }}|{{ '%+d % d' % (3, 3) }}",
                "1|1-a|2|   42|42   |-0042|+3  3");
    tmpl_expect("{{ '%x %X %o %#x %#o %#X' % (255, 255, 8, 255, 8, 255) }}|{{ '%x' % -31 }}|{{ '%.3d' % 7 }}",
                "ff FF 10 0xff 0o10 0XFF|-1f|007");
    tmpl_expect("{{ '%f|%.2f|%10.3f|%-10.1f|%e|%.3E|%g|%G|%#g' % (3.14159, 2.5, 1.0, 2.25, 12345.678, 0.00012, 0.0001, 1e20, 1.5) }}",
                "3.141590|2.50|     1.000|2.2       |1.234568e+04|1.200E-04|0.0001|1E+20|1.50000");
    tmpl_expect("{{ '%s|%r|%a' % ('é', 'é', [1]) }}|{{ '%.2s|%5s|%-5s|' % ('héllo', 'ab', 'ab') }}|{{ '%c%c' % (65, 'é') }}|{{ '%%' % () }}",
                "é|'é'|[1]|hé|   ab|ab   ||Aé|%");
    tmpl_expect("{{ '%(a)s and %(b)05.1f' % {'a': 'x', 'b': 2.25} }}|{{ '%s' % {'a': 1} }}|{{ '%s' % [1, 2] }}|{{ '%*d|%-*d|%.*f' % (5, 1, 4, 2, 2, 3.14159) }}",
                "x and 002.2|{'a': 1}|[1, 2]|    1|2   |3.14");
    tmpl_expect("{{ '%s, %s!'|format('Hello', 'World') }}|{{ '%(x)s'|format(x=5) }}|{{ '%d items'|format(3) }}|{{ '%5.1f%%' % 99.44 }}",
                "Hello, World!|5|3 items| 99.4%");
    tmpl_expect("{{ '%i|%u' % (7, 8) }}|{{ '%s' % none }}|{{ '%s' % (none,) }}|{{ '%r' % \"it's\" }}|{{ '%05s|%-05d' % ('a', 3) }}|{{ '%.0f %.0f' % (0.5, 1.5) }}|{{ '%+.1e' % -0.0 }}",
                "7|8|None|None|\"it's\"|    a|3    |0 2|-0.0e+00");
    tmpl_expect_error("{{ '%s %s' % (1,) }}", "not enough arguments for format string");
    tmpl_expect_error("{{ '%s' % (1, 2) }}", "not all arguments converted");
    tmpl_expect_error("{{ '%x' % 2.5 }}", "an integer is required, not float");
}

int chat_template_unit_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_if_elif_else_picks_one_branch),
        cmocka_unit_test(test_loop_variables_track_position),
        cmocka_unit_test(test_for_filters_breaks_and_falls_back_to_else),
        cmocka_unit_test(test_for_unpacks_pairs_dicts_and_strings),
        cmocka_unit_test(test_loop_scope_does_not_leak),
        cmocka_unit_test(test_namespace_carries_state_out_of_loops),
        cmocka_unit_test(test_set_forms),
        cmocka_unit_test(test_macros_take_defaults_keywords_and_recurse),
        cmocka_unit_test(test_macros_close_over_their_scope),
        cmocka_unit_test(test_raw_blocks_and_comments_emit_nothing_extra),
        cmocka_unit_test(test_whitespace_control_matches_hugging_face),
        cmocka_unit_test(test_values_print_as_python),
        cmocka_unit_test(test_arithmetic_follows_python),
        cmocka_unit_test(test_comparisons_chain_and_test_membership),
        cmocka_unit_test(test_logic_returns_operands),
        cmocka_unit_test(test_slices_count_code_points),
        cmocka_unit_test(test_missing_keys_are_undefined_until_used),
        cmocka_unit_test(test_string_filters),
        cmocka_unit_test(test_sequence_filters),
        cmocka_unit_test(test_map_and_select_filters),
        cmocka_unit_test(test_default_filter),
        cmocka_unit_test(test_number_filters),
        cmocka_unit_test(test_tojson_matches_python_json_dumps),
        cmocka_unit_test(test_is_tests),
        cmocka_unit_test(test_string_methods),
        cmocka_unit_test(test_dict_methods),
        cmocka_unit_test(test_global_functions),
        cmocka_unit_test(test_string_literal_escapes),
        cmocka_unit_test(test_jinja2_runtime_quirks),
        cmocka_unit_test(test_percent_formatting_matches_python),
    };
    return cmocka_run_group_tests_name("chat_template_units", tests, NULL, NULL);
}
