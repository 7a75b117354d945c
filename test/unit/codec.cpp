// SPDX-License-Identifier: BSL-1.0
#include "codec/codec.hpp"
#include "codec/task_sax.hpp"
#include "core/poll.hpp"
#include "core/retry.hpp"
#include "../print.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdio>
#include <random>

using namespace runninghub;
using namespace runninghub::detail;
namespace json = boost::json;

namespace {
error_code decode(unsigned status, std::string_view body, task& t) {
    return decode_task({status, body, {}}, t, t.diag);
}
} // namespace

BOOST_AUTO_TEST_SUITE(codec)

namespace {

// Everything of an answer that decode_task keeps, as one comparable text.
std::string kept(const error_code& ec, const task& t) {
    auto opt = [](const std::optional<std::string>& o) { return o ? "<" + *o + ">" : std::string("-"); };
    auto usage = [&](const task_usage& u) {
        return opt(u.consume_money) + opt(u.consume_coins) + opt(u.task_cost_time) + opt(u.third_party_consume_money);
    };
    std::string s = ec.to_string() + "|" + t.id + "|" + std::to_string(int(t.status)) + "|" + t.status_text + "|" +
                    t.error_code + "|" + t.error_message + "|" + json::serialize(t.failed_reason.raw) + "|" +
                    t.client_id + "|" + t.prompt_tips + "|" + t.net_wss_url + "|" + usage(t.usage) + "|";
    for (auto& r : t.results)
        s += "[" + r.url + "," + r.output_type + "," + r.node_id + "," + opt(r.text) + "," + usage(r.usage) + "]";
    s += "|" + std::to_string(t.diag.http_status) + "|" + t.diag.server_code + "|" + t.diag.server_message + "|" +
         t.diag.body_excerpt;
    return s;
}

// A random answer: mostly the flat task object in its usual and unusual shapes
// (every key the decoder reads, unknown and escaped keys, values of every kind,
// long strings with escapes, repeated keys, nested unknown values, spacing),
// sometimes an envelope or broken JSON.
std::string random_answer(std::mt19937& rng) {
    auto pick = [&](std::initializer_list<const char*> l) { return std::string(l.begin()[rng() % l.size()]); };
    auto sp = [&]() { return rng() % 6 ? std::string() : pick({" ", "\n", " \t "}); };
    auto scalar = [&]() -> std::string {
        if (rng() % 200 == 0)  // longer than Boost.JSON's 4 KB unescaping buffer, an escape inside
            return "\"" + std::string(3000, 'a') + "\\n\\u00e9" + std::string(3000, 'b') + "\"";
        return pick({"\"2013508786110730241\"", "\"SUCCESS\"", "\"RUNNING\"", "\"\"", "\"0\"", "\"805\"",
                     "\"a\\\"b\\u0041\\n\"", "null", "true", "false", "0", "-0", "-5", "2013508786110730241",
                     "18446744073709551615", "18446744073709551616", "1.5", "-0.0", "1e300", "{}", "[]",
                     "{\"k\":[1,{\"x\":null}]}", "[\"s\",2]", "\"https://cdn.example/x.png\"", "\"t\\u00e9l\u00e9\""});
    };
    // A key as sent: now and then one of its letters escaped (\u0075rl is url).
    auto key_text = [&](const std::string& k) {
        if (rng() % 10 || k.empty())
            return "\"" + k + "\"";
        std::size_t at = rng() % k.size();
        char esc[8];
        std::snprintf(esc, sizeof esc, "\\u%04x", static_cast<unsigned char>(k[at]));
        return "\"" + k.substr(0, at) + esc + k.substr(at + 1) + "\"";
    };
    // An object of n of `keys` (repeats only now and then), unknown keys often nested.
    auto object = [&](std::vector<std::string> keys, int n, auto&& value) {
        std::shuffle(keys.begin(), keys.end(), rng);
        std::string o = "{" + sp();
        for (int i = 0; i < n; ++i) {
            auto k = rng() % 12 ? keys[std::size_t(i) % keys.size()] : keys[0];
            o += (i ? "," + sp() : "") + key_text(k) + sp() + ":" + sp() +
                 (k == "x" || k == "other" ? pick({"{\"a\":[1,{\"b\":2}],\"url\":3}", "[[{}]]", "7"}) : value());
        }
        return o + sp() + "}";
    };
    std::vector<std::string> usage_keys = {"consumeMoney", "consumeCoins", "taskCostTime", "thirdPartyConsumeMoney",
                                           "other"};
    std::vector<std::string> item_keys = {"url", "outputUrl", "fileUrl", "outputType", "fileType", "nodeId", "text",
                                          "content", "output", "consumeMoney", "consumeCoins", "taskCostTime",
                                          "thirdPartyConsumeMoney", "x"};
    auto item_value = [&]() { return rng() % 3 ? pick({"\"a.png\"", "\"png\"", "null", "\"9\"", "7"}) : scalar(); };
    auto item = [&]() -> std::string {
        switch (rng() % 10) {
        case 0: return scalar();
        case 1: return "[" + object(item_keys, 2, item_value) + "]";  // a list in the list: not an item
        default: return object(item_keys, int(rng() % 7), item_value);
        }
    };
    auto value_of = [&](const std::string& k) -> std::string {
        if (k == "results" && rng() % 4) {
            std::string a = "[" + sp();
            for (int i = 0, n = int(rng() % 4); i < n; ++i)
                a += (i ? "," + sp() : "") + item();
            return a + "]";
        }
        if (k == "usage" && rng() % 3)
            return object(usage_keys, int(rng() % 5), item_value);
        if (k == "failedReason" && rng() % 3)
            return pick({"{}", "null", "\"out of memory\"", "{\"node_id\":\"9\"}", "[]"});
        return scalar();
    };
    std::string body = "{" + sp();
    int n = int(rng() % 12);
    bool has_id = rng() % 8 != 0;
    if (has_id)
        body += "\"taskId\":" + (rng() % 4 ? std::string("\"2013508786110730241\"") : scalar());
    for (int i = 0; i < n; ++i) {
        auto k = pick({"task_id", "status", "taskStatus", "errorCode", "errorMessage", "failedReason", "results",
                       "clientId", "promptTips", "netWssUrl", "usage", "code", "msg", "data", "url", "unknown",
                       "results", "status"});
        body += (has_id || i ? "," + sp() : "") + key_text(k) + ":" + sp() + value_of(k);
    }
    body += sp() + "}";
    switch (rng() % 16) {
    case 0: return body.substr(0, rng() % body.size());  // broken
    case 1: return "{\"code\":0,\"msg\":\"ok\",\"data\":" + body + "}";
    case 2: return "[" + body + "]";
    case 3: return body + " ";
    default: return body;
    }
}

} // namespace

