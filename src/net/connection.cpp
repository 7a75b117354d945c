// SPDX-License-Identifier: BSL-1.0
#include "net/connection.hpp"
#include "net/use_tuple.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>

#include <memory>
#include <sys/socket.h>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace runninghub::detail {

net_env::net_env(asio::any_io_executor e, const client_options& opts, const logger& l)
    : ex(std::move(e)), tls(ssl::context::tls_client), pool_opts(opts.pool), phase(opts.timeout), log(l),
      bearer("Bearer " + opts.api_key) {
    SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
    SSL_CTX_set_session_cache_mode(tls.native_handle(), SSL_SESS_CACHE_CLIENT);
    error_code ec;
    tls.set_default_verify_paths(ec);
    if (!opts.ca_file.empty()) {
        tls.load_verify_file(opts.ca_file, ec);
        if (ec)
            throw error(make_error_code(errc::invalid_options), "CA file \"" + opts.ca_file + "\": " + ec.message());
    }
    if (!opts.ca_pem.empty()) {
        tls.add_certificate_authority(asio::buffer(opts.ca_pem), ec);
        if (ec)
            throw error(make_error_code(errc::invalid_options), "ca_pem: " + ec.message());
    }
    if (opts.insecure_skip_tls_verify) {
        tls.set_verify_mode(ssl::verify_none);
        log(log_level::warning, "TLS verification is OFF (insecure_skip_tls_verify): any server can impersonate "
                                "the service; use this for local experiments only");
    } else {
        tls.set_verify_mode(ssl::verify_peer);
    }
    origin base;
    if (!parse_origin(opts.base_url, base) && !base.tls && !base.is_loopback())
        log(log_level::warning, "the base URL " + base.key() + " is plain http (allow_insecure_http): the API key "
                                "crosses the network in cleartext");
}

time_point phase_expiry(time_point deadline, duration phase) {
    if (phase <= duration::zero())
        return deadline;
    return std::min(deadline, clock::now() + phase);
}

bool unusable_while_idle(connection& c) {
    if (c.buffer.size() != 0)
        return true;  // bytes read past the last answer: nobody asked for them
    SSL* ssl_handle = c.stream.native_handle();  // TLS: read ahead of the last answer, not yet decrypted or returned
    if (ssl_handle && (SSL_has_pending(ssl_handle) || c.stream.buffered() != 0))
        return true;
    auto& sock = c.tcp().socket();
    if (!sock.is_open())
        return true;
    char b;
    ssize_t n = ::recv(sock.native_handle(), &b, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n >= 0)
        return true;
    return errno != EAGAIN && errno != EWOULDBLOCK;
}

