/* test_server_request: the server's JSON in and out without HTTP or a model — request bodies to
 * validated structs (every field, every form of prompt and stop, every wrong type named in a
 * 400), and the OpenAI response objects (errors, whole answers, chunks, logprobs), including text
 * that holds NUL bytes or pieces of UTF-8 characters. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "server/reply.h"
#include "server/request.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint32_t rand_u32(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

/* Uniform in [lo, hi), never exactly zero, rounded to 1/1024 so JSON text carries it exactly. */
static double rand_num(double lo, double hi)
{
    double v;
    do
        v = floor((lo + (hi - lo) * (rand_u32() / 4294967296.0)) * 1024.0) / 1024.0;
    while (v == 0.0);
    return v;
}

static int parse(const char *body, enum srv_kind kind, struct srv_request *r, struct srv_error *e)
{
    return srv_request_parse(body, strlen(body), kind, r, e);
}

static void test_request_reads_every_field(void **state)
{
    for (int round = 0; round < 20; round++) {
        double temp = rand_num(0, 2), top_p = rand_num(0, 1), min_p = rand_num(0, 1);
        double pres = rand_num(-2, 2), freq = rand_num(-2, 2), rep = rand_num(0.5, 2);
        uint32_t top_k = 1 + rand_u32() % 200, max_tokens = 1 + rand_u32() % 5000;
        uint32_t top_lp = 1 + rand_u32() % AXVK_MAX_LOGPROBS, seed = 1 + rand_u32();
        char body[1024];
        snprintf(body, sizeof body,
                 "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                 "\"temperature\":%.10g,\"top_p\":%.10g,\"min_p\":%.10g,\"top_k\":%u,"
                 "\"presence_penalty\":%.10g,\"frequency_penalty\":%.10g,\"repeat_penalty\":%.10g,"
                 "\"max_tokens\":%u,\"seed\":%u,\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                 "\"logprobs\":true,\"top_logprobs\":%u,\"stop\":[\"a\",\"\",\"</s>\"],\"user\":\"x\"}",
                 temp, top_p, min_p, top_k, pres, freq, rep, max_tokens, seed, top_lp);
        struct srv_request r;
        struct srv_error e;
        assert_int_equal(parse(body, SRV_CHAT, &r, &e), 0);
        assert_float_equal(r.sampling.temperature, temp, 1e-6);
        assert_float_equal(r.sampling.top_p, top_p, 1e-6);
        assert_float_equal(r.sampling.min_p, min_p, 1e-6);
        assert_float_equal(r.sampling.presence_penalty, pres, 1e-6);
        assert_float_equal(r.sampling.frequency_penalty, freq, 1e-6);
        assert_float_equal(r.sampling.repeat_penalty, rep, 1e-6);
        assert_int_equal(r.sampling.top_k, top_k);
        assert_int_equal(r.sampling.seed, seed);
        assert_true(r.has_seed);
        assert_int_equal(r.max_tokens, max_tokens);
        assert_true(r.stream && r.include_usage && r.logprobs);
        assert_int_equal(r.top_logprobs, top_lp);
        assert_int_equal(r.n_stop, 2); /* the empty string is dropped */
        assert_string_equal(r.stop[0], "a");
        assert_string_equal(r.stop[1], "</s>");
        srv_request_free(&r);
    }
}

static void test_request_defaults_follow_llama_server(void **state)
{
    struct srv_request r;
    struct srv_error e;
    assert_int_equal(parse("{\"prompt\":\"x\"}", SRV_COMPLETION, &r, &e), 0);
    assert_float_equal(r.sampling.temperature, 0.8, 1e-6);
    assert_int_equal(r.sampling.top_k, 40);
    assert_float_equal(r.sampling.top_p, 0.95, 1e-6);
    assert_float_equal(r.sampling.min_p, 0.05, 1e-6);
    assert_float_equal(r.sampling.repeat_penalty, 1.0, 0);
    assert_int_equal(r.sampling.penalty_last_n, 64);
    assert_false(r.has_seed || r.stream || r.logprobs || r.max_tokens || r.n_stop);
    srv_request_free(&r);
    /* JSON null is "not given" */
    assert_int_equal(parse("{\"prompt\":\"x\",\"temperature\":null,\"stop\":null}", SRV_COMPLETION,
                           &r, &e), 0);
    assert_float_equal(r.sampling.temperature, 0.8, 1e-6);
    srv_request_free(&r);
}