// The fast path (codec/task_sax) against the DOM path: the same task, error and
// diagnostics for every answer, and the fast path taken for the usual ones.
BOOST_AUTO_TEST_CASE(the_fast_path_decodes_as_the_dom_does) {
    std::mt19937 rng(12);
    int fast = 0, total = 0;
    std::size_t items = 0;
    for (int i = 0; i < 100000; ++i) {
        auto body = random_answer(rng);
        for (unsigned status : {200u, 500u})
            for (std::string_view asked : {std::string_view(), std::string_view("2013508786110730241")}) {
                task a, b;
                auto ea = decode_task({status, body, {}}, a, a.diag, asked);
                auto eb = decode_task_dom({status, body, {}}, b, b.diag, asked);
                BOOST_TEST_REQUIRE(kept(ea, a) == kept(eb, b), body);
            }
        task probe;
        if (decode_flat_fast(body, probe)) {
            ++fast;
            items += probe.results.size();
        }
        ++total;
    }
    BOOST_TEST_MESSAGE("fast path taken for " << fast << " of " << total << ", " << items << " result items");
    BOOST_TEST(fast > total / 10);
    BOOST_TEST(items > std::size_t(total / 50));
    // The service's usual answers take it (the bench harness's two).
    task t;
    BOOST_TEST(decode_flat_fast(R"({"taskId":"2013508786110730241","status":"RUNNING","errorCode":"","errorMessage":"",)"
                                R"("results":null,"clientId":"f828b9af25161bc066ef152db7b29ccc","promptTips":""})",
                                t));
    BOOST_TEST(decode_flat_fast(
        R"({"taskId":"2013508786110730241","status":"SUCCESS","errorCode":"","errorMessage":"","failedReason":{},)"
        R"("usage":{"consumeMoney":null,"consumeCoins":null,"taskCostTime":"0","thirdPartyConsumeMoney":null},)"
        R"("results":[{"url":"https://example.invalid/out.png","outputType":"png","text":null}],"clientId":"",)"
        R"("promptTips":""})",
        t));
}

