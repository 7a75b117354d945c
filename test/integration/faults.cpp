// SPDX-License-Identifier: BSL-1.0
// Faults, phase timeouts and TLS verification, over loopback sockets.
#include "common.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/json/string.hpp>

#include <thread>

using tcp = asio::ip::tcp;

namespace {

rh::fault once(rh::fault_kind k, std::string path, std::chrono::milliseconds delay = 0ms) {
    return {k, 1.0, std::move(path), delay, 1, 1};
}

rh::fault always(rh::fault_kind k, std::string path) { return {k, 1.0, std::move(path)}; }

// A client of `url` that tries each call once, so that a phase timeout is what it reports.
rh::client_options single_try(std::string url) {
    rh::client_options o;
    o.api_key = rh::emulator::default_api_key;
    o.base_url = std::move(url);
    o.retry.query.max_attempts = 1;
    o.retry.submit.max_attempts = 1;
    return o;
}

// A TCP server that accepts and then does nothing at all (or, with
// accept=false, never accepts), on its own thread.
struct silent_server {
    explicit silent_server(bool accept = true, int backlog = 16) : acceptor(io) {
        tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
        acceptor.open(ep.protocol());
        acceptor.bind(ep);
        acceptor.listen(backlog);
        port = acceptor.local_endpoint().port();
        if (accept)
            do_accept();
        thread = std::thread([this] { io.run(); });
    }
    ~silent_server() {
        io.stop();
        thread.join();
    }
    void do_accept() {
        acceptor.async_accept([this](rh::error_code ec, tcp::socket s) {
            if (ec)
                return;
            held.push_back(std::move(s));
            do_accept();
        });
    }
    std::string url(const char* scheme) const { return std::string(scheme) + "://127.0.0.1:" + std::to_string(port); }

    asio::io_context io;
    tcp::acceptor acceptor;
    std::vector<tcp::socket> held;
    unsigned short port = 0;
    std::thread thread;
};

} // namespace

BOOST_AUTO_TEST_SUITE(faults)

BOOST_AUTO_TEST_CASE(query_faults_are_retried) {
    harness h;
    auto& [emu, io, c] = h;
    run_test(io, [&]() -> asio::awaitable<void> {
        rh::ai_app app(app_id);
        auto t = co_await c.run(app, some_inputs());
        using k = rh::fault_kind;
        for (auto kind : {k::http_502, k::http_503_empty, k::http_503_html, k::http_429, k::busy_1003, k::busy_1011,
                          k::drop_before_processing, k::drop_after_processing, k::malformed_json,
                          k::connection_close, k::delay}) {
            emu.set_faults({once(kind, "/openapi/v2/query", 20ms)});
            auto before = c.stats();
            auto [ec, q] = co_await c.query(t.id, tuple_token);
            BOOST_TEST(!ec, rh::to_string(kind) << ": " << ec.message());
            BOOST_TEST(q.id == t.id, rh::to_string(kind));
            auto after = c.stats();
            auto repeats = (after.query_retries - before.query_retries) +
                           (after.pool.stale_retries - before.pool.stale_retries);
            bool served_normally = kind == k::connection_close || kind == k::delay;
            BOOST_TEST(repeats == (served_normally ? 0u : 1u), rh::to_string(kind));
            BOOST_TEST(emu.counters().faults[std::string(rh::to_string(kind))] == 1u);
        }
    });
}

