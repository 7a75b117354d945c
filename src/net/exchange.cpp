// SPDX-License-Identifier: BSL-1.0
#include "net/exchange.hpp"
#include "net/use_tuple.hpp"

#include "net/connection.hpp"

#include <runninghub/version.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <charconv>
#include <optional>
#include <memory>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace runninghub::detail {
namespace {

constexpr std::size_t chunk_size = 64 * 1024;
constexpr std::size_t small_request = 4096;  // head and body in one buffer (kept by the connection) up to this
// Interim answers (1xx but 101) read past before the answer; the next head is taken as it is (not kept alive if 1xx).
constexpr int max_interim_answers = 8;

/// True when a head with `status`, after `interim` interim ones, is the one to take.
bool final_head(unsigned status, int interim) {
    return status / 100 != 1 || status == 101 || interim == max_interim_answers;
}

// Beast's read errors as a client names them: a timeout by its phase, the
// peer's close before or during the answer as the socket error it is, any
// other parse failure as a malformed response.
error_code read_error(error_code rec) {
    if (rec == beast::error::timeout)
        return make_error_code(errc::read_timeout);
    if (rec == http::error::end_of_stream)
        return asio::error::eof;  // closed before the answer began
    if (rec == http::error::partial_message)
        return asio::error::connection_reset;  // closed in the middle of it
    if (rec.category() == make_error_code(http::error::end_of_stream).category())
        return make_error_code(errc::protocol_error);
    return rec;
}

// Into a buffer the connection reuses: no per-request header allocations.
void write_head(std::string& head, const exchange_target& to, const http_request& req) {
    head.clear();
    static constexpr const char* verbs[] = {"GET ", "POST ", "PUT "};
    head.append(verbs[static_cast<int>(req.method)]).append(to.path_prefix).append(req.target);
    head.append(" HTTP/1.1\r\nHost: ").append(to.host_header);
    head.append("\r\nUser-Agent: runninghub-cpp/" RUNNINGHUB_VERSION "\r\n");
    if (req.authorize)
        head.append("Accept: application/json\r\nAuthorization: ").append(to.bearer).append("\r\n");
    head.append(req.headers);
    if (req.method != http_method::get) {
        std::uint64_t length = req.body.size() + req.tail.size() + (req.source ? req.source->size() : 0);
        char len[24];
        auto [end, ec] = std::to_chars(len, len + sizeof len, length);
        head.append("Content-Type: ").append(req.content_type);
        head.append("\r\nContent-Length: ").append(len, end).append("\r\n");
    }
    head.append("\r\n");
}

// A JSON answer's parser: keeps the status, Retry-After and the body, and
// stores no header field (response_parser allocates one per field).
class answer_parser : public http::basic_parser<false> {
public:
    unsigned status = 0;
    std::string retry_after;
    std::string body;

private:
    void on_request_impl(http::verb, beast::string_view, beast::string_view, int, error_code&) override {}
    void on_response_impl(int code, beast::string_view, int, error_code&) override {
        status = static_cast<unsigned>(code);
    }
    void on_field_impl(http::field name, beast::string_view, beast::string_view value, error_code&) override {
        if (name == http::field::retry_after && retry_after.empty())
            retry_after.assign(value.data(), value.size());
    }
    void on_header_impl(error_code&) override {}
    void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
        if (length)
            body.reserve(static_cast<std::size_t>(*length));  // within body_limit: the parser checked it
    }
    std::size_t on_body_impl(beast::string_view b, error_code&) override {
        body.append(b.data(), b.size());
        return b.size();
    }
    void on_chunk_header_impl(std::uint64_t, beast::string_view, error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view b, error_code&) override {
        body.append(b.data(), b.size());
        return b.size();
    }
    void on_finish_impl(error_code&) override {}
};

