// SPDX-License-Identifier: BSL-1.0
// runninghub::emulator: the facade, and the wiring of the emulated service
// (state, routes, files, webhooks, faults) onto the shared server core.
#include <runninghub/emulator.hpp>

#include "cert.hpp"
#include "io.hpp"
#include "faults.hpp"
#include "files.hpp"
#include "net/server.hpp"
#include "net/server_stream.hpp"
#include "routes.hpp"
#include "state.hpp"
#include "webhooks.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <boost/asio/write.hpp>

#include <filesystem>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <mutex>
#include <thread>
#include <unistd.h>

namespace asio = boost::asio;

namespace runninghub {
namespace emu {
namespace {

constexpr std::uint64_t whole_body_limit = 64u << 20;  // bodies read whole (uploads stream)

} // namespace

/// What the connections serve. They co-own it, so that no coroutine frame
/// destroyed with the io_context outlives the state it touches.
struct service {
    service(emulator_options o, asio::any_io_executor ex)
        : st(std::move(o)), chaos(st), hooks(st, std::move(ex)), transfers(st, chaos) {}

    asio::awaitable<bool> serve(detail::server_stream& s);
    asio::awaitable<bool> answer_whole(detail::server_stream& s);
    asio::awaitable<bool> write_in_one_segment(detail::server_stream& s, response_t& res, bool twice);

    state st;
    faults chaos;
    webhooks hooks;
    files transfers;
};

// One request whose head was read; false: close the connection.
asio::awaitable<bool> service::serve(detail::server_stream& s) {
    s.lowest().expires_after(std::chrono::minutes(10));  // a whole request, uploads included
    auto& head = s.head().get();
    std::string_view path = head.target();
    path = path.substr(0, path.find('?'));
    if ((path.starts_with("/files/") || path.starts_with("/cos/")) && head.count(http::field::authorization)) {
        auto lk = st.lock();
        ++st.stats.storage_requests_with_key;
    }
    auto kind = files::streamed(head.method(), path);
    if (kind == files::kind::none)
        co_return co_await answer_whole(s);
    auto busy = st.begin_request(head.method_string(), head.target());
    if (kind == files::kind::upload)
        co_return co_await transfers.upload(s);
    co_return co_await transfers.download(s);
}

// A request read whole, routed under the faults, answered.
asio::awaitable<bool> service::answer_whole(detail::server_stream& s) {
    if (s.head().content_length().value_or(0) > whole_body_limit)
        co_return false;
    http::request_parser<http::string_body> parser(std::move(s.head()));
    parser.body_limit(whole_body_limit);
    auto [ec, n] = co_await http::async_read(s, s.buffer(), parser, use_tuple);
    if (ec)
        co_return false;
    s.lowest().expires_never();  // a delay fault may hold the answer
    request_t req = parser.release();
    auto busy = st.begin_request(req.method_string(), req.target());
    response_t res;
    res.version(11);
    res.set(http::field::server, "runninghub-emulator");
    auto after = co_await chaos.apply(req, res, s.lowest(), [&] { return dispatch(st, hooks, req, res); });
    if (after == after_fault::drop)
        co_return false;
    bool keep_alive = req.keep_alive() && after != after_fault::close;
    ++s.served;
    if (st.opts.keep_alive_max_requests && s.served >= st.opts.keep_alive_max_requests)
        keep_alive = false;
    res.keep_alive(keep_alive);
    res.prepare_payload();
    s.lowest().expires_after(std::chrono::seconds(30));
    if (after == after_fault::answer_then_close || after == after_fault::answer_twice)
        co_return co_await write_in_one_segment(s, res, after == after_fault::answer_twice);
    if (after == after_fault::interim_first) {
        auto [hec, hn] = co_await asio::async_write(s, asio::buffer(early_hints_text), use_tuple);
        if (hec)
            co_return false;
    }
    auto [wec, wn] = co_await http::async_write(s, res, use_tuple);
    co_return !wec && keep_alive;
}

// The answer and what follows it (a FIN, or an unsolicited answer) leave in one
// TCP segment (TCP_CORK), so that a client sees both at once: a test of how it
// treats them never depends on the timing of two writes.
asio::awaitable<bool> service::write_in_one_segment(detail::server_stream& s, response_t& res, bool twice) {
    int on = 1, off = 0;
    int fd = s.lowest().socket().native_handle();
    ::setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on);
    auto [wec, wn] = co_await http::async_write(s, res, use_tuple);
    if (!wec && twice) {
        auto extra = unsolicited_answer_text();
        co_await asio::async_write(s, asio::buffer(extra), use_tuple);
    }
    if (!twice) {
        error_code ignored;
        s.lowest().socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);  // FIN after the answer
    }
    ::setsockopt(fd, IPPROTO_TCP, TCP_CORK, &off, sizeof off);
    co_return !wec && twice && res.keep_alive();
}

} // namespace emu