BOOST_AUTO_TEST_CASE(persistent_query_faults_are_named) {
    rh::emulator emu(fast_emulator());
    asio::io_context io;
    auto opts = fast_client(emu);
    opts.retry.query.max_attempts = 2;
    rh::client c(io.get_executor(), opts);
    run_test(io, [&]() -> asio::awaitable<void> {
        rh::ai_app app(app_id);
        auto t = co_await c.run(app, some_inputs());
        using k = rh::fault_kind;
        auto expect = [&](k kind, rh::errc e, unsigned status) -> asio::awaitable<void> {
            emu.set_faults({always(kind, "/openapi/v2/query")});
            auto [ec, q] = co_await c.query(t.id, tuple_token);
            BOOST_TEST(ec == e, rh::to_string(kind) << ": " << ec.message());
            BOOST_TEST(q.diag.http_status == status, rh::to_string(kind));
            BOOST_TEST(q.diag.endpoint == "POST /openapi/v2/query");
        };
        co_await expect(k::http_502, rh::errc::http_server_error, 502);
        co_await expect(k::http_503_empty, rh::errc::http_server_error, 503);
        co_await expect(k::http_503_html, rh::errc::http_server_error, 503);
        co_await expect(k::http_429, rh::errc::http_too_many_requests, 429);
        co_await expect(k::busy_1003, rh::errc::rate_limit_exceeded, 200);
        co_await expect(k::busy_1011, rh::errc::system_busy, 200);
        co_await expect(k::malformed_json, rh::errc::protocol_error, 200);
        emu.set_faults({always(k::drop_before_processing, "/openapi/v2/query")});
        auto [ec, q] = co_await c.query(t.id, tuple_token);
        BOOST_TEST(ec.failed());
        BOOST_TEST(rh::is_retryable(ec), ec.message());
        emu.set_faults({});
    });
}

BOOST_AUTO_TEST_CASE(submit_faults_are_named_and_never_repeated) {
    harness h;
    auto& [emu, io, c] = h;
    run_test(io, [&]() -> asio::awaitable<void> {
        rh::ai_app app(app_id);
        co_await c.run(app, some_inputs());
        using k = rh::fault_kind;
        struct expectation {
            k kind;
            rh::errc code;  // errc{} for success
            bool created;
        };
        for (auto [kind, code, created] : std::vector<expectation>{
                 {k::http_502, rh::errc::submit_outcome_unknown, false},
                 {k::http_503_empty, rh::errc::submit_outcome_unknown, false},
                 {k::http_503_html, rh::errc::submit_outcome_unknown, false},
                 // Busy: the service does not say that no task was created (issue 11), so never repeated.
                 {k::http_429, rh::errc::submit_outcome_unknown, false},
                 {k::busy_1003, rh::errc::submit_outcome_unknown, false},
                 {k::busy_1011, rh::errc::submit_outcome_unknown, false},
                 {k::drop_before_processing, rh::errc::submit_outcome_unknown, false},
                 {k::drop_after_processing, rh::errc::submit_outcome_unknown, true},
                 {k::malformed_json, rh::errc::submit_outcome_unknown, true},
                 {k::connection_close, rh::errc{}, true},
                 {k::delay, rh::errc{}, true}}) {
            emu.set_faults({once(kind, "/run/", 20ms)});
            auto tasks_before = emu.counters().tasks_created;
            auto runs_before = requests_to(emu, "POST /openapi/v2/run/ai-app");
            auto [ec, t] = co_await c.run(app, some_inputs(), {}, tuple_token);
            if (code == rh::errc{})
                BOOST_TEST(!ec, rh::to_string(kind) << ": " << ec.message());
            else
                BOOST_TEST(ec == code, rh::to_string(kind) << ": " << ec.message());
            if (ec == rh::errc::submit_outcome_unknown)
                BOOST_TEST(t.diag.cause.failed(), rh::to_string(kind));
            BOOST_TEST(emu.counters().tasks_created - tasks_before == (created ? 1u : 0u), rh::to_string(kind));
            BOOST_TEST(requests_to(emu, "POST /openapi/v2/run/ai-app") - runs_before == 1u, rh::to_string(kind));
        }
    });
}