BOOST_AUTO_TEST_CASE(flat_success_keeps_ids_and_types) {
    task t;
    auto ec = decode(200, R"({"taskId":"2013508786110730241","status":"SUCCESS","errorCode":"","errorMessage":"",
        "failedReason":{},"usage":{"consumeMoney":null,"consumeCoins":"17","taskCostTime":"83","thirdPartyConsumeMoney":null},
        "results":[{"url":"https://cdn/x.png","nodeId":"2","outputType":"png","text":null},
                   {"outputUrl":"https://cdn/y.mp4","nodeId":"3","outputType":"mp4"},
                   {"nodeId":"4","outputType":"txt","content":"hello"}],
        "clientId":"c1","promptTips":"{\"node_errors\": {}}"})", t);
    BOOST_TEST(!ec);
    BOOST_TEST(t.id == "2013508786110730241");
    BOOST_TEST(t.status == task_status::success);
    BOOST_TEST(t.results.size() == 3u);
    BOOST_TEST(t.results[1].url == "https://cdn/y.mp4");
    BOOST_TEST(t.results[2].text.value_or("") == "hello");
    BOOST_TEST(!t.results[0].text.has_value());
    BOOST_TEST(t.usage.consume_coins.value_or("") == "17");
    BOOST_TEST(!t.usage.consume_money.has_value());
    BOOST_TEST(t.prompt_tips == R"({"node_errors": {}})");
    BOOST_TEST(t.client_id == "c1");
}

BOOST_AUTO_TEST_CASE(numeric_ids_are_written_back_exactly) {
    task t;
    auto ec = decode(200, R"({"taskId":1877265245566922753,"status":"RUNNING","errorCode":0})", t);
    BOOST_TEST(!ec);
    BOOST_TEST(t.id == "1877265245566922753");  // a double would give ...2800
    BOOST_TEST(t.error_code.empty());
}

// Issue 11 item 7: `true`, -5 and ids with quotes were accepted as accepted tasks.
BOOST_AUTO_TEST_CASE(only_task_ids_are_accepted) {
    for (auto id : {R"(true)", R"(-5)", R"("\"12\"")", R"("12a")", R"(" 12")", R"(1.5)", R"("-5")",
                    R"("123456789012345678901234567890123")"}) {
        task t;
        auto body = std::string(R"({"taskId":)") + id + R"(,"status":"RUNNING","errorCode":"","errorMessage":""})";
        auto ec = decode(200, body, t);
        BOOST_TEST(ec == errc::protocol_error, id);
        BOOST_TEST(t.id.empty(), id);
        BOOST_TEST(t.diag.server_message.find("not a task id") != std::string::npos, t.diag.server_message);
    }
    task t;
    BOOST_TEST(!decode(200, R"({"taskId":"12345678901234567890123456789012","status":"RUNNING"})", t));
    BOOST_TEST(valid_task_id("1"));
    BOOST_TEST(!valid_task_id(""));
}

// Issue 11 item 7: wait(1111111111111111111) accepted 1234567890123456789's SUCCESS.
BOOST_AUTO_TEST_CASE(a_query_answer_must_be_about_the_task_asked) {
    std::string_view body = R"({"taskId":"1234567890123456789","status":"SUCCESS","errorCode":"","errorMessage":"",
        "results":[{"url":"https://cdn/x.png","nodeId":"2","outputType":"png"}]})";
    task t;
    auto ec = decode_task({200, body, {}}, t, t.diag, "1111111111111111111");
    BOOST_TEST(ec == errc::answer_mismatch);
    BOOST_TEST(t.id == "1111111111111111111");
    BOOST_TEST(t.status == task_status::unknown);
    BOOST_TEST(t.results.empty());
    BOOST_TEST(t.diag.server_message.find("1234567890123456789") != std::string::npos);
    BOOST_TEST(!is_retryable(ec));  // named, and not repeated forever
    task same;
    BOOST_TEST(!decode_task({200, body, {}}, same, same.diag, "1234567890123456789"));
    BOOST_TEST(same.results.size() == 1u);
}

