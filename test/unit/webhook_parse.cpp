// SPDX-License-Identifier: BSL-1.0
#include "../print.hpp"

#include <runninghub/webhook.hpp>

#include <boost/test/unit_test.hpp>

#include <set>

using namespace runninghub;

BOOST_AUTO_TEST_SUITE(webhook_parse)

BOOST_AUTO_TEST_CASE(legacy_event_data_string) {
    auto e = parse_webhook_event(R"({"event":"TASK_END","taskId":"1904163390028185602",
        "eventData":"{\"code\":0,\"msg\":\"success\",\"data\":[{\"fileUrl\":\"https://x/a.png\",\"fileType\":\"png\",\"taskCostTime\":0,\"nodeId\":\"9\"}]}"})");
    BOOST_REQUIRE(e);
    BOOST_TEST(e->task_id == "1904163390028185602");
    BOOST_TEST(e->status == task_status::success);
    BOOST_REQUIRE(e->results.size() == 1u);
    BOOST_TEST(e->results[0].url == "https://x/a.png");
    auto failed = parse_webhook_event(R"({"event":"TASK_END","taskId":"7",
        "eventData":"{\"code\":805,\"msg\":\"APIKEY_TASK_STATUS_ERROR\",\"data\":{\"failedReason\":{}}}"})");
    BOOST_REQUIRE(failed);
    BOOST_TEST(failed->status == task_status::failed);
}

BOOST_AUTO_TEST_CASE(object_wrapped_and_flat_shapes) {
    auto obj = parse_webhook_event(
        R"({"event":"TASK_END","taskId":"1","eventData":{"status":"SUCCESS","results":[{"url":"u","outputType":"png"}]}})");
    BOOST_REQUIRE(obj);
    BOOST_TEST(obj->status == task_status::success);
    BOOST_TEST(obj->results.size() == 1u);
    auto wrapped = parse_webhook_event(R"({"code":0,"msg":"success","data":{"taskId":"2","status":"FAILED"}})");
    BOOST_REQUIRE(wrapped);
    BOOST_TEST(wrapped->task_id == "2");
    BOOST_TEST(wrapped->status == task_status::failed);
    auto flat = parse_webhook_event(R"({"taskId":1900000000000000001,"status":"SUCCESS","results":[]})");
    BOOST_REQUIRE(flat);
    BOOST_TEST(flat->task_id == "1900000000000000001");
    auto bare = parse_webhook_event(R"({"event":"TASK_END","taskId":"3"})");
    BOOST_REQUIRE(bare);
    BOOST_TEST(bare->status == task_status::unknown);  // ended; the outcome comes from a query
}

BOOST_AUTO_TEST_CASE(bad_bodies_are_named) {
    std::string why;
    BOOST_TEST(!parse_webhook_event("not json", &why));
    BOOST_TEST(why == "body is not JSON");
    BOOST_TEST(!parse_webhook_event("[1]", &why));
    BOOST_TEST(!parse_webhook_event(R"({"event":"TASK_END"})", &why));
    BOOST_TEST(why == "no taskId");
    BOOST_TEST(!parse_webhook_event(R"({"event":"TASK_START","taskId":"1"})", &why));
    BOOST_TEST(!parse_webhook_event(R"({"event":"TASK_END","taskId":"1","eventData":"{oops"})", &why));
    BOOST_TEST(!parse_webhook_event(R"({"taskId":"../../etc"})", &why));
    BOOST_TEST(!parse_webhook_event("", &why));
}

// One generator for the CLI's secret, the batch's reference prefix and the example's.
BOOST_AUTO_TEST_CASE(random_secrets_are_fresh_and_valid) {
    auto a = runninghub::random_webhook_secret(), b = runninghub::random_webhook_secret();
    BOOST_TEST(a.size() == 32u);
    BOOST_TEST(a.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyz") == std::string::npos, a);
    BOOST_TEST(a != b);
    std::set<char> seen;  // ~165 bits: 1000 of them use every digit
    for (int i = 0; i < 1000; ++i)
        for (char c : runninghub::random_webhook_secret())
            seen.insert(c);
    BOOST_TEST(seen.size() == 36u);
}

BOOST_AUTO_TEST_SUITE_END()
