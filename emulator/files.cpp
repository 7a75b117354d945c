// SPDX-License-Identifier: BSL-1.0
#include "files.hpp"
#include "io.hpp"

#include "md5.hpp"
#include "multipart.hpp"
#include "net/server_stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/object.hpp>

#include <cstdio>
#include <functional>
#include <memory>
#include <optional>

namespace asio = boost::asio;

namespace runninghub::emu {
namespace {

constexpr std::size_t chunk_size = 64 * 1024;
using head_request = http::request<http::empty_body>;

// Result files are generated, not stored: byte i of every result file.
char generated_byte(std::uint64_t i) { return static_cast<char>((i * 0x9E3779B97F4A7C15ull) >> 56); }

asio::awaitable<bool> write_response(detail::server_stream& s, response_t& res) {
    res.version(11);
    res.set(http::field::server, "runninghub-emulator");
    res.prepare_payload();
    auto [ec, n] = co_await http::async_write(s, res, use_tuple);
    co_return !ec && res.keep_alive();
}

// Reads a streamed request body in chunks into `sink`; false when the connection broke.
asio::awaitable<bool> read_body(detail::server_stream& s, http::request_parser<http::buffer_body>& p,
                                const std::function<void(const char*, std::size_t)>& sink) {
    std::unique_ptr<char[]> chunk(new char[chunk_size]);
    while (!p.is_done()) {
        p.get().body().data = chunk.get();
        p.get().body().size = chunk_size;
        auto [ec, n] = co_await http::async_read(s, s.buffer(), p, use_tuple);
        if (ec == http::error::need_buffer)
            ec = {};
        if (ec)
            co_return false;
        sink(chunk.get(), chunk_size - p.get().body().size);
    }
    co_return true;
}

// The upload answers of the v2 API: {code, message|msg, data}.
void v2_envelope(response_t& res, int code, std::string_view msg, json::value data, bool message_spelling = true) {
    json::object o{{"code", code}, {message_spelling ? "message" : "msg", msg}, {"data", std::move(data)}};
    if (!message_spelling)
        o["errorMessages"] = nullptr;
    json_answer(res, o);
}

struct byte_range {
    std::uint64_t first = 0, last = 0;
    bool ranged = false;
    bool unsatisfiable = false;
};

// Range: bytes=a- or bytes=a-b, honoured unless If-Range names another version.
byte_range range_of(const head_request& req, std::uint64_t size, const std::string& etag) {
    byte_range r{0, size ? size - 1 : 0};
    auto h = req[http::field::range];
    auto if_range = req[http::field::if_range];
    unsigned long long a = 0, b = 0;
    int got = h.empty() ? 0 : std::sscanf(std::string(h).c_str(), "bytes=%llu-%llu", &a, &b);
    if ((!if_range.empty() && if_range != etag) || got < 1)
        return r;
    if (a >= size) {
        r.unsatisfiable = true;
        return r;
    }
    r.ranged = true;
    r.first = a;
    if (got == 2 && b < r.last)
        r.last = b;
    return r;
}

std::string file_head(std::string_view path, const std::string& etag, const byte_range& r, std::uint64_t size,
                      const std::string& md5_hex, bool keep) {
    std::uint64_t length = size ? r.last - r.first + 1 : 0;
    std::string h = r.ranged ? "HTTP/1.1 206 Partial Content\r\n" : "HTTP/1.1 200 OK\r\n";
    h += "Server: runninghub-emulator\r\nContent-Type: " + std::string(content_type_for(path)) +
         "\r\nAccept-Ranges: bytes\r\nETag: " + etag + "\r\nContent-Length: " + std::to_string(length) + "\r\n";
    if (r.ranged)
        h += "Content-Range: bytes " + std::to_string(r.first) + "-" + std::to_string(r.last) + "/" +
             std::to_string(size) + "\r\n";
    else
        h += "Content-MD5: " + md5::hex_to_base64(md5_hex) + "\r\n";
    h += keep ? "\r\n" : "Connection: close\r\n\r\n";
    return h;
}

// Sends n bytes from `first` of a stored file, or of the generated result when
// there is none; false when the connection broke.
asio::awaitable<bool> send_bytes(detail::server_stream& s, const stored_file* file, std::uint64_t first,
                                 std::uint64_t n) {
    std::FILE* in = file ? std::fopen(file->path.c_str(), "rb") : nullptr;
    if (in)
        std::fseek(in, static_cast<long>(first), SEEK_SET);
    std::unique_ptr<char[]> chunk(new char[chunk_size]);
    bool ok = true;
    for (std::uint64_t sent = 0; sent < n && ok;) {
        auto m = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_size, n - sent));
        if (in)
            ok = std::fread(chunk.get(), 1, m, in) == m;
        else
            for (std::size_t i = 0; i < m; ++i)
                chunk[i] = generated_byte(first + sent + i);
        if (!ok)
            break;
        auto [ec, w] = co_await asio::async_write(s, asio::buffer(chunk.get(), m), use_tuple);
        ok = !ec;
        sent += m;
    }
    if (in)
        std::fclose(in);
    co_return ok;
}

} // namespace