// Issue 11 item 5: the key and any Authorization value, in every shape a server may quote them.
BOOST_AUTO_TEST_CASE(failed_task_is_not_a_request_error) {
    task t;
    auto ec = decode(200, R"({"taskId":"1","status":"FAILED","errorCode":"1000","errorMessage":"unknown error",
        "failedReason":{"node_id":"276","exception_type":"TypeError"}})", t);
    BOOST_TEST(!ec);
    BOOST_TEST(t.status == task_status::failed);
    BOOST_TEST(t.error_code == "1000");
    BOOST_TEST(t.failed_reason.exception_type() == "TypeError");
}

BOOST_AUTO_TEST_CASE(a_failed_reason_is_read_in_every_shape_it_comes_in) {
    task t;
    BOOST_TEST(!decode(200, R"({"taskId":"1","status":"FAILED","failedReason":{"node_id":276,"node_name":"SONIC_PreData",
        "exception_type":"TypeError","exception_message":"bad input","traceback":["  File a\n","  File b\n"],
        "current_inputs":"{}"}})", t));
    auto& f = t.failed_reason;
    BOOST_TEST(f.node_id() == "276");  // a number as its digits
    BOOST_TEST(f.node_type() == "SONIC_PreData");
    BOOST_TEST(f.exception_message() == "bad input");
    BOOST_TEST(f.traceback() == "  File a\n  File b\n");  // a list, joined
    BOOST_TEST(f.raw.at("current_inputs").as_string() == "{}");  // the rest stays readable
    BOOST_TEST(to_string(f) == "node 276 (SONIC_PreData): TypeError: bad input");
    task listed, s, e, n, other;
    BOOST_TEST(!decode(200, R"({"taskId":"1","status":"FAILED","failedReason":{"traceback":"[\"a\\n\", \"b\\n\"]"}})", listed));
    BOOST_TEST(listed.failed_reason.traceback() == "a\nb\n");  // the JSON text of a list, joined
    task bare;
    BOOST_TEST(!decode(200, R"({"taskId":"1","status":"FAILED","failedReason":{"traceback":["a","b"]}})", bare));
    BOOST_TEST(bare.failed_reason.traceback() == "a\nb\n");  // lines without their newline get one
    BOOST_TEST(!decode(200, R"({"taskId":"1","status":"FAILED","failedReason":"out of memory"})", s));
    BOOST_TEST(s.failed_reason.exception_message() == "out of memory");
    BOOST_TEST(s.failed_reason.node_id() == "");
    BOOST_TEST(to_string(s.failed_reason) == "out of memory");
    BOOST_TEST(!decode(200, R"({"taskId":"1","status":"SUCCESS","failedReason":{}})", e));
    BOOST_TEST(e.failed_reason.empty());
    BOOST_TEST(to_string(e.failed_reason) == "");
    BOOST_TEST(!decode(200, R"({"taskId":"1","status":"SUCCESS","failedReason":null})", n));
    BOOST_TEST(n.failed_reason.empty());
    BOOST_TEST(!decode(200, R"({"taskId":"1","status":"FAILED","failedReason":{"detail":"quota"}})", other));
    BOOST_TEST(to_string(other.failed_reason) == R"({"detail":"quota"})");  // unknown fields: as sent
}