static void test_request_max_completion_tokens_wins(void **state)
{
    struct srv_request r;
    struct srv_error e;
    assert_int_equal(parse("{\"prompt\":\"x\",\"max_tokens\":7,\"max_completion_tokens\":3}",
                           SRV_COMPLETION, &r, &e), 0);
    assert_int_equal(r.max_tokens, 3);
    srv_request_free(&r);
}

static void test_request_flattens_text_parts(void **state)
{
    struct srv_request r;
    struct srv_error e;
    const char *body = "{\"messages\":[{\"role\":\"system\",\"content\":null},"
                       "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"안녕\"},"
                       "{\"type\":\"text\",\"text\":\"there\"}],\"name\":\"kim\"}],"
                       "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}";
    assert_int_equal(parse(body, SRV_CHAT, &r, &e), 0);
    cJSON *m = cJSON_Parse(r.messages_json);
    assert_int_equal(cJSON_GetArraySize(m), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(m, 0), "content")->valuestring, "");
    cJSON *user = cJSON_GetArrayItem(m, 1);
    assert_string_equal(cJSON_GetObjectItem(user, "content")->valuestring, "안녕\nthere");
    assert_string_equal(cJSON_GetObjectItem(user, "name")->valuestring, "kim");
    cJSON_Delete(m);
    assert_non_null(strstr(r.tools_json, "\"function\""));
    srv_request_free(&r);
}

static void test_request_takes_every_prompt_form(void **state)
{
    struct srv_request r;
    struct srv_error e;
    assert_int_equal(parse("{\"prompt\":\"plain\"}", SRV_COMPLETION, &r, &e), 0);
    assert_string_equal(r.prompt, "plain");
    assert_int_equal(r.prompt_len, 5);
    srv_request_free(&r);
    assert_int_equal(parse("{\"prompt\":[\"one\"]}", SRV_COMPLETION, &r, &e), 0);
    assert_string_equal(r.prompt, "one");
    srv_request_free(&r);
    int32_t want[6];
    char body[256];
    int n = snprintf(body, sizeof body, "{\"prompt\":[[");
    for (int i = 0; i < 6; i++) {
        want[i] = (int32_t)(1 + rand_u32() % 100000);
        n += snprintf(body + n, sizeof body - n, "%s%d", i ? "," : "", want[i]);
    }
    snprintf(body + n, sizeof body - n, "]]}");
    assert_int_equal(parse(body, SRV_COMPLETION, &r, &e), 0);
    assert_int_equal(r.n_prompt_ids, 6);
    assert_memory_equal(r.prompt_ids, want, sizeof want);
    srv_request_free(&r);
    assert_int_equal(parse("{\"prompt\":[5,6]}", SRV_COMPLETION, &r, &e), 0);
    assert_int_equal(r.n_prompt_ids, 2);
    assert_int_equal(r.prompt_ids[1], 6);
    srv_request_free(&r);
}

