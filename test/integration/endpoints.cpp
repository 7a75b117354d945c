// SPDX-License-Identifier: BSL-1.0
// Every JSON endpoint of the reference beside v2 run/query, end to end against
// the emulator, with its error shapes: legacy task API, Standard Model API,
// account, webhook records, apiCallDemo, getJsonApiFormat.
#include "common.hpp"

#include <runninghub/webhook.hpp>

#include <boost/json.hpp>

namespace json = boost::json;

namespace {

const std::string wrong_key = "ffffffffffffffffffffffffffffffff";
const std::string unknown_task = "1800000000000000001";

std::vector<rh::node_input> prompt_input() { return {{"6", "text", "a cat in a hat"}}; }

} // namespace

BOOST_AUTO_TEST_SUITE(endpoints)

BOOST_AUTO_TEST_CASE(legacy_create_status_outputs) {
    auto eo = fast_emulator();
    eo.queue_time = 100ms;
    eo.outputs_lag = 300ms;
    harness h(eo);
    run_test(h.io, [&]() -> asio::awaitable<void> {
        rh::workflow wf(workflow_id);
        rh::run_options ro;
        ro.add_metadata = false;
        ro.instance_type = "plus";
        auto [ec, t] = co_await h.c.legacy_create(wf, prompt_input(), ro, tuple_token);
        BOOST_TEST_REQUIRE(!ec, ec.message() << " " << t.diag.to_string());
        BOOST_TEST(t.status == rh::task_status::queued);
        auto tips = rh::parse_prompt_tips(t.prompt_tips);
        BOOST_TEST_REQUIRE(tips.has_value());
        BOOST_TEST(!tips->has_node_errors());
        BOOST_TEST(tips->outputs_to_execute == std::vector<std::string>{"9"});

        auto [oec, queued] = co_await h.c.legacy_outputs(t.id, tuple_token);  // 813
        BOOST_TEST(!oec);
        BOOST_TEST(queued.status == rh::task_status::queued);
        auto [sec, st] = co_await h.c.legacy_status(t.id, tuple_token);
        BOOST_TEST(!sec);
        BOOST_TEST(st.status == rh::task_status::queued);

        // Legacy tasks are waited for through v2 query, as the official clients do.
        auto [wec, done] = co_await h.c.wait(t.id, {}, tuple_token);
        BOOST_TEST(!wec);
        BOOST_TEST(done.status == rh::task_status::success);
        auto [s2ec, st2] = co_await h.c.legacy_status(t.id, tuple_token);
        BOOST_TEST(st2.status == rh::task_status::success);

        // Outputs lag behind SUCCESS: 804 for a while, then the files.
        auto [lec, lagging] = co_await h.c.legacy_outputs(t.id, tuple_token);
        BOOST_TEST(!lec);
        BOOST_TEST(lagging.status == rh::task_status::running);
        co_await sleep_for(350ms);
        auto [fec, out] = co_await h.c.legacy_outputs(t.id, tuple_token);
        BOOST_TEST_REQUIRE(!fec);
        BOOST_TEST(out.status == rh::task_status::success);
        BOOST_TEST_REQUIRE(out.results.size() == 1u);
        BOOST_TEST(out.results[0].url == done.results[0].url);
        BOOST_TEST(out.results[0].output_type == "png");
        BOOST_TEST(out.usage.consume_coins.value_or("") == "10");
        BOOST_TEST(out.results[0].usage.consume_coins.value_or("") == "10");  // each item keeps its own
    });
    BOOST_TEST(requests_to(h.emu, "POST /task/openapi/outputs") == 3u);
    auto s = h.c.stats();
    BOOST_TEST(s.endpoints["POST /task/openapi/create"].ok == 1u);
    BOOST_TEST(s.endpoints["POST /task/openapi/outputs"].ok == 3u);
}

