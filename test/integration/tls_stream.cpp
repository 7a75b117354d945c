// SPDX-License-Identifier: BSL-1.0
// net/tls_stream over loopback against Asio's own TLS server stream: what the
// library's exchanges rarely reach on their own (a full socket, records split
// across waits, the two ways a connection ends, timeouts and cancellation).
#include "common.hpp"

#include "emulator/cert.hpp"
#include "net/tls_stream.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>

#include <boost/asio/bind_executor.hpp>

#include <tuple>
#include <vector>

namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using rh::detail::tls_stream;

namespace {

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i)
        s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
    return s;
}

ssl::context client_context(const rh::detail::generated_cert& cert) {
    ssl::context c(ssl::context::tls_client);
    c.add_certificate_authority(asio::buffer(cert.ca_pem));
    c.set_verify_mode(ssl::verify_peer);
    return c;
}

ssl::context server_context(const rh::detail::generated_cert& cert) {
    ssl::context c(ssl::context::tls_server);
    c.use_certificate_chain(asio::buffer(cert.cert_pem));
    c.use_private_key(asio::buffer(cert.key_pem), ssl::context::pem);
    return c;
}

// run_test for a loop that may keep other work pending (a relay, a server
// waiting): runs until the coroutine is done.
template <class F>
void run_until_done(asio::io_context& io, F&& f, std::chrono::seconds limit = 60s) {
    std::exception_ptr err;
    bool done = false;
    io.restart();  // after an earlier run that ran out of work
    asio::co_spawn(io, std::forward<F>(f), [&](std::exception_ptr e) {
        err = e;
        done = true;
    });
    auto end = std::chrono::steady_clock::now() + limit;
    while (!done && !io.stopped() && std::chrono::steady_clock::now() < end)
        io.run_one_for(100ms);
    BOOST_REQUIRE_MESSAGE(done, "the test coroutine did not finish in time");
    if (err)
        std::rethrow_exception(err);
}

// Copies one direction of a connection; `dribble`: in pieces of 1, 3, 700,
// 4095, 5000 and 9000 bytes, 1 ms apart (TLS records split anywhere).
asio::awaitable<void> pump(tcp::socket& from, tcp::socket& to, bool dribble) {
    static constexpr std::size_t sizes[] = {1, 3, 700, 4095, 5000, 9000};
    std::vector<char> buf(65536);
    for (std::size_t piece = 0;;) {
        auto [ec, n] = co_await from.async_read_some(asio::buffer(buf), tuple_token);
        if (ec) {
            boost::system::error_code ignored;
            to.shutdown(tcp::socket::shutdown_send, ignored);
            co_return;
        }
        for (std::size_t at = 0; at < n;) {
            std::size_t k = dribble ? std::min(sizes[piece++ % std::size(sizes)], n - at) : n - at;
            auto [wec, wn] = co_await asio::async_write(to, asio::buffer(buf.data() + at, k), tuple_token);
            if (wec)
                co_return;
            at += k;
            if (dribble)
                co_await sleep_for(1ms);
        }
    }
}

// A client tls_stream and Asio's server stream on one io_context, connected
// and past the handshake (the client verifies the server's certificate).
struct tls_pair {
    // `relay`: through a hop that passes the server's bytes on in pieces (pump).
    explicit tls_pair(int socket_buffer = 0, bool relay = false)
        : cert(rh::detail::make_certificate("127.0.0.1")), client_ctx(client_context(cert)),
          server_ctx(server_context(cert)), acceptor(io, {asio::ip::make_address("127.0.0.1"), 0}),
          relay_acceptor(io, {asio::ip::make_address("127.0.0.1"), 0}), relay_in(io), relay_out(io),
          client(io.get_executor(), client_ctx.native_handle()), server(io, server_ctx) {
        if (relay)
            asio::co_spawn(io, [this]() -> asio::awaitable<void> {
                co_await relay_acceptor.async_accept(relay_in, asio::use_awaitable);
                co_await relay_out.async_connect(acceptor.local_endpoint(), asio::use_awaitable);
                relay_in.set_option(tcp::no_delay(true));
                relay_out.set_option(tcp::no_delay(true));
                asio::co_spawn(io, pump(relay_in, relay_out, false), asio::detached);
                co_await pump(relay_out, relay_in, true);
            }, asio::detached);
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(client.native_handle()), "127.0.0.1");
        bool shaken = false, server_ready = false;
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            co_await acceptor.async_accept(server.next_layer(), asio::use_awaitable);
            server.next_layer().set_option(tcp::no_delay(true));
            if (socket_buffer)
                server.next_layer().set_option(tcp::socket::receive_buffer_size(socket_buffer));
            co_await server.async_handshake(ssl::stream_base::server, asio::use_awaitable);
            server_ready = true;
        }, asio::detached);
        run_until_done(io, [&]() -> asio::awaitable<void> {
            auto to = relay ? relay_acceptor.local_endpoint() : acceptor.local_endpoint();
            co_await client.next_layer().async_connect(to, asio::use_awaitable);
            client.next_layer().socket().set_option(tcp::no_delay(true));
            if (socket_buffer)
                client.next_layer().socket().set_option(tcp::socket::send_buffer_size(socket_buffer));
            auto [ec] = co_await client.async_handshake(tuple_token);
            BOOST_REQUIRE_MESSAGE(!ec, ec.message());
            shaken = true;
            while (!server_ready)  // the server's side ends after ours (TLS 1.3)
                co_await sleep_for(1ms);
        });
        BOOST_REQUIRE(shaken);
    }

    rh::detail::generated_cert cert;
    asio::io_context io;
    ssl::context client_ctx, server_ctx;
    tcp::acceptor acceptor;
    tcp::acceptor relay_acceptor;
    tcp::socket relay_in, relay_out;
    tls_stream client;
    ssl::stream<tcp::socket> server;
};

} // namespace