// A response whose 2xx body goes to req.sink chunk by chunk; each chunk
// read has the read timeout, the whole transfer the request's deadline.
template <class Stream>
asio::awaitable<void> read_streamed(Stream& s, connection& c, const net_env& env, const http_request& req,
                                    time_point deadline, http_response& out, exchange_facts& facts) {
    // Interim answers come first, as before a JSON answer (exchange_on).
    std::optional<http::response_parser<http::buffer_body>> head;
    for (int interim = 0;; ++interim) {
        head.emplace();
        head->body_limit(boost::none);
        s.expires_at(phase_expiry(deadline, env.phase.read));
        auto [hec, hn] = co_await http::async_read_header(s, c.buffer, *head, use_tuple);
        facts.got_response_bytes = facts.got_response_bytes || head->got_some();
        if (hec) {
            out.ec = read_error(hec);
            co_return;
        }
        if (final_head(head->get().result_int(), interim))
            break;
    }
    auto& parser = *head;
    auto& res = parser.get();
    response_head h;
    h.status = out.status = res.result_int();
    if (auto n = parser.content_length())
        h.content_length = *n;
    auto field = [&](auto name) {
        auto it = res.find(name);
        return it == res.end() ? std::string() : std::string(it->value());
    };
    h.content_range = field(http::field::content_range);
    h.content_md5 = field(http::field::content_md5);
    h.etag = field(http::field::etag);
    h.content_type = field(http::field::content_type);
    out.retry_after = field(http::field::retry_after);
    bool to_sink = out.status / 100 == 2;
    if (to_sink) {
        if (auto ec = req.sink->on_head(h)) {
            out.ec = ec;
            co_return;
        }
    }
    std::unique_ptr<char[]> chunk(new char[chunk_size]);
    while (!parser.is_done()) {
        res.body().data = chunk.get();
        res.body().size = chunk_size;
        s.expires_at(phase_expiry(deadline, env.phase.read));
        auto [rec, rn] = co_await http::async_read(s, c.buffer, parser, use_tuple);
        if (rec == http::error::need_buffer)
            rec = {};
        std::size_t n = chunk_size - res.body().size;
        if (n && to_sink) {
            if (auto sec = req.sink->on_data(chunk.get(), n)) {
                out.ec = sec;
                co_return;
            }
            out.body_bytes += n;
        } else if (n && out.body.size() < env.pool_opts.max_response_body) {
            out.body.append(chunk.get(), n);
        }
        if (rec) {
            out.ec = read_error(rec);
            co_return;
        }
    }
    s.expires_never();
    facts.keep_alive = res.keep_alive() && out.status / 100 != 1;  // still 1xx after max_interim_answers: closed
}

template <class Stream>
asio::awaitable<void> exchange_on(Stream& s, connection& c, const exchange_target& to, const net_env& env,
                                  const http_request& req, time_point deadline, http_response& out,
                                  exchange_facts& facts) {
    write_head(c.head, to, req);
    // Over TLS a small body goes out with the head: one record and one send (TLS
    // writes one buffer at a time; TCP gathers both in one send anyway).
    std::string_view body = req.body;
    if constexpr (std::is_same_v<Stream, tls_stream>) {
        if (c.head.size() + body.size() <= small_request) {
            c.head.append(body);
            body = {};
        }
    }
    // Each write has its own write timeout. Awaited inline (no helper coroutine): a frame costs an allocation.
    auto write_failed = [&](const error_code& wec) {
        if (wec)
            out.ec = wec == beast::error::timeout ? make_error_code(errc::write_timeout) : wec;
        return bool(wec);
    };
    s.expires_at(phase_expiry(deadline, env.phase.write));
    auto [wec, wn] = co_await asio::async_write(
        s, std::array<asio::const_buffer, 2>{asio::buffer(c.head), asio::buffer(body)}, use_tuple);
    if (write_failed(wec))
        co_return;
    if (req.source) {
        // Streamed in chunks.
        std::unique_ptr<char[]> chunk(new char[chunk_size]);
        for (;;) {
            error_code rec;
            std::size_t n = req.source->read(chunk.get(), chunk_size, rec);
            if (rec) {
                out.ec = rec;
                out.detail = "reading the upload failed: " + rec.message();
                co_return;
            }
            if (n == 0)
                break;
            s.expires_at(phase_expiry(deadline, env.phase.write));
            auto [cec, cn] = co_await asio::async_write(s, asio::buffer(chunk.get(), n), use_tuple);
            if (write_failed(cec))
                co_return;
        }
    }
    if (!req.tail.empty()) {
        s.expires_at(phase_expiry(deadline, env.phase.write));
        auto [tec, tn] = co_await asio::async_write(s, asio::buffer(req.tail), use_tuple);
        if (write_failed(tec))
            co_return;
    }
    out.request_written = true;

    if (req.sink) {
        co_await read_streamed(s, c, env, req, deadline, out, facts);
        co_return;
    }
    // Interim answers (1xx but 101, e.g. a CDN's 103 Early Hints) come before the
    // real one: read on, or its bytes would be taken for the next request's answer.
    std::optional<answer_parser> parser;
    for (int interim = 0;; ++interim) {
        parser.emplace();
        parser->body_limit(env.pool_opts.max_response_body);
        s.expires_at(phase_expiry(deadline, env.phase.read));
        auto [rec, rn] = co_await http::async_read(s, c.buffer, *parser, use_tuple);
        facts.got_response_bytes = facts.got_response_bytes || parser->got_some();
        if (rec) {
            out.ec = read_error(rec);
            co_return;
        }
        if (final_head(parser->status, interim))
            break;
    }
    s.expires_never();
    out.status = parser->status;
    facts.keep_alive = parser->keep_alive() && out.status / 100 != 1;
    out.retry_after = std::move(parser->retry_after);
    out.body = std::move(parser->body);
}

} // namespace

// Not a coroutine: it hands back the stream-typed coroutine itself, so the
// choice between TLS and plain TCP costs no frame.
asio::awaitable<void> exchange(connection& c, bool tls, const exchange_target& to, const net_env& env,
                               const http_request& req, time_point deadline, http_response& out,
                               exchange_facts& facts) {
    if (tls)
        return exchange_on(c.stream, c, to, env, req, deadline, out, facts);
    return exchange_on(c.tcp(), c, to, env, req, deadline, out, facts);
}

} // namespace runninghub::detail