BOOST_AUTO_TEST_CASE(legacy_outputs_failed_and_empty) {
    auto eo = fast_emulator();
    eo.failure_rate = 1.0;
    eo.workflows.push_back("1904136902449209999");
    eo.result_kinds["1904136902449209999"] = rh::result_kind::none;
    harness h(eo);
    run_test(h.io, [&]() -> asio::awaitable<void> {
        rh::workflow wf(workflow_id);
        auto [ec, t] = co_await h.c.legacy_create(wf, prompt_input(), {}, tuple_token);
        BOOST_TEST_REQUIRE(!ec);
        co_await sleep_for(80ms);
        auto [oec, failed] = co_await h.c.legacy_outputs(t.id, tuple_token);  // 805
        BOOST_TEST(!oec);
        BOOST_TEST(failed.status == rh::task_status::failed);
        BOOST_TEST(failed.error_code == "805");
        BOOST_TEST(failed.failed_reason.exception_message() == "emulated failure");
    });
    h.emu.stop();

    auto eo2 = fast_emulator();
    eo2.result_kinds[workflow_id] = rh::result_kind::none;
    harness h2(eo2);
    run_test(h2.io, [&]() -> asio::awaitable<void> {
        rh::workflow wf(workflow_id);
        auto [ec, t] = co_await h2.c.legacy_create(wf, prompt_input(), {}, tuple_token);
        BOOST_TEST_REQUIRE(!ec);
        co_await sleep_for(80ms);
        auto [oec, out] = co_await h2.c.legacy_outputs(t.id, tuple_token);  // code 0, []
        BOOST_TEST(!oec);
        BOOST_TEST(out.status == rh::task_status::success);
        BOOST_TEST(out.results.empty());
    });
}

BOOST_AUTO_TEST_CASE(legacy_ai_app_and_quick_run) {
    harness h(fast_emulator());
    run_test(h.io, [&]() -> asio::awaitable<void> {
        rh::ai_app app(app_id);
        auto [ec, t] = co_await h.c.legacy_run(app, prompt_input(), {}, tuple_token);
        BOOST_TEST_REQUIRE(!ec, t.diag.to_string());
        BOOST_TEST(!t.id.empty());
        auto [qec, q] = co_await h.c.quick_run(app, "quick-001", prompt_input(), {}, tuple_token);
        BOOST_TEST_REQUIRE(!qec, q.diag.to_string());
        auto [wec, done] = co_await h.c.wait(q.id, {}, tuple_token);
        BOOST_TEST(done.status == rh::task_status::success);

        // Arguments checked before any request.
        auto [nec, n] = co_await h.c.quick_run(app, "", prompt_input(), {}, tuple_token);
        BOOST_TEST(nec == rh::errc::invalid_options);
        rh::run_options wo;
        wo.workflow_json = "{}";
        auto [wjec, wj] = co_await h.c.legacy_run(app, prompt_input(), wo, tuple_token);
        BOOST_TEST(wjec == rh::errc::invalid_options);

        // An empty input list: 803 from the service.
        std::vector<rh::node_input> none;
        auto [eec, e] = co_await h.c.legacy_run(app, none, {}, tuple_token);
        BOOST_TEST(eec == rh::errc::apikey_invalid_node_info);
        rh::ai_app unknown("1877265245566922000");
        auto [uec, u] = co_await h.c.legacy_run(unknown, prompt_input(), {}, tuple_token);
        BOOST_TEST(uec == rh::errc::webapp_not_exists);
        BOOST_TEST(u.diag.server_message == "WEBAPP_NOT_EXISTS");
    });
    BOOST_TEST(requests_to(h.emu, "POST /task/openapi/ai-app/run") == 3u);
    BOOST_TEST(requests_to(h.emu, "POST /task/openapi/quick-ai-app/run") == 1u);
}

BOOST_AUTO_TEST_CASE(create_rejected_by_validation_shows_node_errors) {
    harness h(fast_emulator());
    run_test(h.io, [&]() -> asio::awaitable<void> {
        rh::workflow wf(workflow_id);
        std::vector<rh::node_input> bad{{"99", "text", "x"}};
        auto [ec, t] = co_await h.c.legacy_create(wf, bad, {}, tuple_token);
        BOOST_TEST(ec == rh::errc::task_failed);
        BOOST_TEST(!t.id.empty());
        BOOST_TEST(t.diag.server_message.find("node_errors") != std::string::npos, t.diag.server_message);
        BOOST_TEST(t.diag.server_message.find("99") != std::string::npos);
        auto tips = rh::parse_prompt_tips(t.prompt_tips);
        BOOST_TEST_REQUIRE(tips.has_value());
        BOOST_TEST(tips->has_node_errors());
        BOOST_TEST(!tips->result);

        rh::run_options ro;
        ro.workflow_json = "{not json";
        auto [jec, j] = co_await h.c.legacy_create(wf, prompt_input(), ro, tuple_token);
        BOOST_TEST(jec == rh::errc::validate_prompt_failed);
        rh::workflow unknown("1904136902449200000");
        auto [uec, u] = co_await h.c.legacy_create(unknown, prompt_input(), {}, tuple_token);
        BOOST_TEST(uec == rh::errc::workflow_not_exists);
    });
    BOOST_TEST(h.c.stats().submits_unknown == 0u);
}