static void test_request_rejects_bad_fields_by_name(void **state)
{
    static const struct {
        enum srv_kind kind;
        const char *body, *param;
    } cases[] = {
        {SRV_CHAT, "{\"messages\":[]}", "messages"},
        {SRV_CHAT, "{}", "messages"},
        {SRV_CHAT, "{\"messages\":[5]}", "messages"},
        {SRV_CHAT, "{\"messages\":[{\"role\":1,\"content\":\"x\"}]}", "messages"},
        {SRV_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":7}]}", "messages"},
        {SRV_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]}", "messages"},
        {SRV_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":{}}", "tools"},
        {SRV_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"model\":3}", "model"},
        {SRV_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"logprobs\":1}", "logprobs"},
        {SRV_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"top_logprobs\":2}", "top_logprobs"},
        {SRV_COMPLETION, "{\"prompt\":\"x\",\"logprobs\":21}", "logprobs"},
        {SRV_COMPLETION, "{}", "prompt"},
        {SRV_COMPLETION, "{\"prompt\":[]}", "prompt"},
        {SRV_COMPLETION, "{\"prompt\":[\"a\",\"b\"]}", "prompt"},
        {SRV_COMPLETION, "{\"prompt\":[1,-2]}", "prompt"},
        {SRV_COMPLETION, "{\"prompt\":[1,2.5]}", "prompt"},
        {SRV_COMPLETION, "{\"prompt\":\"x\",\"temperature\":\"hot\"}", "temperature"},
        {SRV_COMPLETION, "{\"prompt\":\"x\",\"temperature\":-1}", "temperature"},
        {SRV_COMPLETION, "{\"prompt\":\"x\",\"top_p\":1.5}", "top_p"},
        {SRV_COMPLETION, "{\"prompt\":\"x\",\"top_k\":2.5}", "top_k"},
        {SRV_COMPLETION, "{\"prompt\":\"x\",\"min_p\":true}", "min_p"},
        {SRV_COMPLETION, "{\"prompt\":\"x\",\"presence_penalty\":3}", "presence_penalty"},
        {SRV_COMPLETION, "{\"prompt\":\"x\",\"frequency_penalty\":\"1\"}", "frequency_penalty"},
        {SRV_COMPLETION, "{\"prompt\":\"x\",\"repeat_penalty\":[]}", "repeat_penalty"},
        {SRV_COMPLETION, "{\"prompt\":\"x\",\"seed\":1.5}", "seed"},
        {SRV_COMPLETION, "{\"prompt\":\"x\",\"max_tokens\":0}", "max_tokens"},
        {SRV_COMPLETION, "{\"prompt\":\"x\",\"max_completion_tokens\":-5}", "max_completion_tokens"},
        {SRV_COMPLETION, "{\"prompt\":\"x\",\"n\":2}", "n"},
        {SRV_COMPLETION, "{\"prompt\":\"x\",\"stream\":1}", "stream"},
        {SRV_COMPLETION, "{\"prompt\":\"x\",\"stream_options\":true}", "stream_options"},
        {SRV_COMPLETION, "{\"prompt\":\"x\",\"stream_options\":{\"include_usage\":0}}", "include_usage"},
        {SRV_COMPLETION, "{\"prompt\":\"x\",\"stop\":5}", "stop"},
        {SRV_COMPLETION, "{\"prompt\":\"x\",\"stop\":[\"a\",null]}", "stop"},
        {SRV_COMPLETION, "{\"prompt\":\"x\",\"stop\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\","
                         "\"8\",\"9\",\"10\",\"11\",\"12\",\"13\",\"14\",\"15\",\"16\",\"17\"]}", "stop"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct srv_request r;
        struct srv_error e;
        int rc = parse(cases[i].body, cases[i].kind, &r, &e);
        if (rc != -1 || e.http != 400 || strcmp(e.param, cases[i].param) ||
            strcmp(e.type, "invalid_request_error"))
            fail_msg("%s: rc %d, %d %s param '%s' (want '%s'): %s", cases[i].body, rc, e.http,
                     e.type, e.param, cases[i].param, e.message);
        assert_null(r.messages_json);
        assert_null(r.prompt);
    }
}