// An upload's body as it arrives: the file (a form's file part, or a PUT's
// whole body) to a temporary file with its MD5; the form's other fields in memory.
struct files::received {
    explicit received(std::filesystem::path t) : temp(std::move(t)) {}
    ~received() {
        close();
        std::error_code ignored;
        std::filesystem::remove(temp, ignored);
    }
    void write(const char* d, std::size_t n) {
        if (!f && !(f = std::fopen(temp.c_str(), "wb")))
            write_failed = true;
        if (f && std::fwrite(d, 1, n, f) != n)
            write_failed = true;
        hash.update(d, n);
        size += n;
    }
    void close() {
        if (f)
            std::fclose(f);
        f = nullptr;
    }
    std::string ext() const {
        auto dot = file_name.rfind('.');
        return dot == std::string::npos ? std::string() : file_name.substr(dot);
    }

    std::filesystem::path temp;
    std::FILE* f = nullptr;
    md5 hash;
    std::uint64_t size = 0;
    std::string md5_hex;
    bool write_failed = false;
    std::map<std::string, std::string> fields;  // the form's other fields, 4 KiB each at most
    std::string file_name;                      // the form's file part's filename
};

files::kind files::streamed(http::verb method, std::string_view path) {
    if ((method == http::verb::post && (path == "/openapi/v2/media/upload/binary" || path == "/task/openapi/upload")) ||
        (method == http::verb::put && path.starts_with("/cos/")))
        return kind::upload;
    if (method == http::verb::get && path.starts_with("/files/"))
        return kind::download;
    return kind::none;
}

void files::store(received& r, const std::string& name) {
    std::error_code ec;
    std::filesystem::rename(r.temp, st_.dir / name, ec);
    auto lk = st_.lock();
    st_.files[name] = {st_.dir / name, r.size, r.md5_hex};
    ++st_.stats.uploads;
    st_.stats.upload_bytes += r.size;
}

// A presigned storage URL: the MD5 in its path must match the bytes.
void files::answer_put(received& r, const std::string& path, response_t& res) {
    std::string want = path.substr(path.rfind('/') + 1);
    want = want.substr(0, want.find('.'));
    if (want != r.md5_hex || r.write_failed) {
        res.result(http::status::bad_request);
        res.set(http::field::content_type, "application/xml");
        res.body() = "<Error><Code>BadDigest</Code><Message>MD5 " + r.md5_hex + " does not match " + want +
                     "</Message></Error>";
        return;
    }
    store(r, "lora-" + r.md5_hex + ".safetensors");
    res.result(http::status::ok);
    res.set(http::field::etag, "\"" + r.md5_hex + "\"");
}

// POST /task/openapi/upload: the key as a form field (or a Bearer header).
void files::answer_legacy(received& r, bool bearer_ok, response_t& res) {
    auto type = r.fields["fileType"];
    if (!st_.known_key(r.fields["apiKey"]) && !bearer_ok)
        legacy_error(res, 802, "APIKEY_UNAUTHORIZED");
    else if (type != "image" && type != "video" && type != "audio" && type != "input")
        legacy_error(res, 301, "PARAMS_INVALID");
    else if (r.size > st_.opts.legacy_upload_limit)
        legacy_error(res, 809, "APIKEY_FILE_SIZE_EXCEEDED");
    else {
        std::string name = r.md5_hex + r.ext();
        store(r, name);
        json_answer(res, json::object{{"code", 0}, {"msg", "success"},
                                      {"data", json::object{{"fileName", "api/" + name}, {"fileType", type}}}});
    }
}

// POST /openapi/v2/media/upload/binary: a Bearer key; both spellings of the
// envelope occur in the wild, so consecutive uploads alternate them.
void files::answer_v2(received& r, bool bearer_ok, std::uint64_t seq, response_t& res) {
    if (!bearer_ok)
        return v2_envelope(res, 401, "ApiKey verification failed: API Key不存在", nullptr);
    std::string name = r.md5_hex + r.ext();
    store(r, name);
    auto ext = r.ext();
    std::string type = ext == ".mp4" || ext == ".mov" || ext == ".avi" || ext == ".mkv" ? "video"
                       : ext == ".mp3" || ext == ".wav" || ext == ".flac"               ? "audio"
                                                                                         : "image";
    v2_envelope(res, 0, "success",
                json::object{{"type", type},
                             {"download_url", st_.base + "/files/input/" + name + "?q-sign-time=86400"},
                             {"fileName", "openapi/" + name},
                             {"size", std::to_string(r.size)}},
                seq % 2 == 0);
}