BOOST_AUTO_TEST_CASE(wrong_key_and_unknown_task) {
    rh::emulator emu(fast_emulator());
    asio::io_context io;
    auto o = fast_client(emu);
    o.api_key = wrong_key;
    rh::client bad(io.get_executor(), o);
    rh::client good(io.get_executor(), fast_client(emu));
    run_test(io, [&]() -> asio::awaitable<void> {
        rh::workflow wf(workflow_id);
        auto [c1, t1] = co_await bad.legacy_create(wf, prompt_input(), {}, tuple_token);
        BOOST_TEST(c1 == rh::errc::apikey_unauthorized);
        auto [c2, t2] = co_await bad.legacy_status(unknown_task, tuple_token);
        BOOST_TEST(c2 == rh::errc::apikey_unauthorized);
        auto [c3, a] = co_await bad.account(tuple_token);
        BOOST_TEST(c3 == rh::errc::apikey_unauthorized);
        BOOST_TEST(a.diag.server_message == "APIKEY_UNAUTHORIZED");
        auto [c4, info] = co_await bad.app_details(rh::ai_app(app_id), tuple_token);
        BOOST_TEST(c4 == rh::errc::apikey_unauthorized);
        json::object params{{"prompt", "x"}};  // named: g++ 12 refuses braced lists inside co_await
        auto [c5, m] = co_await bad.call_model("rhart-image-v1/text-to-image", params, tuple_token);
        BOOST_TEST(c5 == rh::errc::invalid_api_key);

        auto [c9, s9] = co_await good.legacy_status(unknown_task, tuple_token);
        BOOST_TEST(c9 == rh::errc::apikey_task_not_found);
        BOOST_TEST(s9.diag.endpoint == "POST /task/openapi/status");
        auto [c10, s10] = co_await good.legacy_outputs(unknown_task, tuple_token);
        BOOST_TEST(c10 == rh::errc::apikey_task_not_found);
        BOOST_TEST(s10.diag.endpoint == "POST /task/openapi/outputs");
        auto [c6, w] = co_await good.webhook_detail(unknown_task, tuple_token);
        BOOST_TEST(c6 == rh::errc::apikey_task_not_found);
        auto [c7, ack] = co_await good.cancel(unknown_task, tuple_token);
        BOOST_TEST(c7 == rh::errc::apikey_task_not_found);
        auto [c8, bad_id] = co_await good.legacy_status("12 34", tuple_token);
        BOOST_TEST(c8 == rh::errc::invalid_options);
    });
}

BOOST_AUTO_TEST_CASE(cancelled_task_in_every_view) {
    harness h(fast_emulator(5s));
    run_test(h.io, [&]() -> asio::awaitable<void> {
        rh::workflow wf(workflow_id);
        auto [ec, t] = co_await h.c.legacy_create(wf, prompt_input(), {}, tuple_token);
        BOOST_TEST_REQUIRE(!ec);
        auto [cec, c] = co_await h.c.cancel(t.id, tuple_token);
        BOOST_TEST(!cec);
        auto [qec, q] = co_await h.c.query(t.id, tuple_token);
        BOOST_TEST(q.status == rh::task_status::cancel);
        auto [sec, s] = co_await h.c.legacy_status(t.id, tuple_token);  // the legacy view knows four states
        BOOST_TEST(s.status == rh::task_status::failed);
        auto [oec, out] = co_await h.c.legacy_outputs(t.id, tuple_token);
        BOOST_TEST(out.status == rh::task_status::failed);
    });
    BOOST_TEST(h.emu.counters().tasks_cancelled == 1u);
}