static void test_request_rejects_bodies_that_are_not_objects(void **state)
{
    static const char *bodies[] = {"", "{", "[1,2]", "\"text\"", "nul", "{\"a\":1}x"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct srv_request r;
        struct srv_error e;
        assert_int_equal(parse(bodies[i], SRV_CHAT, &r, &e), -1);
        assert_int_equal(e.http, 400);
        assert_string_equal(e.param, "");
    }
    /* the length given is the body: bytes past it are not read */
    struct srv_request r;
    struct srv_error e;
    const char *body = "{\"prompt\":\"x\"}garbage";
    assert_int_equal(srv_request_parse(body, 14, SRV_COMPLETION, &r, &e), 0);
    srv_request_free(&r);
}

static void test_text_bodies_parse(void **state)
{
    struct srv_tokenize t;
    struct srv_error e;
    const char *body = "{\"content\":\"a<|im_end|>\",\"parse_special\":false,\"with_pieces\":true}";
    assert_int_equal(srv_tokenize_parse(body, strlen(body), &t, &e), 0);
    assert_string_equal(t.content, "a<|im_end|>");
    assert_false(t.parse_special);
    assert_true(t.with_pieces);
    srv_tokenize_free(&t);
    assert_int_equal(srv_tokenize_parse("{\"content\":1}", 13, &t, &e), -1);
    assert_string_equal(e.param, "content");

    int32_t *ids;
    size_t n;
    body = "{\"tokens\":[3,1,4,1,5]}";
    assert_int_equal(srv_detokenize_parse(body, strlen(body), &ids, &n, &e), 0);
    assert_int_equal(n, 5);
    assert_int_equal(ids[2], 4);
    free(ids);
    body = "{\"tokens\":[3,\"1\"]}";
    assert_int_equal(srv_detokenize_parse(body, strlen(body), &ids, &n, &e), -1);
    assert_string_equal(e.param, "tokens");

    char *messages, *tools;
    body = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    assert_int_equal(srv_template_parse(body, strlen(body), &messages, &tools, &e), 0);
    assert_string_equal(messages, "[{\"role\":\"user\",\"content\":\"hi\"}]");
    assert_null(tools);
    free(messages);
}

static void test_error_has_openai_shape(void **state)
{
    struct srv_error e;
    srv_error_set(&e, 400, "exceed_context_size_error", NULL, "too long: %d", 4097);
    e.n_prompt_tokens = 4097;
    e.n_ctx = 4096;
    char *json = reply_error(&e);
    cJSON *root = cJSON_Parse(json), *err = cJSON_GetObjectItem(root, "error");
    assert_int_equal(cJSON_GetObjectItem(err, "code")->valueint, 400);
    assert_string_equal(cJSON_GetObjectItem(err, "type")->valuestring, "exceed_context_size_error");
    assert_string_equal(cJSON_GetObjectItem(err, "message")->valuestring, "too long: 4097");
    assert_int_equal(cJSON_GetObjectItem(err, "n_prompt_tokens")->valueint, 4097);
    assert_int_equal(cJSON_GetObjectItem(err, "n_ctx")->valueint, 4096);
    assert_null(cJSON_GetObjectItem(err, "param"));
    cJSON_Delete(root);
    free(json);
}

/* Token pieces for the reply tests: id 1 is "A", id 2 half of "한" (ED 95), id 3 its last byte,
 * any other id a NUL byte then "z". */
static char *piece(void *user, int32_t id, size_t *len)
{
    static const char *const text[] = {"", "A", "\xed\x95", "\x9c"};
    const char *p = id >= 1 && id <= 3 ? text[id] : "\0z";
    *len = id >= 1 && id <= 3 ? strlen(p) : 2;
    char *out = malloc(*len + 1);
    memcpy(out, p, *len);
    out[*len] = '\0';
    return out;
}