asio::awaitable<bool> files::upload(detail::server_stream& s) {
    http::request_parser<http::buffer_body> p(std::move(s.head()));
    p.body_limit(boost::none);
    auto& req = p.get();
    std::string path(req.target().substr(0, req.target().find('?')));
    bool put = req.method() == http::verb::put;
    std::string bearer;
    bool bearer_ok = st_.bearer_key(req[http::field::authorization], bearer);
    auto seq = ++upload_seq_;
    received r(st_.dir / ("upload-" + std::to_string(seq) + ".tmp"));
    std::string field;
    bool in_file = false;
    detail::multipart_reader form(put ? std::string_view() : std::string_view(req[http::field::content_type]),
                                  {[&](const detail::multipart_part& part) {
                                       in_file = part.name == "file" && !part.filename.empty();
                                       if (in_file)
                                           r.file_name = part.filename;
                                       field = part.name;
                                       return true;
                                   },
                                   [&](const char* d, std::size_t n) {
                                       if (in_file)
                                           r.write(d, n);
                                       else if (r.fields[field].size() + n <= 4096)
                                           r.fields[field].append(d, n);
                                       return true;
                                   },
                                   [] { return true; }});
    bool whole = co_await read_body(s, p, [&](const char* d, std::size_t n) { put ? r.write(d, n) : (void)form.feed(d, n); });
    if (!whole)
        co_return false;
    r.close();
    r.md5_hex = r.hash.hex();
    response_t res;
    res.keep_alive(req.keep_alive());
    bool legacy = path == "/task/openapi/upload";
    if (put)
        answer_put(r, path, res);
    else if ((!form.done() || r.write_failed || r.file_name.empty()) && legacy)
        legacy_error(res, 301, "PARAMS_INVALID");
    else if (!form.done() || r.write_failed || r.file_name.empty())
        v2_envelope(res, 1007, "Invalid parameters: " + (form.error().empty() ? std::string("no file part") : form.error()),
                    nullptr);
    else if (legacy)
        answer_legacy(r, bearer_ok, res);
    else
        answer_v2(r, bearer_ok, seq, res);
    co_return co_await write_response(s, res);
}

const std::string& files::generated_md5(std::uint64_t size) {
    std::lock_guard lk(md5_mu_);
    auto& m = generated_md5s_[size];
    if (m.empty()) {
        md5 h;
        std::unique_ptr<char[]> chunk(new char[chunk_size]);
        for (std::uint64_t at = 0; at < size;) {
            auto n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_size, size - at));
            for (std::size_t i = 0; i < n; ++i)
                chunk[i] = generated_byte(at + i);
            h.update(chunk.get(), n);
            at += n;
        }
        m = h.hex();
    }
    return m;
}

asio::awaitable<bool> files::download(detail::server_stream& s) {
    auto& req = s.head().get();
    std::string target(req.target());
    std::string path = target.substr(0, target.find('?'));
    auto f = faults_.pick(path);
    response_t res;
    res.keep_alive(req.keep_alive());
    if (f && f->kind == fault_kind::drop_before_processing)
        co_return false;
    if (f && faults::answer_without_processing(*f, res))
        co_return co_await write_response(s, res);
    std::optional<stored_file> file;
    bool input = path.starts_with("/files/input/");
    if (input) {
        auto lk = st_.lock();
        if (auto it = st_.files.find(path.substr(13)); it != st_.files.end())
            file = it->second;
    }
    if (input && !file) {
        res.result(http::status::not_found);
        res.set(http::field::content_type, "application/xml");
        res.body() = "<Error><Code>NoSuchKey</Code></Error>";
        co_return co_await write_response(s, res);
    }
    std::uint64_t size = file ? file->size : st_.opts.result_file_size;
    std::string md5 = file ? file->md5 : generated_md5(size);
    std::string etag = "\"" + md5 + "\"";
    if (!req[http::field::range].empty()) {
        auto lk = st_.lock();
        ++st_.stats.range_requests;
    }
    auto range = range_of(req, size, etag);
    if (range.unsatisfiable) {
        res.result(http::status::range_not_satisfiable);
        res.set(http::field::content_range, "bytes */" + std::to_string(size));
        co_return co_await write_response(s, res);
    }
    bool keep = req.keep_alive();
    if (f && f->kind == fault_kind::early_hints) {  // its own write: the answer's head may come in a later read
        auto [hec, hn] = co_await asio::async_write(s, asio::buffer(early_hints_text), use_tuple);
        if (hec)
            co_return false;
    }
    auto head = file_head(path, etag, range, size, md5, keep);
    auto [wec, wn] = co_await asio::async_write(s, asio::buffer(head), use_tuple);
    if (wec)
        co_return false;
    std::uint64_t length = size ? range.last - range.first + 1 : 0;
    std::uint64_t stop_at = f && f->kind == fault_kind::truncated_body ? length / 2 : length;
    bool ok = co_await send_bytes(s, file ? &*file : nullptr, range.first, stop_at);
    co_return ok && stop_at == length && keep;
}

} // namespace runninghub::emu