BOOST_AUTO_TEST_CASE(legacy_outputs_keep_each_items_costs) {
    task t;
    BOOST_TEST(!decode_legacy_outputs({200, R"({"code":0,"msg":"success","data":[
        {"fileUrl":"https://x/a.txt","fileType":"txt","nodeId":"3"},
        {"fileUrl":"https://x/a.png","fileType":"png","taskCostTime":"83","nodeId":"12","consumeCoins":"17",
         "consumeMoney":null,"thirdPartyConsumeMoney":"0.5"},
        {"fileUrl":"https://x/b.png","fileType":"png","taskCostTime":"84","nodeId":"13","consumeCoins":"18"}]})", {}},
        "7", t, t.diag));
    BOOST_TEST_REQUIRE(t.results.size() == 3u);
    BOOST_TEST(t.results[0].usage.empty());
    BOOST_TEST(t.results[1].usage.consume_coins.value_or("") == "17");
    BOOST_TEST(t.results[1].usage.third_party_consume_money.value_or("") == "0.5");
    BOOST_TEST(!t.results[1].usage.consume_money.has_value());
    BOOST_TEST(t.results[2].usage.consume_coins.value_or("") == "18");
    BOOST_TEST(t.results[2].usage.task_cost_time.value_or("") == "84");
    BOOST_TEST(t.usage.consume_coins.value_or("") == "17");  // the task's: the first item that has costs
    BOOST_TEST(t.usage.task_cost_time.value_or("") == "83");
}

BOOST_AUTO_TEST_CASE(flat_error_maps_the_service_code) {
    task t;
    auto ec = decode(200, R"({"taskId":"","status":"","errorCode":"1002","errorMessage":"Invalid API Key"})", t);
    BOOST_TEST(ec == errc::invalid_api_key);
    BOOST_TEST(t.diag.server_code == "1002");
    BOOST_TEST(t.diag.server_message == "Invalid API Key");
    BOOST_TEST(t.diag.http_status == 200u);
}

BOOST_AUTO_TEST_CASE(legacy_envelope_errors_on_v2) {
    task t;
    BOOST_TEST(decode(200, R"({"code":421,"msg":"TASK_QUEUE_MAXED","data":null})", t) == errc::task_queue_maxed);
    BOOST_TEST(t.diag.server_message == "TASK_QUEUE_MAXED");
    task t2;
    BOOST_TEST(decode(200, R"({"code":1,"msg":"webapp not exists"})", t2) == errc::webapp_not_exists);
    BOOST_TEST(t2.diag.server_code == "1");  // as sent
    task t2b;
    BOOST_TEST(decode(200, R"({"code":1,"msg":"something else"})", t2b) == errc::general_failure);
    task t3;
    BOOST_TEST(decode(200, R"({"code":301,"message":"user not exist","data":null})", t3) == errc::params_invalid);
    BOOST_TEST(t3.diag.server_message == "user not exist");
    task t4;
    BOOST_TEST(decode(200, R"({"code":7777,"msg":"new"})", t4).value() == 7777);
    BOOST_TEST(t4.diag.server_code == "7777");
}

BOOST_AUTO_TEST_CASE(legacy_envelope_success_with_task) {
    task t;
    auto ec = decode(200, R"({"code":0,"msg":"success","data":{"taskId":"1910246754753896450","taskStatus":"QUEUED",
        "clientId":"e8","promptTips":"{}","netWssUrl":null}})", t);
    BOOST_TEST(!ec);
    BOOST_TEST(t.id == "1910246754753896450");
    BOOST_TEST(t.status == task_status::queued);
}