BOOST_AUTO_TEST_SUITE(tls_stream_suite)

// The socket takes a few KB while nobody reads: the rest of a record waits in
// the stream's stash and goes out, in order, once the peer reads.
BOOST_AUTO_TEST_CASE(a_full_socket_keeps_the_rest_and_sends_it_in_order) {
    tls_pair p(65536);
    const std::string sent = pattern(1 << 20);
    std::string got(sent.size(), '\0');
    bool written = false;
    std::size_t unsent_while_blocked = 0;
    asio::co_spawn(p.io, [&]() -> asio::awaitable<void> {
        auto [ec, n] = co_await asio::async_write(p.client, asio::buffer(sent), tuple_token);
        BOOST_TEST(!ec, ec.message());
        BOOST_TEST(n == sent.size());
        written = true;
    }, asio::detached);
    run_until_done(p.io, [&]() -> asio::awaitable<void> {
        co_await sleep_for(100ms);  // the server has not read yet
        BOOST_TEST(!written);
        unsent_while_blocked = p.client.unsent();
        co_await asio::async_read(p.server, asio::buffer(got), asio::use_awaitable);
        while (!written)
            co_await sleep_for(1ms);
    });
    BOOST_TEST(unsent_while_blocked > 0u);
    BOOST_TEST(p.client.unsent() == 0u);
    BOOST_TEST((got == sent));
}

// Nobody reads and the deadline passes: beast's timeout, not a hang.
BOOST_AUTO_TEST_CASE(a_write_that_cannot_finish_times_out) {
    tls_pair p(65536);
    const std::string sent = pattern(2 << 20);
    run_until_done(p.io, [&]() -> asio::awaitable<void> {
        p.client.expires_at(rh::clock::now() + 100ms);
        auto [ec, n] = co_await asio::async_write(p.client, asio::buffer(sent), tuple_token);
        BOOST_TEST((ec == boost::beast::error::timeout), ec.message());
        BOOST_TEST(n < sent.size());
    });
}

