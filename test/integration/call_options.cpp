// SPDX-License-Identifier: BSL-1.0
// What one call may add to or change in its request: run_options' extra body
// fields and retainSeconds, and call_overrides (deadline, repeats, header
// fields) of run and call_api, as the service receives them.
#include "common.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>

namespace json = boost::json;

BOOST_AUTO_TEST_SUITE(call_options)

BOOST_AUTO_TEST_CASE(retain_seconds_and_extra_fields_reach_the_service) {
    harness h;
    run_test(h.io, [&]() -> asio::awaitable<void> {
        rh::run_options ro;
        ro.retain_seconds = 3600;
        ro.extra_fields["seed"] = 7;
        ro.extra_fields["note \"quoted\""] = json::object{{"a", json::array{1, "x"}}};
        rh::ai_app app(app_id);
        auto [ec, t] = co_await h.c.run(app, some_inputs(), ro, tuple_token);
        BOOST_TEST_REQUIRE(!ec, ec.message() << " " << t.diag.to_string());
        auto body = json::parse(h.emu.submitted(t.id).value().body).as_object();
        BOOST_TEST(body.at("retainSeconds").as_int64() == 3600);
        BOOST_TEST(body.at("seed").as_int64() == 7);
        BOOST_TEST(json::serialize(body.at("note \"quoted\"")) == R"({"a":[1,"x"]})");
        BOOST_TEST(body.at("nodeInfoList").as_array().size() == 1u);

        // The legacy submits carry them too.
        rh::workflow wf(workflow_id);
        auto [lec, lt] = co_await h.c.legacy_create(wf, some_inputs(), ro, tuple_token);
        BOOST_TEST_REQUIRE(!lec, lec.message() << " " << lt.diag.to_string());
        auto legacy = json::parse(h.emu.submitted(lt.id).value().body).as_object();
        BOOST_TEST(legacy.at("retainSeconds").as_int64() == 3600);
        BOOST_TEST(legacy.at("seed").as_int64() == 7);
    });
}

BOOST_AUTO_TEST_CASE(an_extra_field_the_client_writes_is_refused_unsent) {
    harness h;
    run_test(h.io, [&]() -> asio::awaitable<void> {
        rh::ai_app app(app_id);
        std::vector<std::string> written = {"webhookUrl", "nodeInfoList", "apiKey", "retainSeconds"};
        for (auto& key : written) {
            rh::run_options ro;
            ro.extra_fields[key] = "x";
            auto [ec, t] = co_await h.c.run(app, some_inputs(), ro, tuple_token);
            BOOST_TEST((ec == rh::errc::invalid_options));
            BOOST_TEST(t.diag.server_message.find(key) != std::string::npos, t.diag.server_message);
        }
        rh::run_options zero;
        zero.retain_seconds = 0;
        auto [ec, t] = co_await h.c.run(app, some_inputs(), zero, tuple_token);
        BOOST_TEST((ec == rh::errc::invalid_options));
        BOOST_TEST(t.diag.server_message.find("retain_seconds") != std::string::npos, t.diag.server_message);
    });
    BOOST_TEST(h.emu.counters().total_requests() == 0u);  // nothing was sent
}

BOOST_AUTO_TEST_CASE(a_calls_own_header_fields_are_sent_and_checked) {
    harness h;
    h.emu.set_faults({rh::fault{rh::fault_kind::echo_request, 1.0, "/queue/status"}});
    run_test(h.io, [&]() -> asio::awaitable<void> {
        rh::run_options ro;
        ro.call.headers = {{"X-Trace-Id", "trace-1"}, {"X-Tenant", "a b"}};
        rh::ai_app app(app_id);
        auto [ec, t] = co_await h.c.run(app, some_inputs(), ro, tuple_token);
        BOOST_TEST_REQUIRE(!ec, ec.message() << " " << t.diag.to_string());
        auto seen = h.emu.submitted(t.id).value().headers;
        auto has = [&](std::string name, std::string value) {
            return std::count(seen.begin(), seen.end(), std::pair{name, value}) == 1;
        };
        BOOST_TEST(has("X-Trace-Id", "trace-1"));
        BOOST_TEST(has("X-Tenant", "a b"));

        // call_api: the echoing 502 quotes the request head it received.
        rh::api_request req(rh::api_method::get, "/openapi/v2/queue/status");
        req.call.headers = {{"X-Trace-Id", "trace-2"}};
        req.call.retry = rh::retry_policy{1};
        auto [aec, a] = co_await h.c.call_api(req, tuple_token);
        BOOST_TEST(aec.failed());
        BOOST_TEST(a.diag.body_excerpt.find("X-Trace-Id: trace-2") != std::string::npos, a.diag.body_excerpt);

        // Refused before anything is sent: fields the client writes, and header smuggling.
        std::vector<std::pair<std::string, std::string>> refused = {
            {"Content-Length", "0"}, {"authorization", "x"}, {"X-Evil", "a\r\nHost: elsewhere"}, {"Bad Name", "x"},
            {"", "x"}, {"Accept-Encoding", "gzip"}, {"content-encoding", "gzip"}, {"X-Bell", "a\x07"},
            {"X-\xe9", "x"}};
        for (auto& field : refused) {
            rh::run_options bad;
            bad.call.headers = {field};
            auto [bec, bt] = co_await h.c.run(app, some_inputs(), bad, tuple_token);
            BOOST_TEST((bec == rh::errc::invalid_options), field.first);
            BOOST_TEST(bt.diag.server_message.find("call_overrides::headers") != std::string::npos, bt.diag.server_message);
        }
    });
    BOOST_TEST(h.emu.counters().tasks_created == 1u);
    BOOST_TEST(requests_to(h.emu, "POST /openapi/v2/run/ai-app") == 1u);
}