static void test_chat_reply_repairs_text_and_reports_logprobs(void **state)
{
    struct reply_meta m = {.kind = SRV_CHAT, .id = "chatcmpl-x", .created = 1700000000,
                           .model = "ax", .token = piece};
    struct srv_lp lps[2] = {0};
    lps[0].lp.chosen = (axvk_token_logprob){2, -0.25f};
    lps[0].n_top = 2;
    lps[0].lp.top[0] = (axvk_token_logprob){2, -0.25f};
    lps[0].lp.top[1] = (axvk_token_logprob){9, -3.5f};
    lps[1].lp.chosen = (axvk_token_logprob){1, -1.0f};
    const char text[] = "a\0b\xed\x95\x9c\xff";
    char *json = reply_final(&m, text, sizeof text - 1, lps, 2, SRV_FINISH_STOP, 11, 2);
    cJSON *root = cJSON_Parse(json);
    assert_non_null(root);
    cJSON *choice = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "choices"), 0);
    cJSON *content = cJSON_GetObjectItem(cJSON_GetObjectItem(choice, "message"), "content");
    /* the NUL survives as \u0000, the broken byte becomes U+FFFD */
    assert_string_equal(content->valuestring, "a");
    assert_non_null(strstr(json, "\"a\\u0000b\xed\x95\x9c\xef\xbf\xbd\""));
    assert_string_equal(cJSON_GetObjectItem(choice, "finish_reason")->valuestring, "stop");
    cJSON *lp = cJSON_GetObjectItem(cJSON_GetObjectItem(choice, "logprobs"), "content");
    assert_int_equal(cJSON_GetArraySize(lp), 2);
    cJSON *first = cJSON_GetArrayItem(lp, 0);
    assert_string_equal(cJSON_GetObjectItem(first, "token")->valuestring, "\xef\xbf\xbd\xef\xbf\xbd");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(first, "bytes")), 2);
    assert_int_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(first, "bytes"), 0)->valueint, 0xed);
    assert_float_equal(cJSON_GetObjectItem(first, "logprob")->valuedouble, -0.25, 0);
    cJSON *top = cJSON_GetObjectItem(first, "top_logprobs");
    assert_int_equal(cJSON_GetArraySize(top), 2);
    assert_float_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(top, 1), "logprob")->valuedouble, -3.5, 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetArrayItem(lp, 1), "top_logprobs")), 0);
    cJSON *usage = cJSON_GetObjectItem(root, "usage");
    assert_int_equal(cJSON_GetObjectItem(usage, "total_tokens")->valueint, 13);
    cJSON_Delete(root);
    free(json);
}

static void test_chunks_carry_role_text_finish_and_usage(void **state)
{
    struct reply_meta m = {.kind = SRV_CHAT, .id = "chatcmpl-y", .model = "ax", .include_usage = 1,
                           .token = piece};
    char *first = reply_chunk(&m, 1, "", 0, NULL, 0, SRV_FINISH_NONE);
    char *mid = reply_chunk(&m, 0, "\xea\xb0\x80", 3, NULL, 0, SRV_FINISH_NONE);
    char *last = reply_chunk(&m, 0, "", 0, NULL, 0, SRV_FINISH_LENGTH);
    char *usage = reply_usage_chunk(&m, 5, 3);
    cJSON *a = cJSON_Parse(first), *b = cJSON_Parse(mid), *c = cJSON_Parse(last), *u = cJSON_Parse(usage);
    cJSON *da = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(a, "choices"), 0), "delta");
    assert_string_equal(cJSON_GetObjectItem(da, "role")->valuestring, "assistant");
    assert_string_equal(cJSON_GetObjectItem(a, "object")->valuestring, "chat.completion.chunk");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(a, "usage")));
    cJSON *db = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(b, "choices"), 0), "delta");
    assert_string_equal(cJSON_GetObjectItem(db, "content")->valuestring, "\xea\xb0\x80");
    assert_null(cJSON_GetObjectItem(db, "role"));
    cJSON *cc = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "choices"), 0);
    assert_string_equal(cJSON_GetObjectItem(cc, "finish_reason")->valuestring, "length");
    assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(cc, "delta"), "content"));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(u, "choices")), 0);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(u, "usage"), "completion_tokens")->valueint, 3);
    cJSON_Delete(a), cJSON_Delete(b), cJSON_Delete(c), cJSON_Delete(u);
    free(first), free(mid), free(last), free(usage);
}

