// SPDX-License-Identifier: BSL-1.0
// An HTTP service in front of RunningHub: POST /render with a prompt as the
// body answers when the task ends, with its result URLs. Several threads run
// one io_context; one client serves every connection. SIGINT/SIGTERM: stop
// accepting, finish the renders under way, exit.
//   example_render_server [PORT]      then: curl -d 'a cat' localhost:PORT/render
//   example_render_server --self-test (three renders through its own socket, then a shutdown)
#include "service.hpp"

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/serialize.hpp>

#include <csignal>
#include <iostream>
#include <thread>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
namespace rh = runninghub;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
constexpr auto tuple = asio::as_tuple(asio::use_awaitable);

http::response<http::string_body> answer(http::status st, json::object body, unsigned version) {
    http::response<http::string_body> res(st, version);
    res.set(http::field::content_type, "application/json");
    res.body() = json::serialize(body);
    res.prepare_payload();
    return res;
}

// One render: the request's body is the prompt; the answer waits for the task.
asio::awaitable<http::response<http::string_body>> render(rh::client& client,
                                                          const http::request<http::string_body>& req) {
    if (req.method() != http::verb::post || req.target() != "/render")
        co_return answer(http::status::not_found, {{"error", "POST /render with a prompt"}}, req.version());
    std::vector<rh::node_input> inputs{{"9", "text", req.body().c_str()}};
    rh::run_and_wait_options within;
    within.timeout = 10min;  // then the task is cancelled at the service, not left billing
    auto [ec, r] = co_await client.run_and_wait(rh::ai_app("1877265245566922753"), std::move(inputs), {}, within, tuple);
    if (ec)
        co_return answer(ec == rh::errc::deadline_exceeded ? http::status::gateway_timeout : http::status::bad_gateway,
                         {{"taskId", r.t.id}, {"error", ec.message()}, {"detail", r.t.diag.server_message}},
                         req.version());
    json::array urls;
    for (auto& f : r.t.results)
        urls.emplace_back(f.url);
    co_return answer(http::status::ok, {{"taskId", r.t.id}, {"results", std::move(urls)}}, req.version());
}

asio::awaitable<void> session(rh::client& client, tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
        http::request<http::string_body> req;
        stream.expires_after(30s);  // a client that sends nothing is not kept
        auto [ec, n] = co_await http::async_read(stream, buffer, req, tuple);
        if (ec)
            break;
        stream.expires_never();  // a render takes as long as it takes
        auto res = co_await render(client, req);
        res.keep_alive(req.keep_alive());
        auto [wec, wn] = co_await http::async_write(stream, res, tuple);
        if (wec || !res.keep_alive())
            break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> listen(rh::client& client, tcp::acceptor& acceptor) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(tuple);
        if (ec == asio::error::operation_aborted)
            co_return;  // shutting down: the sessions under way finish on their own
        if (!ec)
            asio::co_spawn(acceptor.get_executor(), session(client, std::move(socket)), asio::detached);
    }
}

// --self-test: three concurrent renders through the server's socket, then SIGTERM.
asio::awaitable<void> self_test(unsigned short port, int& failures) {
    auto ex = co_await asio::this_coro::executor;
    auto one = [&](std::string prompt) -> asio::awaitable<void> {
        beast::tcp_stream s(ex);
        co_await s.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), asio::use_awaitable);
        http::request<http::string_body> req(http::verb::post, "/render", 11);
        req.set(http::field::host, "127.0.0.1");
        req.body() = prompt;
        req.prepare_payload();
        co_await http::async_write(s, req, asio::use_awaitable);
        beast::flat_buffer b;
        http::response<http::string_body> res;
        co_await http::async_read(s, b, res, asio::use_awaitable);
        std::cout << prompt << " -> " << res.result_int() << " " << res.body() << "\n";
        failures += res.result() != http::status::ok;
    };
    using namespace asio::experimental::awaitable_operators;
    co_await (one("a red cube") && one("a green sphere") && one("a blue cone"));
    ::raise(SIGTERM);
}

int main(int argc, char** argv) {
    bool test = argc > 1 && std::string_view(argv[1]) == "--self-test";
    unsigned short port = argc > 1 && !test ? static_cast<unsigned short>(std::stoi(argv[1])) : 0;
    examples::service svc;
    asio::io_context io;
    rh::client client(io.get_executor(), svc.options);  // thread-safe: its state lives on a strand
    tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), port});
    std::cout << "listening on 127.0.0.1:" << acceptor.local_endpoint().port() << "\n";
    asio::co_spawn(io, listen(client, acceptor), asio::detached);

    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](auto, int) {
        std::cout << "shutting down: no new connections, renders under way finish\n";
        acceptor.close();
    });
    int failures = 0;
    if (test)
        asio::co_spawn(io, self_test(acceptor.local_endpoint().port(), failures), asio::detached);

    std::vector<std::thread> threads;
    for (int i = 1; i < 4; ++i)
        threads.emplace_back([&] { io.run(); });
    io.run();  // returns when the acceptor is closed and every session has ended
    for (auto& t : threads)
        t.join();
    return failures ? 1 : 0;
}