BOOST_AUTO_TEST_CASE(http_and_malformed_answers) {
    task t;
    BOOST_TEST(decode(502, "<html><body>502 Bad Gateway</body></html>", t) == errc::http_server_error);
    BOOST_TEST(t.diag.http_status == 502u);
    BOOST_TEST(t.diag.body_excerpt.find("Bad Gateway") != std::string::npos);
    task t2;
    BOOST_TEST(decode(503, "", t2) == errc::http_server_error);
    task t3;
    BOOST_TEST(decode(429, "slow down", t3) == errc::http_too_many_requests);
    task t4;
    BOOST_TEST(decode(200, R"({"taskId":"12","sta)", t4) == errc::protocol_error);
    task t5;
    BOOST_TEST(decode(200, R"([1,2])", t5) == errc::protocol_error);
    task t6;
    BOOST_TEST(decode(200, R"({"status":"RUNNING"})", t6) == errc::protocol_error);  // no taskId
    task t7;
    BOOST_TEST(decode(404, R"({"code":1001,"msg":"Invalid URL"})", t7) == errc::invalid_url);
}

BOOST_AUTO_TEST_CASE(run_body_keeps_json_types) {
    run_options o;
    o.instance_type = "plus";
    o.use_personal_queue = false;
    o.webhook_url = "https://example.com/hook";
    o.workflow_json = R"({"3":{"class_type":"KSampler"}})";
    o.add_metadata = true;
    std::vector<node_input> in{{"6", "text", "a cat"}, {"3", "seed", 42}, {"3", "denoise", 0.5},
                               {"7", "enabled", true}};
    auto body = json::parse(encode_run_body(in, o, true)).as_object();
    auto& list = body.at("nodeInfoList").as_array();
    BOOST_TEST(list.size() == 4u);
    BOOST_TEST(list[0].at("fieldValue").is_string());
    BOOST_TEST(list[1].at("fieldValue").is_int64());
    BOOST_TEST(list[2].at("fieldValue").is_double());
    BOOST_TEST(list[3].at("fieldValue").is_bool());
    BOOST_TEST(body.at("instanceType").as_string() == "plus");
    BOOST_TEST(body.at("usePersonalQueue").is_bool());
    BOOST_TEST(body.at("workflow").is_string());
    BOOST_TEST(body.at("addMetadata").as_bool());
    auto app_body = json::parse(encode_run_body(in, o, false)).as_object();
    BOOST_TEST(!app_body.contains("workflow"));
    auto bare = json::parse(encode_run_body(in, run_options{}, false)).as_object();
    BOOST_TEST(bare.size() == 1u);
    BOOST_TEST(encode_query_body("123") == R"({"taskId":"123"})");
}

BOOST_AUTO_TEST_CASE(ids_are_validated) {
    BOOST_TEST(valid_id("1877265245566922753"));
    BOOST_TEST(!valid_id(""));
    BOOST_TEST(!valid_id("12/../x"));
    BOOST_TEST(!valid_id("12\"}"));
    BOOST_TEST(!valid_id(std::string(65, '1')));
}

BOOST_AUTO_TEST_CASE(retry_after_forms) {
    auto now = std::chrono::system_clock::from_time_t(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
    BOOST_TEST(parse_retry_after("120", now).value() == std::chrono::seconds(120));
    BOOST_TEST(parse_retry_after(" 3 ", now).value() == std::chrono::seconds(3));
    BOOST_TEST(parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now).value() == std::chrono::seconds(10));
    BOOST_TEST(parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now).value() == duration::zero());
    BOOST_TEST(!parse_retry_after("", now));
    BOOST_TEST(!parse_retry_after("soon", now));
    BOOST_TEST(!parse_retry_after("-5", now));
}

BOOST_AUTO_TEST_CASE(poll_delays_grow_to_the_cap_within_jitter) {
    poll_policy p;
    p.first_delay = std::chrono::seconds(1);
    p.interval = std::chrono::seconds(2);
    p.growth = 2.0;
    p.cap = std::chrono::seconds(10);
    p.jitter = 0.1;
    BOOST_TEST(poll_delay(p, 0, 0.5).count() == duration(std::chrono::seconds(1)).count());
    BOOST_TEST(poll_delay(p, 1, 0.5).count() == duration(std::chrono::seconds(2)).count());
    BOOST_TEST(poll_delay(p, 2, 0.5).count() == duration(std::chrono::seconds(4)).count());
    BOOST_TEST(poll_delay(p, 9, 0.5).count() == duration(std::chrono::seconds(10)).count());
    BOOST_TEST(poll_delay(p, 9, 0.0) >= std::chrono::seconds(9));
    BOOST_TEST(poll_delay(p, 9, 0.999) <= std::chrono::seconds(11));
}