// Records that arrive in pieces (a relay passes them on 1 to 9000 bytes at a
// time, 1 ms apart: a record's header or body split across waits, and pieces
// larger than the stream's 4 KB input buffer) are read whole.
BOOST_AUTO_TEST_CASE(records_arriving_in_pieces_are_read_whole) {
    tls_pair p(0, true);
    const std::string sent = pattern(300'000);
    std::string got(sent.size(), '\0');
    asio::co_spawn(p.io, [&]() -> asio::awaitable<void> {
        // Sizes that split records anywhere: 1 byte, a few, a stash and more, a full record.
        std::size_t sizes[] = {1, 5, 4095, 4097, 16384, 70000};
        std::size_t at = 0;
        for (std::size_t i = 0; at < sent.size(); ++i) {
            std::size_t n = std::min(sizes[i % std::size(sizes)], sent.size() - at);
            co_await asio::async_write(p.server, asio::buffer(sent.data() + at, n), asio::use_awaitable);
            at += n;
            co_await sleep_for(1ms);
        }
    }, asio::detached);
    run_until_done(p.io, [&]() -> asio::awaitable<void> {
        auto [ec, n] = co_await asio::async_read(p.client, asio::buffer(got), tuple_token);
        BOOST_TEST(!ec, ec.message());
        BOOST_TEST(n == sent.size());
    });
    BOOST_TEST((got == sent));
}

// The peer's close_notify is the end of the stream (eof); a TCP close without
// one is a truncation, which a client may treat as a dropped connection.
BOOST_AUTO_TEST_CASE(the_two_ways_a_connection_ends) {
    for (bool notify : {true, false}) {
        tls_pair p;
        asio::co_spawn(p.io, [&]() -> asio::awaitable<void> {
            co_await asio::async_write(p.server, asio::buffer("hello", 5), asio::use_awaitable);
            if (notify) {
                auto [ec] = co_await p.server.async_shutdown(tuple_token);  // waits for ours: none comes
            }
        }, asio::detached);
        if (!notify)
            asio::co_spawn(p.io, [&]() -> asio::awaitable<void> {
                co_await sleep_for(20ms);
                p.server.next_layer().close();
            }, asio::detached);
        run_until_done(p.io, [&]() -> asio::awaitable<void> {
            char b[16];
            auto [ec, n] = co_await p.client.async_read_some(asio::buffer(b), tuple_token);
            BOOST_TEST(!ec);
            BOOST_TEST(std::string(b, n) == "hello");
            std::tie(ec, n) = co_await p.client.async_read_some(asio::buffer(b), tuple_token);
            if (notify)
                BOOST_TEST((ec == asio::error::eof), ec.message());
            else
                BOOST_TEST((ec == ssl::error::stream_truncated), ec.message());
            BOOST_TEST(rh::is_retryable(ec));  // either way, a dropped connection to the client
            p.client.next_layer().close();  // ends the server's shutdown, which waits for our close_notify
        });
    }
}

// A read that waits ends at its deadline, or at once when its caller cancels it.
BOOST_AUTO_TEST_CASE(a_waiting_read_times_out_or_is_cancelled) {
    tls_pair p;
    run_until_done(p.io, [&]() -> asio::awaitable<void> {
        char b[16];
        p.client.expires_at(rh::clock::now() + 50ms);
        auto [ec, n] = co_await p.client.async_read_some(asio::buffer(b), tuple_token);
        BOOST_TEST((ec == boost::beast::error::timeout), ec.message());
    });
    tls_pair q;
    asio::cancellation_signal stop;
    stop_after(q.io, stop, 30ms);
    run_until_done(q.io, [&]() -> asio::awaitable<void> {
        char b[16];
        auto [ec, n] = co_await q.client.async_read_some(
            asio::buffer(b), asio::bind_cancellation_slot(stop.slot(), tuple_token));
        BOOST_TEST((ec == asio::error::operation_aborted), ec.message());
    });
}

// A TLS 1.3 key update asked by the peer: the client's read takes it in, its
// own key update goes out before its next write (OpenSSL 3 defers it there),
// and both directions go on with new keys.
BOOST_AUTO_TEST_CASE(a_key_update_during_a_read_is_answered) {
    tls_pair p;
    BOOST_REQUIRE(SSL_version(p.client.native_handle()) == TLS1_3_VERSION);
    run_until_done(p.io, [&]() -> asio::awaitable<void> {
        BOOST_REQUIRE(SSL_key_update(p.server.native_handle(), SSL_KEY_UPDATE_REQUESTED) == 1);
        co_await asio::async_write(p.server, asio::buffer("ping", 4), asio::use_awaitable);
        char b[4];
        auto [ec, n] = co_await asio::async_read(p.client, asio::buffer(b), tuple_token);
        BOOST_TEST(!ec, ec.message());
        BOOST_TEST(std::string(b, n) == "ping");
        std::tie(ec, n) = co_await asio::async_write(p.client, asio::buffer("pong", 4), tuple_token);
        BOOST_TEST(!ec, ec.message());
        co_await asio::async_read(p.server, asio::buffer(b), asio::use_awaitable);  // the client's new keys
        BOOST_TEST(std::string(b, 4) == "pong");
        std::tie(ec, n) = co_await asio::async_write(p.server, asio::buffer("more", 4), tuple_token);
        std::tie(ec, n) = co_await asio::async_read(p.client, asio::buffer(b), tuple_token);
        BOOST_TEST(!ec, ec.message());
        BOOST_TEST(std::string(b, n) == "more");
    });
}

// A result ready without any wait (bytes OpenSSL already holds) is posted: the
// handler never runs inside the initiating call. After an error, every later
// operation fails with it, without touching the socket.
BOOST_AUTO_TEST_CASE(ready_results_are_posted_and_errors_stick) {
    tls_pair p;
    run_until_done(p.io, [&]() -> asio::awaitable<void> {
        co_await asio::async_write(p.server, asio::buffer("hello world", 11), asio::use_awaitable);
        char b[16];
        auto [ec, n] = co_await p.client.async_read_some(asio::buffer(b, 5), tuple_token);
        BOOST_TEST(std::string(b, n) == "hello");
        BOOST_TEST(SSL_pending(p.client.native_handle()) > 0);
        bool called = false;
        p.client.async_read_some(asio::buffer(b), asio::bind_executor(p.io, [&](rh::error_code e, std::size_t k) {
            BOOST_TEST(!e);
            BOOST_TEST(std::string(b, k) == " world");
            called = true;
        }));
        BOOST_TEST(!called);
        while (!called)
            co_await sleep_for(1ms);

        p.client.expires_at(rh::clock::now() + 20ms);
        std::tie(ec, n) = co_await p.client.async_read_some(asio::buffer(b), tuple_token);
        BOOST_TEST((ec == boost::beast::error::timeout), ec.message());
        co_await asio::async_write(p.server, asio::buffer("late", 4), tuple_token);
        p.client.expires_never();
        std::tie(ec, n) = co_await p.client.async_read_some(asio::buffer(b), tuple_token);
        BOOST_TEST((ec == boost::beast::error::timeout), ec.message());  // the first error, not "late"
        std::tie(ec, n) = co_await p.client.async_write_some(asio::buffer("x", 1), tuple_token);
        BOOST_TEST((ec == boost::beast::error::timeout), ec.message());
    });
}

BOOST_AUTO_TEST_SUITE_END()