void close(connection& c, close_cause why) {
    if (why != close_cause::error && why != close_cause::timeout && c.stream.native_handle())
        SSL_set_shutdown(c.stream.native_handle(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    error_code ignored;
    c.tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    c.tcp().socket().close(ignored);
}

connector::~connector() {
    if (session_)
        SSL_SESSION_free(session_);
}

asio::awaitable<error_code> connector::resolve(time_point deadline) {
    unsigned short port = static_cast<unsigned short>(std::stoul(where_.port));
    if (where_.host_is_ip()) {
        endpoints_ = {tcp::endpoint(asio::ip::make_address(where_.host), port)};
        endpoints_expiry_ = time_point::max();
        co_return error_code{};
    }
    // The resolver has no deadline of its own: a timer cancels it. Both
    // live in shared state, since the timer's handler may run after we resume.
    struct resolve_state {
        explicit resolve_state(asio::any_io_executor ex) : resolver(ex), timer(ex) {}
        tcp::resolver resolver;
        asio::steady_timer timer;
        bool timed_out = false;
    };
    auto st = std::make_shared<resolve_state>(env_.ex);
    st->timer.expires_at(phase_expiry(deadline, env_.phase.resolve));
    st->timer.async_wait([st](error_code ec) {
        if (!ec) {
            st->timed_out = true;
            st->resolver.cancel();
        }
    });
    auto [ec, results] = co_await st->resolver.async_resolve(where_.host, where_.port, use_tuple);
    st->timer.cancel();
    if (st->timed_out)
        co_return make_error_code(errc::resolve_timeout);
    if (ec)
        co_return ec;
    endpoints_.clear();
    for (auto& r : results)
        endpoints_.push_back(r.endpoint());
    endpoints_expiry_ = clock::now() + std::chrono::seconds(60);
    co_return error_code{};
}

// SNI for names; the name or IP address the certificate must carry; the
// session to resume.
void connector::prepare_tls(connection& c) {
    SSL* ssl_handle = c.stream.native_handle();
    // OpenSSL keeps its record buffers; the pool frees them once the connection
    // idles (pool_options::idle_buffer_release). With zero, OpenSSL frees and
    // re-allocates them around every read and write (as Asio's engine asks).
    if (env_.pool_opts.idle_buffer_release <= duration::zero())
        SSL_set_mode(ssl_handle, SSL_MODE_RELEASE_BUFFERS);
    if (!where_.host_is_ip())
        SSL_set_tlsext_host_name(ssl_handle, where_.host.c_str());
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (where_.host_is_ip())
        X509_VERIFY_PARAM_set1_ip_asc(param, where_.host.c_str());
    else
        X509_VERIFY_PARAM_set1_host(param, where_.host.c_str(), 0);
    if (session_)
        SSL_set_session(ssl_handle, session_);
}

asio::awaitable<error_code> connector::connect(connection& c, time_point deadline, std::string& detail) {
    if (endpoints_.empty() || clock::now() >= endpoints_expiry_) {
        if (auto ec = co_await resolve(deadline))
            co_return ec;
    }
    c.tcp().expires_at(phase_expiry(deadline, env_.phase.connect));
    // use_awaitable here: Beast's range connect names async_result's return_type, which deferred lacks.
    auto [ec, ep] = co_await c.tcp().async_connect(endpoints_, asio::as_tuple(asio::use_awaitable));
    if (ec) {
        endpoints_expiry_ = time_point{};
        co_return ec == beast::error::timeout ? make_error_code(errc::connect_timeout) : ec;
    }
    error_code ignored;
    c.tcp().socket().set_option(tcp::no_delay(true), ignored);
    if (where_.tls) {
        prepare_tls(c);
        c.stream.expires_at(phase_expiry(deadline, env_.phase.tls_handshake));
        auto [hec] = co_await c.stream.async_handshake(use_tuple);
        ++env_.stats.tls_handshakes;
        if (hec) {
            if (hec == beast::error::timeout)
                co_return make_error_code(errc::tls_handshake_timeout);
            long vr = SSL_get_verify_result(c.stream.native_handle());
            if (vr != X509_V_OK) {
                detail = std::string("TLS certificate verification failed: ") + X509_verify_cert_error_string(vr);
                env_.log(log_level::error, detail + " (" + where_.key() + ")");
            }
            co_return hec;
        }
        if (SSL_session_reused(c.stream.native_handle()))
            ++env_.stats.tls_resumed;
    }
    c.tcp().expires_never();
    c.stream.expires_never();
    ++env_.stats.opened;
    if (env_.log.enabled(log_level::debug))
        env_.log(log_level::debug, "connection opened to " + where_.key());
    co_return error_code{};
}

void connector::keep_session(connection& c) {
    if (!where_.tls || c.session_saved)
        return;
    c.session_saved = true;
    if (SSL_SESSION* s = SSL_get1_session(c.stream.native_handle())) {
        if (SSL_SESSION_is_resumable(s)) {
            if (session_)
                SSL_SESSION_free(session_);
            session_ = s;
        } else {
            SSL_SESSION_free(s);
        }
    }
}

} // namespace runninghub::detail