BOOST_AUTO_TEST_CASE(learned_polls_sleep_through_the_usual_run_time) {
    poll_policy p;  // 3 s first, then 5 s
    duration_estimate e;
    BOOST_TEST(learned_poll_delay(p, e, duration::zero(), 0, 0.5) == poll_delay(p, 0, 0.5));  // nothing learned
    for (int i = 0; i < 20; ++i)
        e.add(std::chrono::seconds(60) + std::chrono::milliseconds(i % 2 ? 500 : -500));
    BOOST_TEST(e.mean_s > 59.5);
    BOOST_TEST(e.mean_s < 60.5);
    // A fresh wait sleeps almost to the usual end: one query instead of ~12.
    auto first = learned_poll_delay(p, e, duration::zero(), 0, 0.5);
    BOOST_TEST(first > std::chrono::seconds(50));
    BOOST_TEST(first < std::chrono::seconds(60));
    // Around the usual end it polls densely, never below min_interval.
    auto near = learned_poll_delay(p, e, std::chrono::seconds(60), 3, 0.5);
    BOOST_TEST(near >= p.min_interval);
    BOOST_TEST(near < std::chrono::seconds(2));
    // Far past it, a tenth of the time it ran (seen within ~10% of it), up to the cap.
    BOOST_TEST(learned_poll_delay(p, e, std::chrono::seconds(120), 5, 0.5) == std::chrono::seconds(12));
    BOOST_TEST(learned_poll_delay(p, e, std::chrono::seconds(900), 5, 0.5) == p.cap);
    p.learn = false;
    BOOST_TEST(learned_poll_delay(p, e, duration::zero(), 0, 0.5) == poll_delay(p, 0, 0.5));
}