BOOST_AUTO_TEST_CASE(a_calls_own_deadline_and_repeats_replace_the_clients) {
    harness h;  // the client: 20 s per request, queries repeated up to 4 times
    h.emu.set_faults({rh::fault{rh::fault_kind::http_503_empty, 1.0, "/queue/status", {}, 1, 2}});
    run_test(h.io, [&]() -> asio::awaitable<void> {
        rh::api_request once(rh::api_method::get, "/openapi/v2/queue/status");
        once.call.retry = rh::retry_policy{1};  // no repeat
        auto [ec1, r1] = co_await h.c.call_api(once, tuple_token);
        BOOST_TEST(ec1.failed());
        BOOST_TEST(r1.diag.http_status == 503u);
        BOOST_TEST(requests_to(h.emu, "GET /openapi/v2/queue/status") == 1u);
        rh::api_request usual(rh::api_method::get, "/openapi/v2/queue/status");
        auto [ec2, r2] = co_await h.c.call_api(usual, tuple_token);  // the second 503, then the answer
        BOOST_TEST(!ec2, ec2.message());
        BOOST_TEST(requests_to(h.emu, "GET /openapi/v2/queue/status") == 3u);

        // A 2 s answer: the call's own 200 ms deadline ends it, the client's 20 s would not.
        h.emu.set_faults({rh::fault{rh::fault_kind::delay, 1.0, "/queue/status", 2000ms}});
        rh::api_request quick(rh::api_method::get, "/openapi/v2/queue/status");
        quick.call.timeout = 200ms;
        quick.call.retry = rh::retry_policy{1};
        auto [ec3, r3] = co_await h.c.call_api(quick, tuple_token);
        BOOST_TEST((ec3 == rh::errc::read_timeout), ec3.message());

        rh::api_request zero(rh::api_method::get, "/openapi/v2/queue/status");
        zero.call.timeout = 0ms;
        auto [ec4, r4] = co_await h.c.call_api(zero, tuple_token);
        BOOST_TEST((ec4 == rh::errc::invalid_options));
        BOOST_TEST(r4.diag.server_message.find("call_overrides::timeout") != std::string::npos);
    });
}

BOOST_AUTO_TEST_CASE(a_submits_own_deadline_and_repeats_replace_the_clients) {
    harness h;
    // A 2 s answer: the submit's own 200 ms deadline ends it; it went out, so its
    // outcome is unknown (the emulator creates the task after the delay).
    h.emu.set_faults({rh::fault{rh::fault_kind::delay, 1.0, "/run/", 2000ms}});
    run_test(h.io, [&]() -> asio::awaitable<void> {
        rh::run_options ro;
        ro.call.timeout = 200ms;
        ro.call.retry = rh::retry_policy{10, 1ms, 2ms};  // however many repeats it allows: sent once
        rh::ai_app app(app_id);
        auto [ec, t] = co_await h.c.run(app, some_inputs(), ro, tuple_token);
        BOOST_TEST((ec == rh::errc::submit_outcome_unknown), ec.message());
        BOOST_TEST(t.diag.to_string().find("read") != std::string::npos, t.diag.to_string());
    });
    BOOST_TEST(h.emu.wait_idle(10s));
    BOOST_TEST(requests_to(h.emu, "POST /openapi/v2/run/ai-app") == 1u);

    // Refused connections (certainly not sent) are repeated as the submit's own policy says.
    asio::io_context io;
    asio::ip::tcp::acceptor closed(io, {asio::ip::make_address("127.0.0.1"), 0});
    auto o = fast_client(h.emu);
    o.base_url = "https://127.0.0.1:" + std::to_string(closed.local_endpoint().port());
    closed.close();
    rh::client c(io.get_executor(), o);
    run_test(io, [&]() -> asio::awaitable<void> {
        rh::ai_app app(app_id);
        rh::run_options once;
        once.call.retry = rh::retry_policy{1};
        auto [ec1, t1] = co_await c.run(app, some_inputs(), once, tuple_token);
        BOOST_TEST(ec1.failed());
        BOOST_TEST(c.stats().submit_retries == 0u);
        rh::run_options thrice;
        thrice.call.retry = rh::retry_policy{3, 1ms, 2ms};
        auto [ec3, t3] = co_await c.run(app, some_inputs(), thrice, tuple_token);
        BOOST_TEST(ec3.failed());
        BOOST_TEST(c.stats().submit_retries == 2u);  // the client's own policy: 6 attempts
    });
}

BOOST_AUTO_TEST_SUITE_END()
