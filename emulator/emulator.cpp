#include <runninghub/emulator.hpp>
#include <runninghub/models.hpp>

#include "cert.hpp"
#include "codec/codec.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include "codec/md5.hpp"
#include "multipart.hpp"

#include <atomic>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <unistd.h>
#include <sys/socket.h>
#include <set>
#include <random>
#include <thread>
#include <unordered_map>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace runninghub {

std::string_view to_string(fault_kind k) noexcept {
    switch (k) {
    case fault_kind::http_502: return "http_502";
    case fault_kind::http_503_empty: return "http_503_empty";
    case fault_kind::http_503_html: return "http_503_html";
    case fault_kind::http_429: return "http_429";
    case fault_kind::busy_1003: return "busy_1003";
    case fault_kind::busy_1011: return "busy_1011";
    case fault_kind::drop_before_processing: return "drop_before_processing";
    case fault_kind::drop_after_processing: return "drop_after_processing";
    case fault_kind::delay: return "delay";
    case fault_kind::malformed_json: return "malformed_json";
    case fault_kind::connection_close: return "connection_close";
    case fault_kind::truncated_body: return "truncated_body";
    }
    return "unknown";
}

std::uint64_t emulator_counters::total_requests() const {
    std::uint64_t n = 0;
    for (auto& [k, v] : requests)
        n += v;
    return n;
}

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
using request_t = http::request<http::string_body>;
using response_t = http::response<http::string_body>;

struct emu_task {
    std::string key;
    time_point created;
    bool fail = false;
    bool cancelled = false;
    std::string webhook_url;
    result_kind kind = result_kind::file;
    // The webhook delivery record (getWebhookDetail).
    std::string webhook_id;
    std::string callback_status;  // PENDING, RETRYING, SUCCESS, FAILED
    std::string callback_response;
    unsigned retry_count = 0;
    std::string webhook_created, webhook_updated;
};

struct stored_file {
    std::filesystem::path path;
    std::uint64_t size = 0;
    std::string md5;
};

std::string wall_time() {
    auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return buf;
}

// Result files are generated, not stored: byte i of every result file.
inline char generated_byte(std::uint64_t i) {
    return static_cast<char>((i * 0x9E3779B97F4A7C15ull) >> 56);
}

} // namespace