BOOST_AUTO_TEST_CASE(account_status_counts) {
    harness h(fast_emulator(2s));
    run_test(h.io, [&]() -> asio::awaitable<void> {
        rh::ai_app app(app_id);
        for (int i = 0; i < 3; ++i) {
            auto [ec, t] = co_await h.c.run(app, some_inputs(), {}, tuple_token);
            BOOST_TEST_REQUIRE(!ec);
        }
        auto [ec, a] = co_await h.c.account(tuple_token);
        BOOST_TEST_REQUIRE(!ec, a.diag.to_string());
        BOOST_TEST(a.remain_coins == "99970");
        BOOST_TEST(a.current_task_counts == "3");
        BOOST_TEST(!a.remain_money.has_value());
        BOOST_TEST(!a.currency.has_value());
        BOOST_TEST(a.api_type == "NORMAL");
    });
}

BOOST_AUTO_TEST_CASE(queue_status_is_typed) {
    auto eo = fast_emulator(2s);
    eo.concurrency_limit = 7;
    harness h(eo);
    run_test(h.io, [&]() -> asio::awaitable<void> {
        rh::ai_app app(app_id);
        for (int i = 0; i < 2; ++i) {
            auto [ec, t] = co_await h.c.run(app, some_inputs(), {}, tuple_token);
            BOOST_TEST_REQUIRE(!ec);
        }
        auto [ec, q] = co_await h.c.queue_status(tuple_token);
        BOOST_TEST_REQUIRE(!ec, q.diag.to_string());
        BOOST_TEST(q.key_type == "SHARED");
        BOOST_TEST(q.concurrent_limit == 7u);
        BOOST_TEST(q.running == 2u);
        BOOST_TEST(q.total == 2u);
        BOOST_TEST(h.c.stats().endpoints.at("GET /openapi/v2/queue/status").ok == 1u);
        // Without a valid key: the service's code, typed as an error.
        auto opts = h.c.options();
        opts.api_key = "not-a-key-of-this-emulator";
        rh::client stranger(h.io.get_executor(), opts);
        auto [bad, none] = co_await stranger.queue_status(tuple_token);
        BOOST_TEST((bad == rh::errc::invalid_api_key), bad.message());
        BOOST_TEST(none.diag.endpoint == "GET /openapi/v2/queue/status");
    });
}

BOOST_AUTO_TEST_CASE(webhook_detail_and_retry) {
    harness h(fast_emulator());
    rh::webhook_options wo;
    wo.secret = "a-secret-of-the-tests";
    rh::webhook_listener l(h.io.get_executor(), wo);
    std::vector<std::string> events;
    l.subscribe([&](const rh::webhook_event& e) { events.push_back(e.task_id); });
    run_test(h.io, [&]() -> asio::awaitable<void> {
        rh::workflow wf(workflow_id);
        rh::run_options ro;
        ro.webhook_url = l.callback_url();
        auto [ec, t] = co_await h.c.legacy_create(wf, prompt_input(), ro, tuple_token);
        BOOST_TEST_REQUIRE(!ec);
        co_await h.c.wait(t.id, {}, tuple_token);
        for (int i = 0; i < 100 && events.empty(); ++i)
            co_await sleep_for(10ms);
        BOOST_TEST_REQUIRE(events.size() == 1u);
        auto [dec, rec] = co_await h.c.webhook_detail(t.id, tuple_token);
        BOOST_TEST_REQUIRE(!dec, rec.diag.to_string());
        BOOST_TEST(rec.task_id == t.id);
        BOOST_TEST(rec.webhook_url == l.callback_url());
        BOOST_TEST(rec.callback_status == "SUCCESS");
        BOOST_TEST(rec.retry_count == 0u);
        BOOST_TEST(rec.event_data.find("TASK_END") != std::string::npos);
        BOOST_TEST(!rec.create_time.empty());

        auto [rec_ec, ack] = co_await h.c.retry_webhook(rec.id, l.callback_url(), tuple_token);
        BOOST_TEST(!rec_ec, ack.diag.to_string());
        for (int i = 0; i < 100 && l.stats().duplicates == 0; ++i)
            co_await sleep_for(10ms);
        BOOST_TEST(l.stats().duplicates == 1u);  // delivered again, deduplicated by the listener

        auto [uec, u] = co_await h.c.retry_webhook("123", l.callback_url(), tuple_token);
        BOOST_TEST(uec == rh::errc::params_invalid);
        auto [iec, i] = co_await h.c.retry_webhook(rec.id, "not a url", tuple_token);
        BOOST_TEST(iec == rh::errc::invalid_options);
        l.close();  // lets the io_context run out of work
    });
    BOOST_TEST(h.emu.counters().webhook_retries_requested == 1u);
}

