// SPDX-License-Identifier: BSL-1.0
#pragma once
// TLS on a Beast tcp_stream without Asio's SSL engine. OpenSSL reads and
// writes the socket itself (a BIO on its descriptor, non-blocking) whenever
// that needs no wait: an answer already in the socket is read, decrypted and
// handed back by one SSL_read, with no BIO pair, engine or timer in between.
// Only a wait goes through the tcp_stream — its timeouts, cancellation and
// lifetime rules as before: reading into a small buffer that OpenSSL drains
// first, or sending what the socket did not take.
//
// One operation at a time (a client's exchange is write, then read): the
// stream keeps one input buffer and one output stash. After an error (a
// cancellation too) every later operation fails with it. Errors are Asio's:
// asio::error::eof after the peer's close_notify, ssl::error::stream_truncated
// when the connection ends without one, the socket's errors, OpenSSL's in
// asio::error::get_ssl_category(), beast::error::timeout after expires_at.
//
// Contract (as Asio's SSL stream): the stream outlives its operations (a
// connection is destroyed only after its exchange has resumed); the
// completion handler has an associated executor (every caller in net/ is a
// coroutine, or Beast's operation on one), where the operation runs and
// completes — without one, Asio would take its system executor.

#include "net/env.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <openssl/ssl.h>

#include <array>
#include <string>
#include <type_traits>

namespace runninghub::detail {

class tls_stream {
public:
    using executor_type = boost::beast::tcp_stream::executor_type;

    /// `ctx` null: plain TCP, no SSL object (the TLS operations must not be used).
    tls_stream(boost::asio::any_io_executor ex, SSL_CTX* ctx);
    ~tls_stream();
    tls_stream(const tls_stream&) = delete;             // OpenSSL's BIO points here
    tls_stream& operator=(const tls_stream&) = delete;

    executor_type get_executor() noexcept { return tcp_.get_executor(); }
    boost::beast::tcp_stream& next_layer() noexcept { return tcp_; }
    SSL* native_handle() noexcept { return ssl_; }

    /// The deadline of the waits that follow (applied to the tcp_stream only
    /// when one is needed); beast::error::timeout when it passes.
    /// (The tcp_stream keeps the last deadline applied; plain-TCP use sets its own.)
    void expires_at(time_point t) noexcept { expiry_ = t; }
    void expires_never() noexcept { expiry_ = time_point::max(); }

    /// Bytes received and not yet given to OpenSSL (a kept-alive connection
    /// must have none).
    std::size_t buffered() const noexcept { return in_end_ - in_begin_; }
    /// Bytes OpenSSL wrote that the socket has not taken yet (sent before the
    /// write in progress completes).
    std::size_t unsent() const noexcept { return out_.size(); }

    /// Completion: void(error_code).
    template <class Token>
    auto async_handshake(Token&& token) {
        return start<false>(*this, [](tls_stream& s) { return s.handshake_step(); }, std::forward<Token>(token));
    }

    /// Completion: void(error_code, std::size_t); reads into the first non-empty buffer.
    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        auto b = first<boost::asio::mutable_buffer>(buffers);
        return start<true>(*this, [b](tls_stream& s) { return s.read_step(b.data(), b.size()); },
                           std::forward<Token>(token));
    }

    /// Completion: void(error_code, std::size_t); writes from the first non-empty buffer.
    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        auto b = first<boost::asio::const_buffer>(buffers);
        return start<true>(*this, [b](tls_stream& s) { return s.write_step(b.data(), b.size()); },
                           std::forward<Token>(token));
    }

    /// What one call into OpenSSL came to: a result, or (done false) that it
    /// needs the socket: the stash sent (when not empty) or more input.
    struct step {
        bool done = false;
        error_code ec{};
        std::size_t n = 0;
    };