struct emulator::impl {
    explicit impl(emulator_options o)
        : opts(std::move(o)), ctx(ssl::context::tls_server), acceptor(io), rng(opts.seed), faults(opts.faults) {
        if (opts.tls) {
            auto cert = detail::make_certificate(opts.certificate_name);
            ca = cert.ca_pem;
            ctx.use_certificate_chain(asio::buffer(cert.cert_pem));
            ctx.use_private_key(asio::buffer(cert.key_pem), ssl::context::pem);
            SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
        }
        tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), opts.port);
        acceptor.open(ep.protocol());
        acceptor.set_option(asio::socket_base::reuse_address(true));
        acceptor.bind(ep);
        acceptor.listen(asio::socket_base::max_listen_connections);
        port = acceptor.local_endpoint().port();
        dir = std::filesystem::temp_directory_path() /
              ("runninghub-emulator-" + std::to_string(::getpid()) + "-" + std::to_string(port));
        std::filesystem::create_directories(dir);
        base = std::string(opts.tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port);
        asio::co_spawn(io, accept_loop(), asio::detached);
        for (unsigned i = 0; i < std::max(1u, opts.threads); ++i)
            threads.emplace_back([this] { io.run(); });
    }

    ~impl() {
        stop();
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }

    void stop() {
        std::call_once(stopped, [this] {
            io.stop();
            for (auto& t : threads)
                t.join();
        });
    }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, sock] = co_await acceptor.async_accept(use_tuple);
            if (ec) {
                if (ec == asio::error::operation_aborted)
                    co_return;
                continue;
            }
            {
                std::lock_guard lk(mu);
                ++stats.connections;
            }
            asio::co_spawn(acceptor.get_executor(), session(std::move(sock)), asio::detached);
        }
    }

    asio::awaitable<void> session(tcp::socket sock) {
        sock.set_option(tcp::no_delay(true));
        if (opts.tls) {
            ssl::stream<beast::tcp_stream> s(beast::tcp_stream(std::move(sock)), ctx);
            s.next_layer().expires_after(std::chrono::seconds(10));
            auto [ec] = co_await s.async_handshake(ssl::stream_base::server, use_tuple);
            if (ec)
                co_return;
            co_await serve(s, s.next_layer());
        } else {
            beast::tcp_stream s(std::move(sock));
            co_await serve(s, s);
        }
    }

    // Picks at most one fault for this request.
    std::optional<fault> pick_fault(std::string_view target) {
        std::lock_guard lk(mu);
        for (auto& f : faults) {
            if (f.max_count == 0)
                continue;
            if (!f.path_filter.empty() && target.find(f.path_filter) == std::string_view::npos)
                continue;
            if (std::uniform_real_distribution<double>(0, 1)(rng) >= f.probability)
                continue;
            --f.max_count;
            ++stats.faults[std::string(to_string(f.kind))];
            return f;
        }
        return std::nullopt;
    }

    template <class Stream>
    asio::awaitable<void> serve(Stream& s, beast::tcp_stream& lowest) {
        beast::flat_buffer buffer;
        std::size_t served = 0;
        for (;;) {
            http::request_parser<http::empty_body> head;
            head.body_limit(boost::none);  // uploads stream; other bodies are limited below
            lowest.expires_after(opts.keep_alive_idle);
            auto [hec, hn] = co_await http::async_read_header(s, buffer, head, use_tuple);
            if (hec)
                break;
            lowest.expires_after(std::chrono::minutes(10));  // a whole request, uploads included
            auto method = head.get().method();
            std::string_view path = head.get().target();
            path = path.substr(0, path.find('?'));
            if (storage_path(path) && head.get().count(http::field::authorization)) {
                std::lock_guard lk(mu);
                ++stats.storage_requests_with_key;
            }
            // Uploads and files stream their bodies; the rest is read whole.
            bool upload = (method == http::verb::post &&
                           (path == "/openapi/v2/media/upload/binary" || path == "/task/openapi/upload")) ||
                          (method == http::verb::put && path.starts_with("/cos/"));
            bool file = method == http::verb::get && path.starts_with("/files/");
            if (upload || file) {
                auto busy = begin_request(head.get().method_string(), head.get().target());
                bool more;
                if (upload)
                    more = co_await serve_upload(s, buffer, head);
                else
                    more = co_await serve_file(s, head.get());
                if (!more)
                    break;
                continue;
            }
            if (head.content_length().value_or(0) > (64u << 20))
                break;
            http::request_parser<http::string_body> parser(std::move(head));
            parser.body_limit(64u << 20);
            auto [ec, n] = co_await http::async_read(s, buffer, parser, use_tuple);
            if (ec)
                break;
            lowest.expires_never();
            request_t req = parser.release();
            auto busy = begin_request(req.method_string(), req.target());
            auto f = pick_fault(req.target());
            response_t res;
            res.version(11);
            res.set(http::field::server, "runninghub-emulator");
            bool keep_alive = req.keep_alive();
            bool create = req.target().starts_with("/openapi/v2/run/");
            if (create && f) {
                std::lock_guard lk(mu);
                ++stats.create_faults[std::string(to_string(f->kind))];
            }
            // For submits, account for every answer a fault destroys: with or
            // without a task behind it (the chaos test checks the client against this).
            auto answer_destroyed = [&](bool created) {
                if (!create)
                    return;
                std::lock_guard lk(mu);
                ++(created ? stats.creates_answer_lost : stats.creates_lost_without_task);
            };
            if (f && f->kind == fault_kind::drop_before_processing) {
                answer_destroyed(false);
                break;
            }
            bool answer_lost = false;
            if (f && f->kind == fault_kind::delay) {
                asio::steady_timer t(co_await asio::this_coro::executor, f->delay);
                co_await t.async_wait(use_tuple);
                answer_lost = peer_gone(lowest);  // the client gave up while we "worked"
            }
            if (!f || !answer_without_processing(*f, res)) {
                bool created = handle(req, res);
                bool dropped = f && f->kind == fault_kind::drop_after_processing;
                if (f && f->kind == fault_kind::malformed_json) {
                    res.body() = res.body().substr(0, res.body().size() / 2);
                    answer_lost = true;
                }
                if (dropped || answer_lost)
                    answer_destroyed(created);
                if (dropped)
                    break;
                if (f && f->kind == fault_kind::connection_close)
                    keep_alive = false;
            } else if (f->kind == fault_kind::http_502 || f->kind == fault_kind::http_503_empty ||
                       f->kind == fault_kind::http_503_html) {
                answer_destroyed(false);
            }
            ++served;
            if (opts.keep_alive_max_requests && served >= opts.keep_alive_max_requests)
                keep_alive = false;
            res.keep_alive(keep_alive);
            res.prepare_payload();
            lowest.expires_after(std::chrono::seconds(30));
            auto [wec, wn] = co_await http::async_write(s, res, use_tuple);
            if (wec || !keep_alive)
                break;
        }
        error_code ignored;
        lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
        lowest.socket().close(ignored);
    }

    static bool peer_gone(beast::tcp_stream& s) {
        char b;
        ssize_t n = ::recv(s.socket().native_handle(), &b, 1, MSG_PEEK | MSG_DONTWAIT);
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
    }

    static bool answer_without_processing(const fault& f, response_t& res) {
        auto html = [&](http::status st, const char* text) {
            res.result(st);
            res.set(http::field::content_type, "text/html");
            res.body() = std::string("<html><body><h1>") + text + "</h1></body></html>";
        };
        auto busy = [&](int code, const char* msg) {
            res.result(http::status::ok);
            res.set(http::field::content_type, "application/json");
            res.body() = json::serialize(json::object{{"code", code}, {"msg", msg}, {"data", nullptr}});
        };
        switch (f.kind) {
        case fault_kind::http_502: html(http::status::bad_gateway, "502 Bad Gateway"); return true;
        case fault_kind::http_503_html: html(http::status::service_unavailable, "503 Service Unavailable"); return true;
        case fault_kind::http_503_empty: res.result(http::status::service_unavailable); return true;
        case fault_kind::http_429:
            html(http::status::too_many_requests, "429 Too Many Requests");
            res.set(http::field::retry_after, std::to_string(f.retry_after_seconds));
            return true;
        case fault_kind::busy_1003: busy(1003, "Rate limit exceeded"); return true;
        case fault_kind::busy_1011: busy(1011, "System is currently busy"); return true;
        default: return false;
        }
    }

    /// A request being answered: counted by endpoint and in progress until the guard goes.
    struct in_progress_guard {
        impl* self;
        ~in_progress_guard() {
            std::lock_guard lk(self->mu);
            --self->stats.in_progress;
        }
    };
    [[nodiscard]] in_progress_guard begin_request(std::string_view method, std::string_view target) {
        std::lock_guard lk(mu);
        ++stats.in_progress;
        ++stats.requests[endpoint_of(method, target)];
        return in_progress_guard{this};
    }

    static std::string endpoint_of(std::string_view method, std::string_view t) {
        if (auto q = t.find('?'); q != std::string_view::npos)
            t = t.substr(0, q);
        for (std::string_view prefix : {"/openapi/v2/run/ai-app/", "/openapi/v2/run/workflow/", "/files/", "/cos/"})
            if (t.starts_with(prefix))
                t = prefix.substr(0, prefix.size() - 1);
        return std::string(method) + " " + std::string(t);
    }

    static bool storage_path(std::string_view path) { return path.starts_with("/files/") || path.starts_with("/cos/"); }

    // --- files: uploads stored on disk, results generated; both served with Range.

    // Reads a streamed request body in chunks into `sink`; false when the connection broke.
    template <class Stream, class Sink>
    asio::awaitable<bool> read_body(Stream& s, beast::flat_buffer& buffer,
                                    http::request_parser<http::buffer_body>& p, Sink&& sink) {
        std::unique_ptr<char[]> chunk(new char[64 * 1024]);
        while (!p.is_done()) {
            p.get().body().data = chunk.get();
            p.get().body().size = 64 * 1024;
            auto [ec, n] = co_await http::async_read(s, buffer, p, use_tuple);
            if (ec == http::error::need_buffer)
                ec = {};
            if (ec)
                co_return false;
            sink(chunk.get(), 64 * 1024 - p.get().body().size);
        }
        co_return true;
    }

    template <class Stream>
    asio::awaitable<bool> write_response(Stream& s, response_t& res) {
        res.version(11);
        res.set(http::field::server, "runninghub-emulator");
        res.prepare_payload();
        auto [ec, n] = co_await http::async_write(s, res, use_tuple);
        co_return !ec && res.keep_alive();
    }

    // POST /openapi/v2/media/upload/binary, POST /task/openapi/upload, PUT /cos/lora/<md5>.safetensors
    template <class Stream>
    asio::awaitable<bool> serve_upload(Stream& s, beast::flat_buffer& buffer, http::request_parser<http::empty_body>& head) {
        http::request_parser<http::buffer_body> p(std::move(head));
        p.body_limit(boost::none);
        auto& req = p.get();
        std::string path(req.target().substr(0, req.target().find('?')));
        bool put = req.method() == http::verb::put;
        bool legacy = path == "/task/openapi/upload";
        std::string bearer_key;
        bool bearer_ok = authorized_header(req[http::field::authorization], bearer_key);
        auto temp = dir / ("upload-" + std::to_string(++upload_seq) + ".tmp");
        std::FILE* f = nullptr;
        detail::md5 hash;
        std::uint64_t size = 0;
        std::map<std::string, std::string> fields;
        std::string file_name, current_field;
        bool in_file = false, write_failed = false;
        auto write = [&](const char* d, std::size_t n) {
            if (!f && !(f = std::fopen(temp.c_str(), "wb")))
                write_failed = true;
            if (f && std::fwrite(d, 1, n, f) != n)
                write_failed = true;
            hash.update(d, n);
            size += n;
        };
        detail::multipart_reader mr(put ? std::string_view() : std::string_view(req[http::field::content_type]),
                                    {[&](const detail::multipart_part& part) {
                                         in_file = part.name == "file" && !part.filename.empty();
                                         if (in_file)
                                             file_name = part.filename;
                                         current_field = part.name;
                                         return true;
                                     },
                                     [&](const char* d, std::size_t n) {
                                         if (in_file)
                                             write(d, n);
                                         else if (fields[current_field].size() + n <= 4096)
                                             fields[current_field].append(d, n);
                                         return true;
                                     },
                                     [&] { return true; }});
        bool whole = co_await read_body(s, buffer, p, [&](const char* d, std::size_t n) {
            put ? write(d, n) : (void)mr.feed(d, n);
        });
        if (f)
            std::fclose(f);
        if (!whole) {
            std::error_code ignored;
            std::filesystem::remove(temp, ignored);
            co_return false;
        }
        std::string md5 = hash.hex();
        response_t res;
        res.keep_alive(req.keep_alive());
        auto envelope = [&](int code, std::string_view msg, json::value data, bool v2_message) {
            json::object o{{"code", code}, {v2_message ? "message" : "msg", msg}, {"data", std::move(data)}};
            if (!v2_message)
                o["errorMessages"] = nullptr;
            json_answer(res, o);
        };
        auto stored = [&](std::string name) {
            std::error_code ec;
            std::filesystem::rename(temp, dir / name, ec);
            std::lock_guard lk(mu);
            files[name] = {dir / name, size, md5};
            ++stats.uploads;
            stats.upload_bytes += size;
        };
        std::string ext = file_name.substr(std::min(file_name.size(), file_name.rfind('.') == std::string::npos ? file_name.size() : file_name.rfind('.')));
        if (put) {
            // A presigned storage URL: the MD5 in its path must match the bytes.
            std::string want = path.substr(path.rfind('/') + 1);
            want = want.substr(0, want.find('.'));
            if (want != md5 || write_failed) {
                res.result(http::status::bad_request);
                res.set(http::field::content_type, "application/xml");
                res.body() = "<Error><Code>BadDigest</Code><Message>MD5 " + md5 + " does not match " + want + "</Message></Error>";
            } else {
                stored("lora-" + md5 + ".safetensors");
                res.result(http::status::ok);
                res.set(http::field::etag, "\"" + md5 + "\"");
            }
        } else if (!mr.done() || write_failed || file_name.empty()) {
            if (legacy)
                legacy_error(res, 301, "PARAMS_INVALID");
            else
                envelope(1007, "Invalid parameters: " + (mr.error().empty() ? std::string("no file part") : mr.error()),
                         nullptr, true);
        } else if (legacy) {
            auto type = fields["fileType"];
            if (std::find(opts.api_keys.begin(), opts.api_keys.end(), fields["apiKey"]) == opts.api_keys.end() && !bearer_ok)
                legacy_error(res, 802, "APIKEY_UNAUTHORIZED");
            else if (type != "image" && type != "video" && type != "audio" && type != "input")
                legacy_error(res, 301, "PARAMS_INVALID");
            else if (size > opts.legacy_upload_limit)
                legacy_error(res, 809, "APIKEY_FILE_SIZE_EXCEEDED");
            else {
                std::string name = md5 + ext;
                stored(name);
                json_answer(res, json::object{{"code", 0}, {"msg", "success"},
                                              {"data", json::object{{"fileName", "api/" + name}, {"fileType", type}}}});
            }
        } else if (!bearer_ok) {
            envelope(401, "ApiKey verification failed: API Key不存在", nullptr, true);
        } else {
            std::string name = md5 + ext;
            stored(name);
            std::string type = ext == ".mp4" || ext == ".mov" || ext == ".avi" || ext == ".mkv" ? "video"
                               : ext == ".mp3" || ext == ".wav" || ext == ".flac"               ? "audio"
                                                                                                 : "image";
            // Both spellings of the envelope occur in the wild: alternate them.
            bool message = upload_seq % 2 == 0;
            envelope(0, "success",
                     json::object{{"type", type},
                                  {"download_url", base + "/files/input/" + name + "?q-sign-time=86400"},
                                  {"fileName", "openapi/" + name},
                                  {"size", std::to_string(size)}},
                     message);
        }
        {
            std::error_code ignored;
            std::filesystem::remove(temp, ignored);
        }
        co_return co_await write_response(s, res);
    }

    const std::string& generated_md5(std::uint64_t size) {
        std::lock_guard lk(md5_mu);
        auto& m = generated_md5s[size];
        if (m.empty()) {
            detail::md5 h;
            std::unique_ptr<char[]> chunk(new char[64 * 1024]);
            for (std::uint64_t at = 0; at < size;) {
                std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(64 * 1024, size - at));
                for (std::size_t i = 0; i < n; ++i)
                    chunk[i] = generated_byte(at + i);
                h.update(chunk.get(), n);
                at += n;
            }
            m = h.hex();
        }
        return m;
    }

    // GET /files/input/<name> (uploads) and /files/<task>/<name> (generated results).
    template <class Stream>
    asio::awaitable<bool> serve_file(Stream& s, const http::request<http::empty_body>& req) {
        std::string target(req.target());
        std::string path = target.substr(0, target.find('?'));
        auto f = pick_fault(path);
        response_t res;
        res.keep_alive(req.keep_alive());
        if (f && f->kind == fault_kind::drop_before_processing)
            co_return false;
        if (f && answer_without_processing(*f, res))
            co_return co_await write_response(s, res);
        std::optional<stored_file> file;
        std::uint64_t size = opts.result_file_size;
        std::string md5;
        if (path.starts_with("/files/input/")) {
            std::lock_guard lk(mu);
            auto it = files.find(path.substr(13));
            if (it != files.end())
                file = it->second;
        }
        if (path.starts_with("/files/input/") && !file) {
            res.result(http::status::not_found);
            res.set(http::field::content_type, "application/xml");
            res.body() = "<Error><Code>NoSuchKey</Code></Error>";
            co_return co_await write_response(s, res);
        }
        if (file) {
            size = file->size;
            md5 = file->md5;
        } else {
            md5 = generated_md5(size);
        }
        std::string etag = "\"" + md5 + "\"";
        // Range: bytes=a- or bytes=a-b, honoured unless If-Range names another version.
        std::uint64_t first = 0, last = size ? size - 1 : 0;
        bool ranged = false;
        if (auto r = req[http::field::range]; !r.empty()) {
            {
                std::lock_guard lk(mu);
                ++stats.range_requests;
            }
            auto ifr = req[http::field::if_range];
            unsigned long long a = 0, b = 0;
            int got = std::sscanf(std::string(r).c_str(), "bytes=%llu-%llu", &a, &b);
            if ((ifr.empty() || ifr == etag) && got >= 1) {
                if (a >= size) {
                    res.result(http::status::range_not_satisfiable);
                    res.set(http::field::content_range, "bytes */" + std::to_string(size));
                    co_return co_await write_response(s, res);
                }
                ranged = true;
                first = a;
                if (got == 2 && b < last)
                    last = b;
            }
        }
        std::uint64_t length = size ? last - first + 1 : 0;
        std::string h = ranged ? "HTTP/1.1 206 Partial Content\r\n" : "HTTP/1.1 200 OK\r\n";
        h += "Server: runninghub-emulator\r\nContent-Type: " + std::string(content_type_for(path)) +
             "\r\nAccept-Ranges: bytes\r\nETag: " + etag + "\r\nContent-Length: " + std::to_string(length) + "\r\n";
        if (ranged)
            h += "Content-Range: bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + std::to_string(size) + "\r\n";
        else
            h += "Content-MD5: " + detail::md5::hex_to_base64(md5) + "\r\n";
        bool keep = req.keep_alive();
        h += keep ? "\r\n" : "Connection: close\r\n\r\n";
        auto [wec, wn] = co_await asio::async_write(s, asio::buffer(h), use_tuple);
        if (wec)
            co_return false;
        std::uint64_t stop_at = f && f->kind == fault_kind::truncated_body ? length / 2 : length;
        std::FILE* in = file ? std::fopen(file->path.c_str(), "rb") : nullptr;
        if (in)
            std::fseek(in, static_cast<long>(first), SEEK_SET);
        std::unique_ptr<char[]> chunk(new char[64 * 1024]);
        bool ok = true;
        for (std::uint64_t sent = 0; sent < stop_at && ok;) {
            std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(64 * 1024, stop_at - sent));
            if (in) {
                ok = std::fread(chunk.get(), 1, n, in) == n;
            } else {
                for (std::size_t i = 0; i < n; ++i)
                    chunk[i] = generated_byte(first + sent + i);
            }
            if (!ok)
                break;
            auto [ec, m] = co_await asio::async_write(s, asio::buffer(chunk.get(), n), use_tuple);
            ok = !ec;
            sent += n;
        }
        if (in)
            std::fclose(in);
        co_return ok && stop_at == length && keep;
    }

    bool authorized_header(std::string_view v, std::string& key) const {
        if (!v.starts_with("Bearer "))
            return false;
        key = std::string(v.substr(7));
        return std::find(opts.api_keys.begin(), opts.api_keys.end(), key) != opts.api_keys.end();
    }

    // --- webhooks
    std::string webhook_body(const std::string& id) {
        std::lock_guard lk(mu);
        return webhook_body_locked(id);
    }

    std::string webhook_body_locked(const std::string& id) {
        auto it = tasks.find(id);
        if (it == tasks.end())
            return {};
        auto now = clock::now();
        auto v2 = task_json(id, it->second, now);
        bool ok = status_at(it->second, now) == task_status::success;
        switch (opts.webhook_format) {
        case webhook_shape::legacy_string: {
            json::object env;
            if (ok) {
                json::array outputs;
                for (auto& r : v2["results"].as_array())
                    outputs.push_back(json::object{{"fileUrl", r.at("url")},
                                                   {"fileType", r.at("outputType")},
                                                   {"taskCostTime", 0},
                                                   {"nodeId", r.at("nodeId")}});
                env = {{"code", 0}, {"msg", "success"}, {"data", std::move(outputs)}};
            } else {
                env = {{"code", 805},
                       {"msg", "APIKEY_TASK_STATUS_ERROR"},
                       {"data", json::object{{"failedReason", v2["failedReason"]}}}};
            }
            return json::serialize(
                json::object{{"event", "TASK_END"}, {"taskId", id}, {"eventData", json::serialize(env)}});
        }
        case webhook_shape::object:
            return json::serialize(json::object{{"event", "TASK_END"},
                                                {"taskId", id},
                                                {"eventData", json::object{{"status", v2["status"]},
                                                                           {"results", v2["results"]},
                                                                           {"usage", v2["usage"]}}}});
        case webhook_shape::wrapped:
            return json::serialize(json::object{
                {"code", 0},
                {"msg", "success"},
                {"data", json::object{{"taskId", id}, {"status", v2["status"]}, {"results", v2["results"]}}}});
        case webhook_shape::flat:
            return json::serialize(
                json::object{{"taskId", id}, {"status", v2["status"]}, {"results", v2["results"]}});
        }
        return {};
    }

    // One POST to an http(s) URL; true on 2xx.
    asio::awaitable<bool> post_once(const std::string& url, const std::string& body) {
        auto u = boost::urls::parse_uri(url);
        if (!u)
            co_return false;
        bool https = u->scheme() == "https";
        std::string host(u->host());
        std::string port = u->has_port() ? std::string(u->port()) : (https ? "443" : "80");
        std::string target(u->encoded_resource());
        if (target.empty())
            target = "/";
        auto ex = co_await asio::this_coro::executor;
        tcp::resolver resolver(ex);
        auto [rec, eps] = co_await resolver.async_resolve(host, port, use_tuple);
        if (rec)
            co_return false;
        http::request<http::string_body> req{http::verb::post, target, 11};
        req.set(http::field::host, host + ":" + port);
        req.set(http::field::content_type, "application/json");
        req.set(http::field::user_agent, "runninghub-emulator");
        req.body() = body;
        req.keep_alive(false);
        req.prepare_payload();
        http::response<http::string_body> res;
        beast::flat_buffer buf;
        auto exchange = [&](auto& stream, beast::tcp_stream& lowest) -> asio::awaitable<bool> {
            lowest.expires_after(std::chrono::seconds(5));
            auto [wec, wn] = co_await http::async_write(stream, req, use_tuple);
            if (wec)
                co_return false;
            auto [rdec, rn] = co_await http::async_read(stream, buf, res, use_tuple);
            co_return !rdec && res.result_int() / 100 == 2;
        };
        beast::tcp_stream tcp_s(ex);
        tcp_s.expires_after(std::chrono::seconds(5));
        auto [cec, ep] = co_await tcp_s.async_connect(eps, use_tuple);
        if (cec)
            co_return false;
        if (!https)
            co_return co_await exchange(tcp_s, tcp_s);
        ssl::context client_ctx(ssl::context::tls_client);  // the receiver's certificate is not checked here
        ssl::stream<beast::tcp_stream> tls(std::move(tcp_s), client_ctx);
        auto [hec] = co_await tls.async_handshake(ssl::stream_base::client, use_tuple);
        if (hec)
            co_return false;
        co_return co_await exchange(tls, tls.next_layer());
    }

    asio::awaitable<void> deliver_webhook(std::string id, std::string url, time_point at) {
        asio::steady_timer timer(co_await asio::this_coro::executor, at);
        co_await timer.async_wait(use_tuple);
        std::string body = webhook_body(id);
        int copies = 1;
        {
            std::lock_guard lk(mu);
            std::uniform_real_distribution<double> u(0, 1);
            if (u(rng) < opts.webhook_loss_rate) {
                ++stats.webhooks_lost;
                co_return;
            }
            if (u(rng) < opts.webhook_duplicate_rate) {
                ++stats.webhooks_duplicated;
                copies = 2;
            }
        }
        for (int copy = 0; copy < copies; ++copy) {
            bool ok = false;
            unsigned attempts = std::max(1u, opts.webhook_attempts);
            for (unsigned attempt = 1; attempt <= attempts && !ok; ++attempt) {
                ok = co_await post_once(url, body);
                {
                    std::lock_guard lk(mu);
                    ++(ok ? stats.webhooks_delivered : stats.webhooks_failed_attempts);
                    if (!ok && attempt == attempts)
                        ++stats.webhooks_given_up;
                    if (auto it = tasks.find(id); it != tasks.end()) {
                        auto& t = it->second;
                        t.callback_status = ok ? "SUCCESS" : attempt == attempts ? "FAILED" : "RETRYING";
                        t.callback_response = ok ? "HTTP 2xx" : "no 2xx answer from " + url;
                        t.retry_count = attempt - 1;
                        t.webhook_updated = wall_time();
                    }
                }
                if (!ok && attempt < attempts) {
                    timer.expires_after(opts.webhook_retry_delay * attempt);
                    co_await timer.async_wait(use_tuple);
                }
            }
            if (!ok)
                break;
            if (copy + 1 < copies) {
                timer.expires_after(opts.webhook_retry_delay);
                co_await timer.async_wait(use_tuple);
            }
        }
    }

    // --- the service. The answer helpers return false: "no task was created".
    static bool json_answer(response_t& res, const json::value& v) {
        res.result(http::status::ok);
        res.set(http::field::content_type, "application/json");
        res.body() = json::serialize(v);
        return false;
    }

    static bool legacy_error(response_t& res, int code, const char* msg) {
        return json_answer(res, json::object{{"code", code}, {"msg", msg}, {"data", nullptr}});
    }

    static bool flat_error(response_t& res, const char* code, const char* msg) {
        return json_answer(res, json::object{{"taskId", ""},
                                      {"status", ""},
                                      {"errorCode", code},
                                      {"errorMessage", msg},
                                      {"results", nullptr},
                                      {"clientId", ""},
                                      {"promptTips", ""}});
    }

    bool authorized(const request_t& req, std::string& key) const {
        return authorized_header(req[http::field::authorization], key);
    }

    task_status status_at(const emu_task& t, time_point now) const {
        if (t.cancelled)
            return task_status::cancel;
        if (now < t.created + opts.queue_time)
            return task_status::queued;
        if (now < t.created + opts.queue_time + opts.run_time)
            return task_status::running;
        return t.fail ? task_status::failed : task_status::success;
    }

    std::size_t active_tasks(const std::string& key, time_point now) {
        auto& q = active[key];
        q.erase(q.begin(), q.upper_bound(now));
        return q.size();
    }

    std::string files_base() const { return opts.result_base_url.empty() ? base : opts.result_base_url; }

    json::array results_json(const std::string& id, const emu_task& t) const {
        switch (t.kind) {
        case result_kind::none: return {};
        case result_kind::text:
            return {json::object{{"url", nullptr}, {"outputType", "txt"}, {"nodeId", "9"},
                                 {"text", "a caption for task " + id}}};
        case result_kind::file: break;
        }
        return {json::object{{"url", files_base() + "/files/" + id + "/output.png"},
                             {"outputType", "png"},
                             {"nodeId", "9"},
                             {"text", nullptr}}};
    }

    json::object task_json(const std::string& id, const emu_task& t, time_point now) const {
        auto st = status_at(t, now);
        json::object o{{"taskId", id},
                       {"status", to_string(st)},
                       {"errorCode", ""},
                       {"errorMessage", ""},
                       {"results", nullptr},
                       {"clientId", "emulator"},
                       {"promptTips", R"({"result": true, "error": null, "outputs_to_execute": ["9"], "node_errors": {}})"},
                       {"failedReason", json::object{}}};
        if (st == task_status::success) {
            o["results"] = results_json(id, t);
            o["usage"] = json::object{{"consumeMoney", nullptr},
                                      {"consumeCoins", "10"},
                                      {"taskCostTime", std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                                                          opts.run_time).count())},
                                      {"thirdPartyConsumeMoney", nullptr}};
        } else if (st == task_status::failed) {
            o["errorCode"] = "1000";
            o["errorMessage"] = "unknown error";
            o["failedReason"] = failed_reason();
        }
        return o;
    }

    // A new task as its submit answers it: QUEUED or RUNNING, nothing else yet.
    json::object accepted_json(const std::string& id, time_point now) const {
        auto o = task_json(id, tasks.at(id), now);
        o["results"] = nullptr;
        o["failedReason"] = nullptr;
        o["errorCode"] = "";
        o["errorMessage"] = "";
        if (o["status"].as_string() != "QUEUED")
            o["status"] = "RUNNING";
        return o;
    }

    static json::object failed_reason() {
        return {{"node_id", "9"}, {"node_name", "SaveImage"}, {"exception_type", "RuntimeError"},
                {"exception_message", "emulated failure"}, {"traceback", "[]"}};
    }

    // The nodes of every emulated app and workflow (apiCallDemo, getJsonApiFormat, legacy create checks).
    static json::array app_nodes() {
        return {json::object{{"nodeId", "6"}, {"nodeName", "CLIPTextEncode"}, {"fieldName", "text"},
                             {"fieldValue", "a cat in a spacesuit"}, {"fieldType", "STRING"},
                             {"description", "提示词"}, {"descriptionEn", "prompt"}},
                json::object{{"nodeId", "3"}, {"nodeName", "KSampler"}, {"fieldName", "seed"},
                             {"fieldValue", "42"}, {"fieldType", "INT"},
                             {"description", "种子"}, {"descriptionEn", "seed"}},
                json::object{{"nodeId", "10"}, {"nodeName", "LoadImage"}, {"fieldName", "image"},
                             {"fieldValue", "example.png"}, {"fieldType", "IMAGE"},
                             {"description", "图片"}, {"descriptionEn", "image"}},
                json::object{{"nodeId", "12"}, {"nodeName", "RH_Ratio"}, {"fieldName", "aspect_ratio"},
                             {"fieldValue", "16:9 (Widescreen)"}, {"fieldType", "LIST"},
                             {"fieldData", R"j([{"name":"16:9 (Widescreen)"},{"name":"1:1 (Square)"}])j"},
                             {"description", "比例"}, {"descriptionEn", "aspect ratio"}}};
    }

    static bool known_node(std::string_view node_id) {
        return node_id == "3" || node_id == "6" || node_id == "9" || node_id == "10" || node_id == "12";
    }

    // Creates a task (the caller checked the key, the id and the limit); its id.
    std::string create_task(const std::string& key, const std::string& of, const json::object& obj, time_point now,
                            bool instant = false) {
        std::string task_id = std::to_string(next_id++);
        emu_task t;
        t.key = key;
        t.created = now;
        t.fail = std::uniform_real_distribution<double>(0, 1)(rng) < opts.failure_rate;
        if (auto k = opts.result_kinds.find(of); k != opts.result_kinds.end())
            t.kind = k->second;
        auto total = opts.queue_time + opts.run_time;
        if (instant) {
            t.created = now - total;
            t.fail = false;
        }
        if (auto* hook = obj.if_contains("webhookUrl"); hook && hook->is_string() && !hook->get_string().empty()) {
            t.webhook_url = hook->get_string();
            t.webhook_id = std::to_string(next_id++);
            t.callback_status = "PENDING";
            t.webhook_created = t.webhook_updated = wall_time();
            asio::co_spawn(io, deliver_webhook(task_id, t.webhook_url, t.created + total), asio::detached);
        }
        if (!instant)
            active[key].insert(now + total);
        ++stats.tasks_created;
        tasks.emplace(task_id, std::move(t));
        return task_id;
    }

    bool over_limit(const std::string& key, time_point now) {
        if (opts.concurrency_limit && active_tasks(key, now) >= opts.concurrency_limit) {
            ++stats.rejected_concurrency;
            return true;
        }
        return false;
    }

    emu_task* find_task(const json::object& obj, const std::string& key) {
        auto it = tasks.find(detail::scalar_text(obj.if_contains("taskId")));
        return it == tasks.end() || it->second.key != key ? nullptr : &it->second;
    }

    static bool ok_answer(response_t& res, json::value data, const char* msg = "success") {
        return json_answer(res, json::object{{"code", 0}, {"msg", msg}, {"data", std::move(data)}});
    }

    // Legacy endpoints (key in the body, {code,msg,data}); true when a task was created.
    bool handle_legacy(std::string_view target, const json::object& obj, const std::string& key, response_t& res,
                       time_point now) {
        bool create = target == "/task/openapi/create";
        bool app_run = target == "/task/openapi/ai-app/run";
        bool quick = target == "/task/openapi/quick-ai-app/run";
        if (create || app_run || quick) {
            std::string id = detail::scalar_text(obj.if_contains(create ? "workflowId" : "webappId"));
            auto& known = create ? opts.workflows : opts.ai_apps;
            if (std::find(known.begin(), known.end(), id) == known.end())
                return create ? legacy_error(res, 380, "WORKFLOW_NOT_EXISTS") : legacy_error(res, 901, "WEBAPP_NOT_EXISTS");
            if (quick && detail::scalar_text(obj.if_contains("quickCreateCode")).empty())
                return legacy_error(res, 301, "PARAMS_INVALID");
            auto* list = obj.if_contains("nodeInfoList");
            if ((!list && !create) || (list && !list->is_array()) || (!create && list->get_array().empty()))
                return legacy_error(res, 803, "APIKEY_INVALID_NODE_INFO");
            json::object node_errors;
            if (list)
                for (auto& item : list->get_array()) {
                    auto* io = item.if_object();
                    if (!io || !io->contains("nodeId") || !io->contains("fieldName") || !io->contains("fieldValue"))
                        return legacy_error(res, 803, "APIKEY_INVALID_NODE_INFO");
                    auto node = detail::scalar_text(io->if_contains("nodeId"));
                    if (!known_node(node))
                        node_errors[node] = json::object{
                            {"errors", json::array{json::object{{"type", "node_not_found"},
                                                                {"message", "Node " + node + " is not in the workflow"}}}}};
                }
            if (auto* w = obj.if_contains("workflow"); w && w->is_string()) {
                error_code jec;
                json::parse(w->get_string(), jec);
                if (jec)
                    return legacy_error(res, 433, "VALIDATE_PROMPT_FAILED: workflow is not valid JSON");
            }
            if (over_limit(key, now))
                return legacy_error(res, 421, "TASK_QUEUE_MAXED");
            json::object tips{{"result", node_errors.empty()}, {"error", nullptr},
                              {"outputs_to_execute", json::array{"9"}}, {"node_errors", node_errors}};
            if (!node_errors.empty()) {
                // Validation failed: the task is created FAILED, node errors in promptTips.
                std::string task_id = std::to_string(next_id++);
                emu_task t;
                t.key = key;
                t.created = now - opts.queue_time - opts.run_time;
                t.fail = true;
                tasks.emplace(task_id, std::move(t));
                ++stats.tasks_created;
                return ok_answer(res, json::object{{"netWssUrl", nullptr}, {"taskId", task_id}, {"clientId", "emulator"},
                                                   {"taskStatus", "FAILED"}, {"promptTips", json::serialize(tips)}}), true;
            }
            auto task_id = create_task(key, id, obj, now);
            auto st = status_at(tasks.at(task_id), now);
            ok_answer(res, json::object{{"netWssUrl", nullptr}, {"taskId", task_id}, {"clientId", "emulator"},
                                        {"taskStatus", st == task_status::queued ? "QUEUED" : "RUNNING"},
                                        {"promptTips", json::serialize(tips)}});
            return true;
        }
        if (target == "/task/openapi/status") {
            auto* t = find_task(obj, key);
            if (!t)
                return legacy_error(res, 807, "APIKEY_TASK_NOT_FOUND");
            auto st = status_at(*t, now);
            return ok_answer(res, json::string(st == task_status::cancel ? std::string_view("FAILED") : to_string(st)));
        }
        if (target == "/task/openapi/outputs") {
            auto* t = find_task(obj, key);
            if (!t)
                return legacy_error(res, 807, "APIKEY_TASK_NOT_FOUND");
            auto id = detail::scalar_text(obj.if_contains("taskId"));
            auto st = status_at(*t, now);
            auto ended = t->created + opts.queue_time + opts.run_time;
            if (st == task_status::queued)
                return legacy_error(res, 813, "APIKEY_TASK_IS_QUEUED");
            if (st == task_status::running || (st == task_status::success && now < ended + opts.outputs_lag))
                return json_answer(res, json::object{{"code", 804}, {"msg", "APIKEY_TASK_IS_RUNNING"},
                                                     {"data", json::object{{"netWssUrl", nullptr}}}});
            if (st != task_status::success)
                return json_answer(res, json::object{{"code", 805}, {"msg", "APIKEY_TASK_STATUS_ERROR"},
                                                     {"data", json::object{{"failedReason", failed_reason()}}}});
            json::array outputs;
            for (auto& r : results_json(id, *t)) {
                auto& ro = r.as_object();
                json::object item{{"fileUrl", ro.at("url")}, {"fileType", ro.at("outputType")}, {"taskCostTime", "1"},
                                  {"nodeId", ro.at("nodeId")}, {"thirdPartyConsumeMoney", nullptr},
                                  {"consumeMoney", nullptr}, {"consumeCoins", "10"}};
                if (!ro.at("text").is_null())
                    item["text"] = ro.at("text");
                outputs.push_back(std::move(item));
            }
            return ok_answer(res, std::move(outputs));
        }
        if (target == "/task/openapi/cancel") {
            auto* t = find_task(obj, key);
            if (!t)
                return legacy_error(res, 807, "APIKEY_TASK_NOT_FOUND");
            if (!is_terminal(status_at(*t, now))) {
                t->cancelled = true;
                auto& q = active[key];
                if (auto e = q.find(t->created + opts.queue_time + opts.run_time); e != q.end())
                    q.erase(e);
                ++stats.tasks_cancelled;
            }
            return ok_answer(res, nullptr);
        }
        if (target == "/uc/openapi/accountStatus") {
            long long coins = std::stoll(opts.remain_coins) - 10 * static_cast<long long>(stats.tasks_created);
            return ok_answer(res, json::object{{"remainCoins", std::to_string(coins)},
                                               {"currentTaskCounts", std::to_string(active_tasks(key, now))},
                                               {"remainMoney", nullptr},
                                               {"currency", nullptr},
                                               {"apiType", "NORMAL"}});
        }
        if (target == "/task/openapi/getWebhookDetail") {
            auto* t = find_task(obj, key);
            if (!t || t->webhook_id.empty())
                return legacy_error(res, 807, "APIKEY_TASK_NOT_FOUND");
            auto id = detail::scalar_text(obj.if_contains("taskId"));
            return ok_answer(res, json::object{{"id", t->webhook_id},
                                               {"userApiKey", key.substr(0, 4) + "****" + key.substr(key.size() - 4)},
                                               {"taskId", id},
                                               {"webhookUrl", t->webhook_url},
                                               {"eventData", webhook_body_locked(id)},
                                               {"callbackStatus", t->callback_status},
                                               {"callbackResponse", t->callback_response},
                                               {"retryCount", t->retry_count},
                                               {"createTime", t->webhook_created},
                                               {"updateTime", t->webhook_updated}});
        }
        if (target == "/task/openapi/retryWebhook") {
            auto hook = detail::scalar_text(obj.if_contains("webhookId"));
            auto url = detail::scalar_text(obj.if_contains("webhookUrl"));
            auto it = std::find_if(tasks.begin(), tasks.end(),
                                   [&](auto& kv) { return kv.second.key == key && kv.second.webhook_id == hook; });
            if (it == tasks.end() || hook.empty())
                return legacy_error(res, 301, "PARAMS_INVALID: webhook not found");
            if (!url.empty())
                it->second.webhook_url = url;
            ++stats.webhook_retries_requested;
            asio::co_spawn(io, deliver_webhook(it->first, it->second.webhook_url, now), asio::detached);
            return ok_answer(res, nullptr, "");
        }
        if (target == "/api/openapi/getLoraUploadUrl") {
            auto md5 = detail::scalar_text(obj.if_contains("md5Hex"));
            auto name = detail::scalar_text(obj.if_contains("loraName"));
            if (md5.size() != 32 || name.empty() ||
                !std::all_of(md5.begin(), md5.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }))
                return legacy_error(res, 301, "PARAMS_INVALID");
            return ok_answer(res, json::object{{"fileName", "api-lora-cn/" + md5 + ".safetensors"},
                                               {"url", base + "/cos/lora/" + md5 + ".safetensors?sign=emulated"}});
        }
        if (target == "/api/openapi/getJsonApiFormat") {
            auto id = detail::scalar_text(obj.if_contains("workflowId"));
            if (std::find(opts.workflows.begin(), opts.workflows.end(), id) == opts.workflows.end())
                return legacy_error(res, 380, "WORKFLOW_NOT_EXISTS");
            json::object prompt{
                {"3", json::object{{"class_type", "KSampler"}, {"inputs", json::object{{"seed", 42}, {"steps", 20}}}}},
                {"6", json::object{{"class_type", "CLIPTextEncode"}, {"inputs", json::object{{"text", "a cat"}}}}},
                {"9", json::object{{"class_type", "SaveImage"}, {"inputs", json::object{{"filename_prefix", "ComfyUI"}}}}}};
            return ok_answer(res, json::object{{"prompt", json::serialize(prompt)}}, "SUCCESS");
        }
        res.result(http::status::not_found);
        legacy_error(res, 1001, "Invalid URL");
        res.result(http::status::not_found);
        return false;
    }

    // Standard Model API: typed parameters are checked as the service does.
    bool handle_model(std::string_view endpoint, const json::object& obj, const std::string& key, response_t& res,
                      time_point now) {
        bool instant = std::find(opts.instant_models.begin(), opts.instant_models.end(), endpoint) != opts.instant_models.end();
        if (!instant && std::find(opts.models.begin(), opts.models.end(), endpoint) == opts.models.end())
            return flat_error(res, "1001", "Invalid URL");
        for (auto& [k, v] : obj) {
            bool flag = k.starts_with("enable") || k.starts_with("is");
            bool number = k == "seed" || k == "width" || k == "height" || k == "duration" || k == "numImages";
            if ((flag && !v.is_bool()) || (number && !v.is_number()) || (k == "prompt" && !v.is_string()))
                return flat_error(res, "1007", "Invalid parameters: wrong JSON type");
        }
        if (!obj.contains("prompt"))
            return flat_error(res, "1007", "Invalid parameters: prompt is required");
        if (!instant && over_limit(key, now))
            return legacy_error(res, 421, "TASK_QUEUE_MAXED");
        auto id = create_task(key, std::string(endpoint), obj, now, instant);
        json_answer(res, instant ? task_json(id, tasks.at(id), now) : accepted_json(id, now));
        return true;
    }

    // Answers one request; true when it created a task.
    bool handle(const request_t& req, response_t& res) {
        std::string_view target = req.target();
        std::unique_lock lk(mu);
        auto now = clock::now();
        if (req.method() == http::verb::get && target.starts_with("/api/webapp/apiCallDemo")) {
            auto u = boost::urls::parse_origin_form(target);
            std::string key, app;
            if (u)
                for (auto p : u->params()) {
                    if (p.key == "apiKey")
                        key = p.value;
                    else if (p.key == "webappId")
                        app = p.value;
                }
            std::string bearer;
            if (std::find(opts.api_keys.begin(), opts.api_keys.end(), key) == opts.api_keys.end())
                return legacy_error(res, 802, "APIKEY_UNAUTHORIZED");
            if (std::find(opts.ai_apps.begin(), opts.ai_apps.end(), app) == opts.ai_apps.end())
                return legacy_error(res, 901, "WEBAPP_NOT_EXISTS");
            return ok_answer(res, json::object{{"curl", "curl -X POST " + base + "/task/openapi/ai-app/run ..."},
                                               {"webappName", "Emulated app " + app},
                                               {"statisticsInfo", json::object{{"useCount", 7}}},
                                               {"nodeInfoList", app_nodes()},
                                               {"covers", json::array{}},
                                               {"tags", json::array{"emulator"}}});
        }
        if (req.method() == http::verb::get && (target == "/openapi/v2/queue/status" || target == "/openapi/v2/api-key/list")) {
            std::string key;
            if (!authorized(req, key))
                return legacy_error(res, 1002, "Invalid API Key");
            if (target == "/openapi/v2/api-key/list")
                return ok_answer(res, json::array{json::object{{"key", key.substr(0, 4) + "****" + key.substr(key.size() - 4)},
                                                               {"apiKeyName", "emulator"},
                                                               {"status", "ENABLED"},
                                                               {"quotaLimit", nullptr},
                                                               {"quotaUsed", std::to_string(stats.tasks_created)}}});
            auto running = active_tasks(key, now);
            return ok_answer(res, json::object{{"apiKeyType", "SHARED"},
                                               {"concurrentLimit", opts.concurrency_limit ? opts.concurrency_limit : 50},
                                               {"runningCount", running},
                                               {"queuedCount", 0},
                                               {"totalCurrentTasks", running}});
        }
        if (req.method() != http::verb::post) {
            res.result(http::status::method_not_allowed);
            return false;
        }
        if (target == "/api/fast/creation/model/params") {
            error_code pec;
            auto v = json::parse(req.body(), pec);
            auto* o = pec ? nullptr : v.if_object();
            std::string key;
            if (o && o->contains("apiKey"))
                key = detail::scalar_text(o->if_contains("apiKey"));
            if (std::find(opts.api_keys.begin(), opts.api_keys.end(), key) == opts.api_keys.end() && !authorized(req, key))
                return legacy_error(res, 802, "APIKEY_UNAUTHORIZED");
            auto app = o ? detail::scalar_text(o->if_contains("webappId")) : std::string();
            if (std::find(opts.ai_apps.begin(), opts.ai_apps.end(), app) == opts.ai_apps.end())
                return legacy_error(res, 901, "WEBAPP_NOT_EXISTS");
            return ok_answer(res, json::array{json::object{{"id", "1"}, {"name", "Cinematic"}},
                                              json::object{{"id", "2"}, {"name", "Anime"}}});
        }
        bool legacy = target.starts_with("/task/openapi/") || target.starts_with("/uc/openapi/") ||
                      target.starts_with("/api/openapi/");
        error_code jec;
        json::value body = json::parse(req.body(), jec);
        std::string key;
        if (legacy) {
            // Legacy endpoints: the key in the body (accountStatus spells it "apikey"), the {code,msg,data} envelope.
            if (jec || !body.is_object())
                return legacy_error(res, 301, "PARAMS_INVALID");
            const char* field = target == "/uc/openapi/accountStatus" ? "apikey" : "apiKey";
            if (auto* k = body.get_object().if_contains(field); k && k->is_string())
                key = k->get_string();
            if (std::find(opts.api_keys.begin(), opts.api_keys.end(), key) == opts.api_keys.end())
                return legacy_error(res, 802, "APIKEY_UNAUTHORIZED");
            return handle_legacy(target, body.get_object(), key, res, now);
        }
        if (!authorized(req, key))
            return flat_error(res, "1002", "Invalid API Key");
        if (jec || !body.is_object())
            return flat_error(res, "1007", "Invalid parameters: body is not a JSON object");
        auto& obj = body.get_object();

        bool app = target.starts_with("/openapi/v2/run/ai-app/");
        bool wf = target.starts_with("/openapi/v2/run/workflow/");
        if (app || wf) {
            std::string id(target.substr(target.rfind('/') + 1));
            auto& known = app ? opts.ai_apps : opts.workflows;
            if (std::find(known.begin(), known.end(), id) == known.end())
                return app ? legacy_error(res, 901, "WEBAPP_NOT_EXISTS") : legacy_error(res, 380, "WORKFLOW_NOT_EXISTS");
            auto* list = obj.if_contains("nodeInfoList");
            if (!list || !list->is_array() || list->get_array().empty())
                return flat_error(res, "1101", "Node info error");
            for (auto& item : list->get_array()) {
                auto* io = item.if_object();
                if (!io || !io->contains("nodeId") || !io->contains("fieldName") || !io->contains("fieldValue"))
                    return flat_error(res, "1101", "Node info error: nodeId, fieldName and fieldValue are required");
            }
            if (over_limit(key, now))
                return legacy_error(res, 421, "TASK_QUEUE_MAXED");
            json_answer(res, accepted_json(create_task(key, id, obj, now), now));
            return true;
        }
        if (target == "/openapi/v2/query") {
            auto* id = obj.if_contains("taskId");
            if (!id || !id->is_string())
                return flat_error(res, "1007", "Invalid parameters: taskId");
            auto it = tasks.find(std::string(id->get_string()));
            if (it == tasks.end() || it->second.key != key)
                return flat_error(res, "1004", "Task not found or expired");
            return json_answer(res, task_json(it->first, it->second, now));
        }
        if (target == "/openapi/v2/aiapp/list") {
            auto size = obj.contains("size") ? detail::scalar_text(obj.if_contains("size")) : "10";
            auto current = obj.contains("current") ? detail::scalar_text(obj.if_contains("current")) : "1";
            int n = std::atoi(size.c_str()), page = std::atoi(current.c_str());
            if (n < 1 || n > 50 || page < 1)
                return legacy_error(res, 1007, "Invalid parameters: size is 1..50, current from 1");
            json::array records;
            for (std::size_t i = static_cast<std::size_t>((page - 1) * n); i < opts.ai_apps.size() && records.size() < static_cast<std::size_t>(n); ++i)
                records.push_back(json::object{{"title", "Emulated app " + opts.ai_apps[i]},
                                               {"description", "an app of the emulator"},
                                               {"cover", files_base() + "/files/cover.png"},
                                               {"invokeExample", "POST /openapi/v2/run/ai-app/" + opts.ai_apps[i]}});
            auto total = opts.ai_apps.size();
            auto pages = (total + n - 1) / n;
            return ok_answer(res, json::object{{"records", std::move(records)}, {"current", page}, {"size", n},
                                               {"total", total}, {"pages", pages},
                                               {"hasNext", static_cast<std::size_t>(page) < pages}});
        }
        if (target == "/openapi/v2/resource/list") {
            json::array records;
            for (auto& m : opts.models)
                records.push_back(json::object{{"endpoint", m}, {"name", m}});
            for (auto& m : opts.instant_models)
                records.push_back(json::object{{"endpoint", m}, {"name", m}});
            return ok_answer(res, json::object{{"records", std::move(records)}});
        }
        if (target.starts_with("/openapi/v2/price-preview/")) {
            auto model = target.substr(26);
            bool known = std::find(opts.models.begin(), opts.models.end(), model) != opts.models.end() ||
                         std::find(opts.instant_models.begin(), opts.instant_models.end(), model) != opts.instant_models.end();
            if (!known)
                return flat_error(res, "1001", "Invalid URL");
            return ok_answer(res, json::object{{"price", "0.10"}, {"currency", "CNY"}});
        }
        if (target.starts_with("/openapi/v2/"))
            return handle_model(target.substr(12), obj, key, res, now);
        res.result(http::status::not_found);
        legacy_error(res, 1001, "Invalid URL");
        res.result(http::status::not_found);
        return false;
    }

    emulator_options opts;
    asio::io_context io;
    ssl::context ctx;
    tcp::acceptor acceptor;
    unsigned short port = 0;
    std::string base;
    std::string ca;
    std::vector<std::thread> threads;
    std::once_flag stopped;

    mutable std::mutex mu;  // guards everything below
    std::mt19937_64 rng;
    std::vector<fault> faults;
    emulator_counters stats;
    std::unordered_map<std::string, emu_task> tasks;
    std::unordered_map<std::string, std::multiset<time_point>> active;  // end times of active tasks, per key
    std::uint64_t next_id = 1900000000000000001ull;  // beyond 2^53: ids must stay strings
    std::unordered_map<std::string, stored_file> files;  // uploads by stored name
    std::atomic<std::uint64_t> upload_seq{0};
    std::filesystem::path dir;                            // the uploads' temporary directory
    std::mutex md5_mu;
    std::map<std::uint64_t, std::string> generated_md5s;  // by result file size
};

emulator::emulator(emulator_options opts) : impl_(std::make_unique<impl>(std::move(opts))) {}
emulator::~emulator() = default;

std::string emulator::base_url() const { return impl_->base; }
unsigned short emulator::port() const { return impl_->port; }
const std::string& emulator::ca_pem() const { return impl_->ca; }

client_options emulator::make_client_options() const {
    client_options o;
    o.api_key = impl_->opts.api_keys.empty() ? default_api_key : impl_->opts.api_keys.front();
    o.base_url = impl_->base;
    o.ca_pem = impl_->ca;
    return o;
}

emulator_counters emulator::counters() const {
    std::lock_guard lk(impl_->mu);
    return impl_->stats;
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

void emulator::set_faults(std::vector<fault> faults) {
    std::lock_guard lk(impl_->mu);
    impl_->faults = std::move(faults);
}

void emulator::stop() { impl_->stop(); }

} // namespace runninghub