BOOST_AUTO_TEST_CASE(app_details_turn_into_inputs) {
    harness h(fast_emulator());
    run_test(h.io, [&]() -> asio::awaitable<void> {
        rh::ai_app app(app_id);
        auto [ec, info] = co_await h.c.app_details(app, tuple_token);
        BOOST_TEST_REQUIRE(!ec, info.diag.to_string());
        BOOST_TEST(info.name.find(app_id) != std::string::npos);
        BOOST_TEST(info.nodes.size() == 4u);
        auto* ratio = info.find("12", "aspect_ratio");
        BOOST_TEST_REQUIRE(ratio != nullptr);
        BOOST_TEST(ratio->field_type == "LIST");
        BOOST_TEST(ratio->field_data.find("1:1 (Square)") != std::string::npos);
        BOOST_TEST(info.find("12", "nope") == nullptr);

        auto inputs = info.inputs();
        inputs[0] = info.nodes[0].with("a dog on the moon");
        auto [rec, t] = co_await h.c.run(app, inputs, {}, tuple_token);
        BOOST_TEST(!rec);

        rh::ai_app unknown("1877265245566922000");
        auto [uec, u] = co_await h.c.app_details(unknown, tuple_token);
        BOOST_TEST(uec == rh::errc::webapp_not_exists);
    });
    BOOST_TEST(requests_to(h.emu, "GET /api/webapp/apiCallDemo") == 2u);
}

BOOST_AUTO_TEST_CASE(workflow_json_format) {
    harness h(fast_emulator());
    run_test(h.io, [&]() -> asio::awaitable<void> {
        rh::workflow wf(workflow_id);
        auto [ec, w] = co_await h.c.workflow_json(wf, tuple_token);
        BOOST_TEST_REQUIRE(!ec, w.diag.to_string());
        auto prompt = json::parse(w.prompt).as_object();
        BOOST_TEST(prompt.at("3").at("class_type").as_string() == "KSampler");

        // The API format goes back as run_options::workflow_json.
        rh::run_options ro;
        ro.workflow_json = w.prompt;
        auto [rec, t] = co_await h.c.run(wf, some_inputs(), ro, tuple_token);
        BOOST_TEST(!rec);

        rh::workflow unknown("1904136902449200000");
        auto [uec, u] = co_await h.c.workflow_json(unknown, tuple_token);
        BOOST_TEST(uec == rh::errc::workflow_not_exists);
    });
}

BOOST_AUTO_TEST_CASE(standard_model_api) {
    harness h(fast_emulator());
    run_test(h.io, [&]() -> asio::awaitable<void> {
        // Booleans and numbers keep their JSON types (the emulator refuses strings there).
        json::object params{{"prompt", "a red fox"}, {"seed", 42}, {"enablePromptExpansion", true}, {"width", 1024}};
        auto [ec, t] = co_await h.c.call_model("rhart-image-v1/text-to-image", params, tuple_token);
        BOOST_TEST_REQUIRE(!ec, t.diag.to_string());
        BOOST_TEST(t.status == rh::task_status::running);
        auto [wec, done] = co_await h.c.wait(t.id, {}, tuple_token);
        BOOST_TEST(!wec);
        BOOST_TEST(done.results.size() == 1u);

        // An endpoint that answers SUCCESS at once: returned as such.
        json::object quick{{"prompt", "a blue fox"}};
        auto [iec, instant] = co_await h.c.call_model("rhart-image-v1/instant", quick, tuple_token);
        BOOST_TEST_REQUIRE(!iec);
        BOOST_TEST(instant.status == rh::task_status::success);
        BOOST_TEST(instant.results.size() == 1u);

        json::object stringly{{"prompt", "x"}, {"seed", "42"}};
        auto [sec, s] = co_await h.c.call_model("rhart-image-v1/text-to-image", stringly, tuple_token);
        BOOST_TEST(sec == rh::errc::invalid_parameters);
        auto [uec, u] = co_await h.c.call_model("no-such/model", quick, tuple_token);
        BOOST_TEST(uec == rh::errc::invalid_url);
        auto [bec, b] = co_await h.c.call_model("../query", quick, tuple_token);
        BOOST_TEST(bec == rh::errc::invalid_options);
    });
    BOOST_TEST(h.c.stats().tasks_in_flight == 0u);
    BOOST_TEST(h.emu.counters().tasks_created == 2u);
    BOOST_TEST(requests_to(h.emu, "POST /openapi/v2/query") >= 1u);
}