private:
    template <class Step, bool Sized>
    class op;

    template <bool Sized, class Step, class Token>
    static auto start(tls_stream& s, Step step, Token&& token) {
        using signature = std::conditional_t<Sized, void(error_code, std::size_t), void(error_code)>;
        // No I/O object: its work guard (an any_io_executor preferring tracked work)
        // costs an allocation per operation. The handler's executor is used.
        return boost::asio::async_compose<Token, signature>(op<Step, Sized>(s, step), token);
    }

    template <class B, class Buffers>
    static B first(const Buffers& buffers) {
        for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers);
             ++it) {
            B b(*it);
            if (b.size() != 0)
                return b;
        }
        return B();
    }

    step handshake_step();
    step read_step(void* data, std::size_t size);
    step write_step(const void* data, std::size_t size);
    template <class F>
    step call(F f);
    step after(int ret, std::size_t n);
    void apply_expiry();
    void drop_unsent();  // after a fatal error: one last try to send (an alert), then forgotten

    friend struct tls_bio;  // the BIO's callbacks (tls_stream.cpp)
    int bio_read(char* out, int size, bool& retry);
    int bio_write(const char* in, int size, bool& retry);

    boost::beast::tcp_stream tcp_;
    SSL* ssl_ = nullptr;
    time_point expiry_ = time_point::max();
    error_code failed_{};     // the first error an operation completed with: every later one fails with it
    int sys_error_ = 0;       // errno of the BIO's last failed call
    bool input_ended_ = false;  // the peer closed its side (TCP)
    std::string out_;         // what OpenSSL wrote and the socket did not take, sent before going on
    std::size_t in_begin_ = 0, in_end_ = 0;
    std::array<char, 4096> in_;  // what a wait read, before OpenSSL reads the socket itself
};

// The operation: one step; when it needs the socket, one wait through the
// tcp_stream and the step again. A result reached without any wait is posted
// (never completed inside the initiating call).
template <class Step, bool Sized>
class tls_stream::op {
public:
    op(tls_stream& s, Step step) : s_(s), step_(step) {}

    template <class Self>
    void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
        switch (state_) {
        case state::posted:
            return complete(self, result_.ec, result_.n);
        case state::reading:
            if (ec == boost::asio::error::eof)
                s_.input_ended_ = true;  // OpenSSL sees the end and names it (close_notify or truncation)
            else if (ec)
                return complete(self, ec, 0);
            else
                s_.in_begin_ = 0, s_.in_end_ = n;
            break;
        case state::flushing:
            if (ec)
                return complete(self, ec, 0);
            s_.out_.clear();
            if (result_.done)
                return complete(self, result_.ec, result_.n);
            break;
        case state::start:
            if (s_.failed_) {  // after an error the stream's state is unknown: no byte more
                result_ = {true, s_.failed_, 0};
                return finish(self);
            }
            break;
        }
        result_ = step_(s_);
        if (result_.done && result_.ec) {
            s_.drop_unsent();
            return finish(self);
        }
        if (!s_.out_.empty()) {  // sent first; then the result, or the step again
            state_ = state::flushing;
            s_.apply_expiry();
            boost::asio::async_write(s_.tcp_, boost::asio::buffer(s_.out_), std::move(self));
            return;
        }
        if (!result_.done) {
            if (s_.buffered() != 0 || s_.input_ended_) {  // OpenSSL asks for more without reading what it has
                result_ = {true, boost::asio::ssl::error::unexpected_result, 0};
                return finish(self);
            }
            state_ = state::reading;
            s_.apply_expiry();
            s_.tcp_.async_read_some(boost::asio::buffer(s_.in_), std::move(self));
            return;
        }
        finish(self);
    }

private:
    enum class state : unsigned char { start, reading, flushing, posted };

    template <class Self>
    void finish(Self& self) {
        if (state_ != state::start)
            return complete(self, result_.ec, result_.n);
        state_ = state::posted;
        auto ex = self.get_executor();
        boost::asio::post(ex, std::move(self));
    }

    template <class Self>
    void complete(Self& self, error_code ec, std::size_t n) {
        if (ec)
            s_.failed_ = ec;
        if constexpr (Sized)
            self.complete(ec, n);
        else
            self.complete(ec);
    }

    tls_stream& s_;
    Step step_;
    step result_{};
    state state_ = state::start;
};

} // namespace runninghub::detail