BOOST_AUTO_TEST_CASE(busy_answers_after_the_task_was_created_are_never_resubmitted) {
    // A service that creates the task and then answers 429, 1003 or 1011: before,
    // each was sent again (54 tasks for 50). Now the outcome is unknown, one task.
    harness h;
    auto& [emu, io, c] = h;
    run_test(io, [&]() -> asio::awaitable<void> {
        using k = rh::fault_kind;
        rh::ai_app app(app_id);
        for (auto kind : {k::http_429, k::busy_1003, k::busy_1011}) {
            rh::fault f{kind, 1.0, "/run/"};
            f.max_count = 1;
            f.after_processing = true;
            emu.set_faults({f});
            auto tasks_before = emu.counters().tasks_created;
            auto [ec, t] = co_await c.run(app, some_inputs(), {}, tuple_token);
            BOOST_TEST(ec == rh::errc::submit_outcome_unknown, rh::to_string(kind) << ": " << ec.message());
            BOOST_TEST(t.diag.cause.failed(), rh::to_string(kind));
            BOOST_TEST(emu.counters().tasks_created - tasks_before == 1u, rh::to_string(kind));
        }
        BOOST_TEST(c.stats().submit_retries == 0u);
    });
}

BOOST_AUTO_TEST_CASE(wait_rides_out_transient_query_faults) {
    harness h;
    auto& [emu, io, c] = h;
    run_test(io, [&]() -> asio::awaitable<void> {
        rh::ai_app app(app_id);
        auto t = co_await c.run(app, some_inputs());
        emu.set_faults({{rh::fault_kind::http_503_empty, 1.0, "/openapi/v2/query", 0ms, 1, 3}});
        auto done = co_await c.wait(t.id);
        BOOST_TEST(done.status == rh::task_status::success);
        BOOST_TEST(emu.counters().faults["http_503_empty"] == 3u);
    });
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(timeouts)

BOOST_AUTO_TEST_CASE(read_timeout) {
    rh::emulator emu(fast_emulator());
    asio::io_context io;
    auto opts = fast_client(emu);
    opts.timeout.read = 200ms;
    opts.retry.query.max_attempts = 1;
    rh::client c(io.get_executor(), opts);
    run_test(io, [&]() -> asio::awaitable<void> {
        rh::ai_app app(app_id);
        auto t = co_await c.run(app, some_inputs());
        emu.set_faults({always(rh::fault_kind::delay, "/openapi/v2/query")});
        emu.set_faults({{rh::fault_kind::delay, 1.0, "/openapi/v2/query", 2000ms}});
        auto start = rh::clock::now();
        auto [ec, q] = co_await c.query(t.id, tuple_token);
        BOOST_TEST(ec == rh::errc::read_timeout);
        BOOST_TEST(seconds_since(start) < 1.5);
        BOOST_TEST(c.stats().pool.closed_timeout == 1u);
        // A submit whose answer timed out may exist: its outcome is unknown.
        emu.set_faults({{rh::fault_kind::delay, 1.0, "/run/", 2000ms}});
        auto [rec, r] = co_await c.run(app, some_inputs(), {}, tuple_token);
        BOOST_TEST(rec == rh::errc::submit_outcome_unknown);
        BOOST_TEST(r.diag.cause == rh::errc::read_timeout);
    });
}

BOOST_AUTO_TEST_CASE(connect_timeout) {
    silent_server server(false, 0);
    // Fill the accept queue so that further SYNs are dropped.
    asio::io_context fill_io;
    std::vector<tcp::socket> fillers;
    for (int i = 0; i < 4; ++i) {
        fillers.emplace_back(fill_io);
        fillers.back().async_connect({asio::ip::make_address("127.0.0.1"), server.port}, [](rh::error_code) {});
    }
    fill_io.run_for(200ms);
    asio::io_context io;
    auto o = single_try(server.url("http"));
    o.timeout.connect = 200ms;
    rh::client c(io.get_executor(), o);
    run_test(io, [&]() -> asio::awaitable<void> {
        auto start = rh::clock::now();
        auto [ec, q] = co_await c.query("1", tuple_token);
        BOOST_TEST(ec == rh::errc::connect_timeout, ec.message());
        BOOST_TEST(seconds_since(start) < 1.5);
        BOOST_TEST(c.stats().pool.connect_failures == 1u);
    });
}

BOOST_AUTO_TEST_CASE(tls_handshake_timeout) {
    silent_server server;
    asio::io_context io;
    auto o = single_try(server.url("https"));
    o.timeout.tls_handshake = 200ms;
    rh::client c(io.get_executor(), o);
    run_test(io, [&]() -> asio::awaitable<void> {
        auto start = rh::clock::now();
        auto [ec, q] = co_await c.query("1", tuple_token);
        BOOST_TEST(ec == rh::errc::tls_handshake_timeout, ec.message());
        BOOST_TEST(seconds_since(start) < 1.5);
    });
}

BOOST_AUTO_TEST_CASE(write_timeout) {
    silent_server server;
    asio::io_context io;
    auto o = single_try(server.url("http"));
    o.timeout.write = 300ms;
    rh::client c(io.get_executor(), o);
    run_test(io, [&]() -> asio::awaitable<void> {
        rh::ai_app app(app_id);
        std::vector<rh::node_input> huge{{"9", "text", boost::json::string(64u << 20, 'x')}};
        auto start = rh::clock::now();
        auto [ec, t] = co_await c.run(app, std::move(huge), {}, tuple_token);
        BOOST_TEST(ec == rh::errc::write_timeout, ec.message());
        // The deadline held: a hung write would end only at run_test's limit. Not a speed
        // check: encoding the 64 MB body alone takes seconds under ASan at -O0.
        std::cout << "write_timeout: " << seconds_since(start) << " s\n";
        BOOST_TEST(seconds_since(start) < 30.0);
        BOOST_TEST(c.stats().submits_unknown == 0u);  // not fully sent: no task can exist
    });
}

BOOST_AUTO_TEST_CASE(resolve_timeout) {
    asio::io_context io;
    auto o = single_try("http://localhost:1");
    o.timeout.resolve = std::chrono::nanoseconds(1);
    rh::client c(io.get_executor(), o);
    run_test(io, [&]() -> asio::awaitable<void> {
        auto [ec, q] = co_await c.query("1", tuple_token);
        BOOST_TEST(ec == rh::errc::resolve_timeout, ec.message());
    });
}

BOOST_AUTO_TEST_CASE(pool_wait_is_bounded) {
    rh::emulator emu(fast_emulator());
    asio::io_context io;
    auto opts = fast_client(emu);
    opts.pool.max_connections = 1;
    opts.timeout.request = 3s;
    opts.timeout.pool_wait = 200ms;
    opts.retry.query.max_attempts = 1;
    rh::client c(io.get_executor(), opts);
    emu.set_faults({{rh::fault_kind::delay, 1.0, "/openapi/v2/query", 800ms}});
    std::vector<std::pair<rh::error_code, double>> results;
    auto start = rh::clock::now();
    for (int i = 0; i < 2; ++i)
        c.query("1900000000000000001", [&](rh::error_code ec, rh::task) {
            results.emplace_back(ec, seconds_since(start));
        });
    io.run_for(10s);
    BOOST_REQUIRE(results.size() == 2u);
    BOOST_TEST(results[0].first == rh::errc::pool_wait_timeout);  // the second, queued for the one connection
    BOOST_TEST(results[0].second < 0.7);
    BOOST_TEST(results[1].first == rh::errc::task_not_found_or_expired);  // the first got its (slow) answer
    BOOST_TEST(c.stats().pool.waiters_now == 0u);
    BOOST_TEST(c.stats().pool.waiters_peak == 1u);

    // Without pool_wait, the request's own deadline bounds the queue.
    opts.timeout.pool_wait = 0s;
    opts.timeout.request = 300ms;
    rh::client c2(io.get_executor(), opts);
    emu.set_faults({{rh::fault_kind::delay, 1.0, "/openapi/v2/query", 2000ms}});
    std::vector<rh::error_code> r2;
    c2.query("1900000000000000001", [&](rh::error_code ec, rh::task) { r2.push_back(ec); });
    asio::steady_timer later(io, 100ms);
    later.async_wait([&](rh::error_code) {
        c2.query("1900000000000000001", [&](rh::error_code ec, rh::task) { r2.push_back(ec); });
    });
    io.restart();
    io.run_for(10s);
    BOOST_REQUIRE(r2.size() == 2u);
    BOOST_TEST(r2[0] == rh::errc::read_timeout);
    BOOST_TEST(r2[1].failed());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(tls)

BOOST_AUTO_TEST_CASE(untrusted_certificate_rejected) {
    rh::emulator emu(fast_emulator());
    asio::io_context io;
    auto opts = fast_client(emu);
    opts.ca_pem.clear();  // the system store does not know the emulator's CA
    std::vector<std::string> lines;
    opts.logger = [&](rh::log_level, std::string_view l) { lines.emplace_back(l); };
    rh::client c(io.get_executor(), opts);
    run_test(io, [&]() -> asio::awaitable<void> {
        rh::ai_app app(app_id);
        auto [ec, t] = co_await c.run(app, some_inputs(), {}, tuple_token);
        BOOST_TEST(ec.failed());
        BOOST_TEST(ec != rh::errc::submit_outcome_unknown);  // nothing was sent
        BOOST_TEST(!rh::is_retryable(ec));
        BOOST_TEST(t.diag.server_message.find("certificate verification failed") != std::string::npos,
                   t.diag.server_message);
    });
    BOOST_TEST(emu.counters().tasks_created == 0u);
    BOOST_TEST(!lines.empty());
}

BOOST_AUTO_TEST_CASE(wrong_host_name_rejected) {
    auto eo = fast_emulator();
    eo.certificate_name = "example.com";
    harness h(eo);
    auto& [emu, io, c] = h;
    run_test(io, [&]() -> asio::awaitable<void> {
        auto [ec, t] = co_await c.query("1", tuple_token);
        BOOST_TEST(ec.failed());
        BOOST_TEST(t.diag.server_message.find("mismatch") != std::string::npos, t.diag.server_message);
    });
}

BOOST_AUTO_TEST_CASE(insecure_opt_out_is_loud) {
    rh::emulator emu(fast_emulator());
    asio::io_context io;
    auto opts = fast_client(emu);
    opts.ca_pem.clear();
    opts.insecure_skip_tls_verify = true;
    std::vector<std::pair<rh::log_level, std::string>> lines;
    opts.logger = [&](rh::log_level l, std::string_view s) { lines.emplace_back(l, s); };
    rh::client c(io.get_executor(), opts);
    BOOST_REQUIRE(!lines.empty());
    BOOST_TEST((lines[0].first == rh::log_level::warning));
    BOOST_TEST(lines[0].second.find("TLS verification is OFF") != std::string::npos);
    run_test(io, [&]() -> asio::awaitable<void> {
        rh::ai_app app(app_id);
        auto t = co_await c.run(app, some_inputs());
        BOOST_TEST(!t.id.empty());
    });
}

BOOST_AUTO_TEST_CASE(plain_http_and_session_resumption) {
    auto eo = fast_emulator();
    eo.tls = false;
    rh::emulator plain(eo);
    asio::io_context io;
    rh::client c(io.get_executor(), fast_client(plain));
    run_test(io, [&]() -> asio::awaitable<void> {
        rh::ai_app app(app_id);
        auto t = co_await c.run(app, some_inputs());
        auto done = co_await c.wait(t.id);
        BOOST_TEST(done.status == rh::task_status::success);
        BOOST_TEST(c.stats().pool.tls_handshakes == 0u);
    });

    rh::emulator tls_emu(fast_emulator());
    auto opts = fast_client(tls_emu);
    opts.pool.max_requests_per_connection = 1;
    rh::client c2(io.get_executor(), opts);
    io.restart();
    run_test(io, [&]() -> asio::awaitable<void> {
        rh::ai_app app(app_id);
        auto t = co_await c2.run(app, some_inputs());
        for (int i = 0; i < 3; ++i)
            co_await c2.query(t.id);
        auto s = c2.stats();
        BOOST_TEST(s.pool.tls_handshakes == 5u);  // with the window's seed (queue/status) at the first submit
        BOOST_TEST(s.pool.tls_resumed >= 2u);
    });
}

BOOST_AUTO_TEST_SUITE_END()