static void test_completion_logprobs_offsets_follow_the_text(void **state)
{
    struct reply_meta m = {.kind = SRV_COMPLETION, .id = "cmpl-z", .model = "ax", .token = piece};
    struct srv_lp lps[3] = {0};
    int32_t ids[3] = {1, 2, 3};
    for (int i = 0; i < 3; i++) {
        lps[i].lp.chosen = (axvk_token_logprob){ids[i], -(float)rand_num(0.1, 5)};
        lps[i].n_top = 1;
        lps[i].lp.top[0] = lps[i].lp.chosen;
    }
    char *a = reply_chunk(&m, 0, "A", 1, lps, 2, SRV_FINISH_NONE);
    char *b = reply_chunk(&m, 0, "\xed\x95\x9c", 3, lps + 2, 1, SRV_FINISH_NONE);
    cJSON *ja = cJSON_Parse(a), *jb = cJSON_Parse(b);
    cJSON *la = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(ja, "choices"), 0), "logprobs");
    cJSON *lb = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(jb, "choices"), 0), "logprobs");
    /* offsets count bytes across chunks: "A" (1), then 2 bytes, then the third token at 3 */
    assert_int_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(la, "text_offset"), 1)->valueint, 1);
    assert_int_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(lb, "text_offset"), 0)->valueint, 3);
    assert_float_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(la, "token_logprobs"), 0)->valuedouble,
                       lps[0].lp.chosen.logprob, 1e-6);
    cJSON *top = cJSON_GetArrayItem(cJSON_GetObjectItem(la, "top_logprobs"), 0);
    assert_float_equal(cJSON_GetObjectItem(top, "A")->valuedouble, lps[0].lp.chosen.logprob, 1e-6);
    cJSON_Delete(ja), cJSON_Delete(jb);
    free(a), free(b);
}

static void test_utf8_repair_follows_rfc_3629(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "plain"},
        {"\xc3\xa9", "\xc3\xa9"},
        {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},             /* overlong '/' */
        {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* surrogate */
        {"\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* > U+10FFFF */
        {"\xf0\x9f\x98\x80!", "\xf0\x9f\x98\x80!"},
        {"a\xe2\x82", "a\xef\xbf\xbd\xef\xbf\xbd"},            /* cut short */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n;
        char *out = reply_utf8_clean(cases[i].in, strlen(cases[i].in), &n);
        assert_string_equal(out, cases[i].out);
        assert_int_equal(n, strlen(cases[i].out));
        assert_true(reply_utf8_valid(out, n));
        assert_int_equal(reply_utf8_valid(cases[i].in, strlen(cases[i].in)),
                         !strcmp(cases[i].in, cases[i].out));
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_reads_every_field),
        cmocka_unit_test(test_request_defaults_follow_llama_server),
        cmocka_unit_test(test_request_max_completion_tokens_wins),
        cmocka_unit_test(test_request_flattens_text_parts),
        cmocka_unit_test(test_request_takes_every_prompt_form),
        cmocka_unit_test(test_request_rejects_bad_fields_by_name),
        cmocka_unit_test(test_request_rejects_bodies_that_are_not_objects),
        cmocka_unit_test(test_text_bodies_parse),
        cmocka_unit_test(test_error_has_openai_shape),
        cmocka_unit_test(test_chat_reply_repairs_text_and_reports_logprobs),
        cmocka_unit_test(test_chunks_carry_role_text_finish_and_usage),
        cmocka_unit_test(test_completion_logprobs_offsets_follow_the_text),
        cmocka_unit_test(test_utf8_repair_follows_rfc_3629),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
