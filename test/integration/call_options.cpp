// SPDX-License-Identifier: BSL-1.0
// What one call may add to or change in its request: run_options' extra body
// fields and retainSeconds, and call_overrides (deadline, repeats, header
// fields) of run, call_api, query, wait, cancel and run_and_wait, as the
// service receives them.
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

BOOST_AUTO_TEST_CASE(query_wait_cancel_and_run_and_wait_take_a_calls_own_fields_and_deadline) {
    harness h;
    auto quoted = [](const rh::diagnostics& d, const std::string& line) {
        return d.body_excerpt.find(line) != std::string::npos;
    };
    run_test(h.io, [&]() -> asio::awaitable<void> {
        rh::ai_app app(app_id);
        auto [ec, t] = co_await h.c.run(app, some_inputs(), rh::run_options{}, tuple_token);
        BOOST_TEST_REQUIRE(!ec, ec.message());
        rh::poll_policy one_error = h.c.options().poll;
        one_error.max_poll_errors = 1;

        // The echoing 502 quotes the request head it received.
        h.emu.set_faults({rh::fault{rh::fault_kind::echo_request, 1.0, "/openapi/v2/query"}});
        rh::call_overrides traced;
        traced.headers = {{"X-Trace-Id", "trace-q"}};
        traced.retry = rh::retry_policy{1};
        auto [qec, q] = co_await h.c.query(t.id, traced, tuple_token);
        BOOST_TEST(qec.failed());
        BOOST_TEST(quoted(q.diag, "X-Trace-Id: trace-q"), q.diag.body_excerpt);
        BOOST_TEST(requests_to(h.emu, "POST /openapi/v2/query") == 1u);  // call.retry: no repeat

        // A wait's queries carry its fields; it ends on the failed query's diagnostics.
        rh::wait_options wo;
        wo.call.headers = {{"X-Trace-Id", "trace-w"}};
        wo.poll = one_error;
        auto [wec, w] = co_await h.c.wait(t.id, wo, tuple_token);
        BOOST_TEST(wec.failed());
        BOOST_TEST(quoted(w.diag, "X-Trace-Id: trace-w"), w.diag.body_excerpt);

        // run_and_wait: ro.call's fields on its submit and its queries.
        rh::run_options ro;
        ro.call.headers = {{"X-Trace-Id", "trace-rw"}};
        rh::run_and_wait_options rwo;
        rwo.poll = one_error;
        auto [rec, rr] = co_await h.c.run_and_wait(app, some_inputs(), ro, rwo, tuple_token);
        BOOST_TEST(rec.failed());
        BOOST_TEST(quoted(rr.t.diag, "X-Trace-Id: trace-rw"), rr.t.diag.body_excerpt);
        auto seen = h.emu.submitted(rr.t.id).value().headers;
        BOOST_TEST(std::count(seen.begin(), seen.end(), std::pair<std::string, std::string>{"X-Trace-Id", "trace-rw"}) == 1);

        h.emu.set_faults({rh::fault{rh::fault_kind::echo_request, 1.0, "/task/openapi/cancel"}});
        traced.headers = {{"X-Trace-Id", "trace-c"}};
        auto [cec, c] = co_await h.c.cancel(t.id, traced, tuple_token);
        BOOST_TEST(cec.failed());
        BOOST_TEST(quoted(c.diag, "X-Trace-Id: trace-c"), c.diag.body_excerpt);

        // A 2 s answer: the call's own 200 ms deadline ends a query and a wait
        // (a read timeout, not the wait's 20 s deadline).
        h.emu.set_faults({rh::fault{rh::fault_kind::delay, 1.0, "/openapi/v2/query", 2000ms}});
        rh::call_overrides quick;
        quick.timeout = 200ms;
        quick.retry = rh::retry_policy{1};
        auto [q2ec, q2] = co_await h.c.query(t.id, quick, tuple_token);
        BOOST_TEST((q2ec == rh::errc::read_timeout), q2ec.message());
        rh::wait_options wq;
        wq.timeout = 20s;
        wq.poll = one_error;
        wq.call.timeout = 200ms;
        auto [w2ec, w2] = co_await h.c.wait(t.id, wq, tuple_token);
        BOOST_TEST((w2ec == rh::errc::read_timeout), w2ec.message());
    });
    h.emu.set_faults({});
    auto sent = h.emu.counters().total_requests();
    h.io.restart();
    run_test(h.io, [&]() -> asio::awaitable<void> {
        // Refused before anything is sent, each naming the override.
        rh::wait_options repeats;
        repeats.call.retry = rh::retry_policy{3};
        auto [e1, t1] = co_await h.c.wait("1800000000000000001", repeats, tuple_token);
        BOOST_TEST((e1 == rh::errc::invalid_options));
        BOOST_TEST(t1.diag.server_message.find("wait_options::call.retry") != std::string::npos, t1.diag.server_message);
        rh::call_overrides zero;
        zero.timeout = 0ms;
        auto [e2, t2] = co_await h.c.query("1800000000000000001", zero, tuple_token);
        BOOST_TEST((e2 == rh::errc::invalid_options));
        BOOST_TEST(t2.diag.server_message.find("call_overrides::timeout") != std::string::npos, t2.diag.server_message);
        rh::call_overrides inverted;
        inverted.retry = rh::retry_policy{3, 5s, 1s};  // base_delay over max_delay
        auto [e4, t4] = co_await h.c.query("1800000000000000001", inverted, tuple_token);
        BOOST_TEST((e4 == rh::errc::invalid_options));
        BOOST_TEST(t4.diag.server_message.find("call_overrides::retry") != std::string::npos, t4.diag.server_message);
        rh::call_overrides smuggling;
        smuggling.headers = {{"X-Evil", "a\r\nHost: elsewhere"}};
        auto [e3, t3] = co_await h.c.cancel("1800000000000000001", smuggling, tuple_token);
        BOOST_TEST((e3 == rh::errc::invalid_options));
        BOOST_TEST(t3.diag.server_message.find("call_overrides::headers") != std::string::npos, t3.diag.server_message);
    });
    BOOST_TEST(h.emu.counters().total_requests() == sent);
}

BOOST_AUTO_TEST_SUITE_END()