namespace {

detail::server_options listen_options(const emulator_options& o, std::string& ca) {
    detail::server_options so;
    so.address = "127.0.0.1";
    so.port = o.port;
    if (o.tls) {
        auto cert = detail::make_certificate(o.certificate_name);
        ca = cert.ca_pem;
        so.cert_pem = cert.cert_pem;
        so.key_pem = cert.key_pem;
    }
    so.server_name = "runninghub-emulator";
    so.handshake_timeout = std::chrono::seconds(10);
    so.read_timeout = o.keep_alive_idle;  // idle connections are closed after it
    return so;
}

} // namespace

struct emulator::impl {
    explicit impl(emulator_options o)
        : svc(std::make_shared<emu::service>(o, io.get_executor())),
          server(io.get_executor(), [&] {
              auto so = listen_options(o, ca);
              so.on_connection = [s = svc] {
                  auto lk = s->st.lock();
                  ++s->st.stats.connections;
              };
              return so;
          }()) {
        auto& st = svc->st;
        st.base = std::string(o.tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(server.port());
        st.dir = std::filesystem::temp_directory_path() /
                 ("runninghub-emulator-" + std::to_string(::getpid()) + "-" + std::to_string(server.port()));
        std::filesystem::create_directories(st.dir);
        server.serve_streams([s = svc](detail::server_stream& stream) { return s->serve(stream); });
        for (unsigned i = 0; i < std::max(1u, o.threads); ++i)
            threads.emplace_back([this] { io.run(); });
    }

    ~impl() {
        stop();
        std::error_code ignored;
        std::filesystem::remove_all(svc->st.dir, ignored);
    }

    void stop() {
        std::call_once(stopped, [this] {
            io.stop();
            for (auto& t : threads)
                t.join();
        });
    }

    asio::io_context io;
    std::shared_ptr<emu::service> svc;
    std::string ca;  // the CA that signed the server certificate
    detail::server server;
    std::vector<std::thread> threads;
    std::once_flag stopped;
};

emulator::emulator(emulator_options opts) : impl_(std::make_unique<impl>(std::move(opts))) {}
emulator::~emulator() = default;

std::string emulator::base_url() const { return impl_->svc->st.base; }
unsigned short emulator::port() const { return impl_->server.port(); }
const std::string& emulator::ca_pem() const { return impl_->ca; }

client_options emulator::make_client_options() const {
    auto& keys = impl_->svc->st.opts.api_keys;
    client_options o;
    o.api_key = keys.empty() ? default_api_key : keys.front();
    o.base_url = impl_->svc->st.base;
    o.ca_pem = impl_->ca;
    return o;
}

emulator_counters emulator::counters() const {
    auto lk = impl_->svc->st.lock();
    return impl_->svc->st.stats;
}

std::optional<submitted_request> emulator::submitted(const std::string& task_id) const {
    auto lk = impl_->svc->st.lock();
    auto& tasks = impl_->svc->st.tasks;
    auto it = tasks.find(task_id);
    if (it == tasks.end())
        return std::nullopt;
    return it->second.request;
}

bool emulator::wait_idle(duration limit) const {
    auto until = clock::now() + limit;
    for (;;) {
        if (counters().in_progress == 0)
            return true;
        if (clock::now() >= until)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

void emulator::set_faults(std::vector<fault> faults) { impl_->svc->chaos.set(std::move(faults)); }

void emulator::stop() { impl_->stop(); }

} // namespace runninghub