BOOST_AUTO_TEST_CASE(untyped_endpoints_through_call_api) {
    auto eo = fast_emulator();
    eo.run_time = 2s;
    eo.concurrency_limit = 7;
    harness h(eo);
    run_test(h.io, [&]() -> asio::awaitable<void> {
        rh::ai_app app(app_id);
        auto [rec, t] = co_await h.c.run(app, some_inputs(), {}, tuple_token);
        BOOST_TEST_REQUIRE(!rec);

        rh::api_request queue(rh::api_method::get, "/openapi/v2/queue/status");
        auto [qec, q] = co_await h.c.call_api(queue, tuple_token);
        BOOST_TEST_REQUIRE(!qec, q.diag.to_string());
        BOOST_TEST(q.data.at("concurrentLimit").to_number<int>() == 7);
        BOOST_TEST(q.data.at("runningCount").to_number<int>() == 1);

        json::object page{{"current", 1}, {"size", 10}, {"sort", "RECOMMEND"}, {"days", 7}};
        rh::api_request apps(rh::api_method::post, "/openapi/v2/aiapp/list", page);
        auto [aec, a] = co_await h.c.call_api(apps, tuple_token);
        BOOST_TEST_REQUIRE(!aec, a.diag.to_string());
        BOOST_TEST(a.data.at("records").as_array().size() == 1u);
        BOOST_TEST(a.data.at("hasNext").as_bool() == false);

        rh::api_request keys(rh::api_method::get, "/openapi/v2/api-key/list");
        auto [kec, k] = co_await h.c.call_api(keys, tuple_token);
        BOOST_TEST(!kec);
        BOOST_TEST(k.data.as_array().size() == 1u);

        json::object fox{{"prompt", "a fox"}};
        rh::api_request price(rh::api_method::post, "/openapi/v2/price-preview/rhart-image-v1/text-to-image", fox);
        auto [pec, p] = co_await h.c.call_api(price, tuple_token);
        BOOST_TEST(!pec);
        BOOST_TEST(p.data.at("price").as_string() == "0.10");

        rh::api_request models(rh::api_method::post, "/openapi/v2/resource/list");
        auto [mec, m] = co_await h.c.call_api(models, tuple_token);
        BOOST_TEST(!mec);
        BOOST_TEST(m.data.at("records").as_array().size() == 3u);

        json::object preset_body{{"type", 2}, {"webappId", app_id}};
        rh::api_request presets(rh::api_method::post, "/api/fast/creation/model/params", preset_body);
        presets.key_in_body = true;
        auto [fec, f] = co_await h.c.call_api(presets, tuple_token);
        BOOST_TEST(!fec, f.diag.to_string());
        BOOST_TEST(f.data.as_array().size() == 2u);

        // Errors in both envelopes, and a path refused before sending.
        json::object big{{"size", 500}};
        rh::api_request too_big(rh::api_method::post, "/openapi/v2/aiapp/list", big);
        auto [bec, b] = co_await h.c.call_api(too_big, tuple_token);
        BOOST_TEST(bec == rh::errc::invalid_parameters);
        rh::api_request unknown_price(rh::api_method::post, "/openapi/v2/price-preview/no/such", fox);
        auto [uec, u] = co_await h.c.call_api(unknown_price, tuple_token);
        BOOST_TEST(uec == rh::errc::invalid_url);
        BOOST_TEST(u.diag.server_message == "Invalid URL");
        rh::api_request bad(rh::api_method::post, "/openapi/../x");
        auto [xec, x] = co_await h.c.call_api(bad, tuple_token);
        BOOST_TEST(xec == rh::errc::invalid_options);
        // A POST is not repeated on a transient fault unless it says it may be (issue 10: it was, by default).
        h.emu.set_faults({{rh::fault_kind::drop_after_processing, 1.0, "/resource/list", 0ms, 1, 2}});
        auto before = h.emu.counters().total_requests();
        rh::api_request once(rh::api_method::post, "/openapi/v2/resource/list");
        auto [oec, o] = co_await h.c.call_api(once, tuple_token);
        BOOST_TEST(rh::is_retryable(oec), oec.message());
        BOOST_TEST(h.emu.counters().total_requests() - before == 1u);
        rh::api_request read(rh::api_method::post, "/openapi/v2/resource/list");
        read.idempotent = true;  // a read: the second drop is repeated, the third try answers
        auto [rec2, r2] = co_await h.c.call_api(read, tuple_token);
        BOOST_TEST(!rec2, rec2.message());
        BOOST_TEST(h.emu.counters().total_requests() - before == 3u);
    });
    BOOST_TEST(h.c.stats().endpoints["GET /openapi/v2/queue/status"].ok == 1u);
}