BOOST_AUTO_TEST_CASE(backoff_is_full_jitter_and_capped) {
    retry_policy p;
    p.base_delay = std::chrono::milliseconds(100);
    p.max_delay = std::chrono::seconds(1);
    BOOST_TEST(backoff_delay(p, 1, 0.0).count() == 0);
    BOOST_TEST(backoff_delay(p, 1, 0.999) < std::chrono::milliseconds(100));
    BOOST_TEST(backoff_delay(p, 3, 0.999) < std::chrono::milliseconds(400));
    BOOST_TEST(backoff_delay(p, 3, 0.999) > std::chrono::milliseconds(390));
    BOOST_TEST(backoff_delay(p, 40, 0.999) <= std::chrono::seconds(1));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(other_answers)

BOOST_AUTO_TEST_CASE(envelopes_of_both_shapes) {
    json::value data;
    diagnostics d;
    BOOST_TEST(!decode_envelope({200, R"({"code":0,"message":"success","data":{"fileName":"openapi/a.png"}})", {}}, data, d));
    BOOST_TEST(data.at("fileName").as_string() == "openapi/a.png");
    diagnostics d2;
    auto ec = decode_envelope({200, R"({"code":809,"msg":"APIKEY_FILE_SIZE_EXCEEDED","data":null})", {}}, data, d2);
    BOOST_TEST(ec == errc::apikey_file_size_exceeded);
    BOOST_TEST(d2.server_message == "APIKEY_FILE_SIZE_EXCEEDED");
    diagnostics d3;
    ec = decode_envelope({200, R"({"taskId":"","status":"","errorCode":"1014","errorMessage":"restricted"})", {}}, data, d3);
    BOOST_TEST(ec == errc::model_api_restricted);
    BOOST_TEST(d3.server_message == "restricted");
    diagnostics d4;
    BOOST_TEST(!decode_envelope({200, R"({"apiKeyType":"SHARED","runningCount":1})", {}}, data, d4));
    BOOST_TEST(data.at("runningCount").as_int64() == 1);  // a bare object is its own data
    diagnostics d5;
    BOOST_TEST(decode_envelope({502, "<html>bad gateway</html>", {}}, data, d5) == errc::http_server_error);
    diagnostics d6;
    BOOST_TEST(decode_envelope({200, "{\"code\":0", {}}, data, d6) == errc::protocol_error);
}

BOOST_AUTO_TEST_CASE(legacy_outputs_states) {
    auto outputs = [](std::string_view body, task& t) { return decode_legacy_outputs({200, body, {}}, "7", t, t.diag); };
    task running, queued, pending, failed, done, empty, missing;
    BOOST_TEST(!outputs(R"({"code":804,"msg":"APIKEY_TASK_IS_RUNNING","data":{"netWssUrl":"wss://x"}})", running));
    BOOST_TEST(running.status == task_status::running);
    BOOST_TEST(running.net_wss_url == "wss://x");
    BOOST_TEST(running.diag.empty());
    BOOST_TEST(!outputs(R"({"code":813,"msg":"APIKEY_TASK_IS_QUEUED","data":null})", queued));
    BOOST_TEST(queued.status == task_status::queued);
    BOOST_TEST(!outputs(R"({"code":0,"msg":"任务正在运行中","data":null})", pending));
    BOOST_TEST(pending.status == task_status::running);
    BOOST_TEST(!outputs(R"({"code":805,"msg":"APIKEY_TASK_STATUS_ERROR","data":{"failedReason":{"node_id":"276"}}})", failed));
    BOOST_TEST(failed.status == task_status::failed);
    BOOST_TEST(failed.failed_reason.node_id() == "276");
    BOOST_TEST(!outputs(R"({"code":0,"msg":"success","data":[{"fileUrl":"https://x/a.png","fileType":"png",
        "taskCostTime":"83","nodeId":"12","consumeCoins":"17"}]})", done));
    BOOST_TEST(done.status == task_status::success);
    BOOST_TEST(done.results.at(0).url == "https://x/a.png");
    BOOST_TEST(done.usage.task_cost_time.value_or("") == "83");
    BOOST_TEST(!outputs(R"({"code":0,"msg":"success","data":[]})", empty));
    BOOST_TEST(empty.status == task_status::success);
    BOOST_TEST(empty.results.empty());
    BOOST_TEST(outputs(R"({"code":807,"msg":"APIKEY_TASK_NOT_FOUND","data":null})", missing) == errc::apikey_task_not_found);
}

BOOST_AUTO_TEST_CASE(legacy_run_bodies) {
    run_options o;
    o.instance_type = "plus";
    o.use_personal_queue = false;
    o.add_metadata = true;
    o.workflow_json = "{}";
    std::vector<node_input> in{{"6", "text", "x"}, {"3", "seed", 42}};
    auto app = (encode_legacy_run_body("webappId", "1877265245566922753", "", in, {}));
    BOOST_TEST(app.at("webappId").as_int64() == 1877265245566922753);  // int64, exactly
    BOOST_TEST(!app.contains("apiKey"));  // placed by the call path, from the endpoint table
    BOOST_TEST(app.at("nodeInfoList").as_array().at(1).at("fieldValue").as_int64() == 42);
    auto wf = (encode_legacy_run_body("workflowId", "1904136902449209346", "", in, o));
    BOOST_TEST(wf.at("workflowId").as_string() == "1904136902449209346");
    BOOST_TEST(wf.at("usePersonalQueue").as_bool() == false);
    BOOST_TEST(wf.at("addMetadata").as_bool() == true);
    BOOST_TEST(wf.at("workflow").as_string() == "{}");
    BOOST_TEST(wf.at("instanceType").as_string() == "plus");
    auto quick = (encode_legacy_run_body("webappId", "12", "Q1", in, {}));
    BOOST_TEST(quick.at("quickCreateCode").as_string() == "Q1");
}

BOOST_AUTO_TEST_CASE(prompt_tips_and_content_types) {
    auto t = parse_prompt_tips(R"({"result": false, "error": null, "outputs_to_execute": ["9"], "node_errors": {"3": {}}})");
    BOOST_TEST_REQUIRE(t.has_value());
    BOOST_TEST(!t->result);
    BOOST_TEST(t->has_node_errors());
    BOOST_TEST(!parse_prompt_tips("").has_value());
    BOOST_TEST(!parse_prompt_tips("not json").has_value());
    BOOST_TEST(!parse_prompt_tips(R"({"node_errors": {}})")->has_node_errors());
    BOOST_TEST(content_type_for("a.PNG") == "image/png");
    BOOST_TEST(content_type_for("clip.mp4") == "video/mp4");
    BOOST_TEST(content_type_for("style.safetensors") == "application/octet-stream");
    BOOST_TEST(content_type_for("noext") == "application/octet-stream");
}

BOOST_AUTO_TEST_SUITE_END()
