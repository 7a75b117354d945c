// SPDX-License-Identifier: BSL-1.0
#include "net/tls_stream.hpp"

#include <boost/asio/ssl/error.hpp>

#include <openssl/err.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/socket.h>

namespace asio = boost::asio;

namespace runninghub::detail {

// OpenSSL's view of the stream: reads and writes on the socket, never waiting.
struct tls_bio {
    static tls_stream& of(BIO* b) { return *static_cast<tls_stream*>(BIO_get_data(b)); }

    static int read(BIO* b, char* out, int size) {
        BIO_clear_retry_flags(b);
        bool retry = false;
        int n = of(b).bio_read(out, size, retry);
        if (retry)
            BIO_set_retry_read(b);
        return n;
    }
    static int write(BIO* b, const char* in, int size) {
        BIO_clear_retry_flags(b);
        bool retry = false;
        int n = of(b).bio_write(in, size, retry);
        if (retry)
            BIO_set_retry_write(b);
        return n;
    }
    static long ctrl(BIO* b, int cmd, long, void*) {
        tls_stream& s = of(b);
        switch (cmd) {
        case BIO_CTRL_FLUSH:
            return 1;
        case BIO_CTRL_EOF:
            return s.input_ended_ && s.buffered() == 0;
        case BIO_CTRL_PENDING:
            return static_cast<long>(s.buffered());
        case BIO_CTRL_WPENDING:
            return static_cast<long>(s.out_.size());
        default:
            return 0;
        }
    }
    static int create(BIO* b) {
        BIO_set_init(b, 1);
        return 1;
    }

    // Made once, kept for the process's life (OpenSSL's objects may outlive any of ours).
    static const BIO_METHOD* method() {
        static const BIO_METHOD* m = [] {
            BIO_METHOD* bm = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "runninghub socket");
            if (!bm)
                return static_cast<BIO_METHOD*>(nullptr);
            BIO_meth_set_read(bm, &read);
            BIO_meth_set_write(bm, &write);
            BIO_meth_set_ctrl(bm, &ctrl);
            BIO_meth_set_create(bm, &create);
            return bm;
        }();
        return m;
    }
};

tls_stream::tls_stream(asio::any_io_executor ex, SSL_CTX* ctx) : tcp_(std::move(ex)) {
    if (!ctx)
        return;
    const BIO_METHOD* m = tls_bio::method();
    ssl_ = SSL_new(ctx);
    BIO* b = m && ssl_ ? BIO_new(m) : nullptr;
    if (!b) {
        SSL_free(ssl_);
        throw std::bad_alloc();
    }
    BIO_set_data(b, this);
    SSL_set_bio(ssl_, b, b);  // one reference, for both directions
    SSL_set_connect_state(ssl_);
    // A record that is not application data (a session ticket, a key update) is
    // handled inside SSL_read, which goes on reading: it never asks for input
    // while some is buffered (OpenSSL's default, kept whatever the context says).
    SSL_set_mode(ssl_, SSL_MODE_AUTO_RETRY);
    SSL_set_read_ahead(ssl_, 1);  // a record's header and body in one recv
}

tls_stream::~tls_stream() {
    if (ssl_)
        SSL_free(ssl_);
}

void tls_stream::drop_unsent() {
    if (!out_.empty() && tcp_.socket().is_open())
        (void)::send(tcp_.socket().native_handle(), out_.data(), out_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    out_.clear();
}

void tls_stream::apply_expiry() {
    if (expiry_ == time_point::max())
        tcp_.expires_never();
    else
        tcp_.expires_at(expiry_);
}

int tls_stream::bio_read(char* out, int size, bool& retry) {
    if (std::size_t have = buffered()) {
        std::size_t n = std::min(have, static_cast<std::size_t>(size));
        std::memcpy(out, in_.data() + in_begin_, n);
        in_begin_ += n;
        return static_cast<int>(n);
    }
    if (input_ended_)
        return 0;
    ssize_t n = ::recv(tcp_.socket().native_handle(), out, static_cast<std::size_t>(size), MSG_DONTWAIT);
    if (n > 0)
        return static_cast<int>(n);
    if (n == 0) {
        input_ended_ = true;
        return 0;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        retry = true;
    else
        sys_error_ = errno;
    return -1;
}

// Whatever the socket does not take now is kept and sent (with the write
// timeout) before the operation goes on; one such record at a time.
int tls_stream::bio_write(const char* in, int size, bool& retry) {
    if (!out_.empty()) {
        retry = true;
        return -1;
    }
    ssize_t n = ::send(tcp_.socket().native_handle(), in, static_cast<std::size_t>(size), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            sys_error_ = errno;
            return -1;
        }
        n = 0;
    }
    if (n < size)
        out_.assign(in + n, static_cast<std::size_t>(size - n));
    return size;
}

tls_stream::step tls_stream::handshake_step() {
    return call([this](std::size_t&) { return SSL_do_handshake(ssl_); });
}

tls_stream::step tls_stream::read_step(void* data, std::size_t size) {
    if (size == 0)
        return {true, {}, 0};
    return call([&](std::size_t& n) { return SSL_read_ex(ssl_, data, size, &n); });
}

tls_stream::step tls_stream::write_step(const void* data, std::size_t size) {
    if (size == 0)
        return {true, {}, 0};
    return call([&](std::size_t& n) { return SSL_write_ex(ssl_, data, size, &n); });
}

// One call into OpenSSL with a clean error queue; `f` returns its result and sets the bytes moved.
template <class F>
tls_stream::step tls_stream::call(F f) {
    ERR_clear_error();
    sys_error_ = 0;
    std::size_t n = 0;
    int ret = f(n);
    return after(ret, n);
}

// OpenSSL's answer as Asio's engine names it.
tls_stream::step tls_stream::after(int ret, std::size_t n) {
    if (ret > 0)
        return {true, {}, n};
    auto ssl_error = [](unsigned long code) {
        if (ERR_GET_LIB(code) == ERR_LIB_SSL && ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
            return error_code(asio::ssl::error::stream_truncated);
        return error_code(static_cast<int>(code), asio::error::get_ssl_category());
    };
    switch (SSL_get_error(ssl_, ret)) {
    case SSL_ERROR_WANT_READ:
        return {};
    case SSL_ERROR_WANT_WRITE:  // only while the stash waits to be sent
        if (!out_.empty())
            return {};
        return {true, asio::ssl::error::unexpected_result, 0};
    case SSL_ERROR_ZERO_RETURN:
        return {true, asio::error::eof, 0};
    case SSL_ERROR_SYSCALL:
        if (sys_error_ != 0)
            return {true, error_code(sys_error_, asio::error::get_system_category()), 0};
        if (input_ended_)
            return {true, asio::ssl::error::stream_truncated, 0};
        if (unsigned long code = ERR_get_error())
            return {true, ssl_error(code), 0};
        return {true, asio::ssl::error::unspecified_system_error, 0};
    case SSL_ERROR_SSL:
        return {true, ssl_error(ERR_get_error()), 0};
    default:
        return {true, asio::ssl::error::unexpected_result, 0};
    }
}

} // namespace runninghub::detail