BOOST_AUTO_TEST_CASE(a_v2_webapp_not_exists_with_code_1_is_901) {
    // Issue 10: v2 answers an unknown app {"code":1,"msg":"webapp not exists"}; it was
    // errc::general_failure (code 1), which no one catches as "not found".
    auto eo = fast_emulator();
    eo.v2_unknown_app_as_code_1 = true;
    harness h(eo);
    run_test(h.io, [&]() -> asio::awaitable<void> {
        auto [ec, t] = co_await h.c.run(rh::ai_app("1"), some_inputs(), rh::run_options{}, tuple_token);
        BOOST_TEST(ec == rh::errc::webapp_not_exists, ec.message());
        BOOST_TEST((ec == rh::condition::not_found));
        BOOST_TEST(t.diag.server_code == "1");
        BOOST_TEST(t.diag.server_message == "webapp not exists");
    });
}

BOOST_AUTO_TEST_CASE(status_changes_are_reported_while_waiting) {
    // Issue 10: wait_options::on_status / run_and_wait_options::on_status see each new
    // status before the end (QUEUED, then RUNNING); the end goes to the handler.
    auto eo = fast_emulator(1s);
    eo.queue_time = 1s;
    harness h(eo);
    rh::poll_policy often;
    often.first_delay = 50ms;
    often.interval = 100ms;
    often.learn = false;
    std::vector<rh::task_status> seen, seen2;
    run_test(h.io, [&]() -> asio::awaitable<void> {
        auto t = co_await h.c.run(rh::ai_app(app_id), some_inputs());
        rh::wait_options wo;
        wo.poll = often;
        wo.on_status = [&](const rh::task& s) {
            BOOST_TEST(s.id == t.id);
            seen.push_back(s.status);
        };
        auto done = co_await h.c.wait(t.id, wo);
        BOOST_TEST((done.status == rh::task_status::success));
        rh::run_and_wait_options ro;
        ro.poll = often;
        ro.on_status = [&](const rh::task& s) { seen2.push_back(s.status); };
        auto r = co_await h.c.run_and_wait(rh::ai_app(app_id), some_inputs(), {}, ro);
        BOOST_TEST((r.t.status == rh::task_status::success));
    });
    for (auto* v : {&seen, &seen2}) {
        std::cout << "status events:";
        for (auto s : *v)
            std::cout << " " << rh::to_string(s);
        std::cout << "\n";
        BOOST_TEST(!v->empty());  // at least the first query's QUEUED (the task queues for 1 s)
        for (std::size_t i = 0; i < v->size(); ++i) {
            BOOST_TEST(!rh::is_terminal((*v)[i]));
            if (i)
                BOOST_TEST(((*v)[i] != (*v)[i - 1]));
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
