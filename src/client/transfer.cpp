// Uploads (v2 binary, legacy, LoRA) and downloads (resumable, verified):
// files stream through a 64 KiB buffer, never whole in memory. File reads and
// writes are synchronous on the client's executor, one chunk at a time.

#include "client/client_impl.hpp"
#include "codec/codec.hpp"
#include "codec/md5.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <sys/stat.h>

namespace asio = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace runninghub {
namespace {

constexpr std::uint64_t legacy_upload_limit = 30ull << 20;  // /task/openapi/upload, per file

using detail::md5;

std::string io_reason() { return std::strerror(errno); }

/// An upload body: a file read in chunks, or a buffer; hashes what it hands out.
class upload_source final : public detail::body_source {
public:
    ~upload_source() override {
        if (file_)
            std::fclose(file_);
    }

    /// Opens the file (or takes the buffer); false with a reason otherwise.
    bool open(const upload_file& f, std::string& why) {
        if (f.in_memory()) {
            mem_ = &f.content;
            size_ = f.content.size();
            return true;
        }
        path_ = f.path.string();
        struct stat st {};
        if (::stat(path_.c_str(), &st) != 0) {
            why = "cannot open \"" + path_ + "\": " + io_reason();
            return false;
        }
        if (!S_ISREG(st.st_mode)) {
            why = "\"" + path_ + "\" is not a regular file";
            return false;
        }
        file_ = std::fopen(path_.c_str(), "rb");
        if (!file_) {
            why = "cannot open \"" + path_ + "\": " + io_reason();
            return false;
        }
        size_ = static_cast<std::uint64_t>(st.st_size);
        return true;
    }

    std::uint64_t size() const override { return size_; }

    std::size_t read(char* p, std::size_t n, error_code& ec) override {
        std::size_t got = 0;
        if (mem_) {
            got = static_cast<std::size_t>(std::min<std::uint64_t>(n, size_ - pos_));
            std::memcpy(p, mem_->data() + pos_, got);
        } else {
            got = std::fread(p, 1, static_cast<std::size_t>(std::min<std::uint64_t>(n, size_ - pos_)), file_);
            if (got == 0 && pos_ < size_) {
                ec = make_error_code(errc::file_error);  // shrank or unreadable while sending
                return 0;
            }
        }
        hash_.update(p, got);
        pos_ += got;
        return got;
    }

    error_code rewind() override {
        pos_ = 0;
        hash_.reset();
        if (file_ && std::fseek(file_, 0, SEEK_SET) != 0)
            return make_error_code(errc::file_error);
        return {};
    }

    /// The MD5 of everything read since the last rewind (call once, at the end).
    std::string md5_hex() { return hash_.hex(); }

    /// Reads it all once to hash it (LoRA needs the MD5 before the upload).
    error_code hash_all(std::string& hex) {
        std::unique_ptr<char[]> buf(new char[64 * 1024]);
        error_code ec;
        while (read(buf.get(), 64 * 1024, ec) != 0) {}
        if (ec)
            return ec;
        hex = md5_hex();
        return rewind();
    }

private:
    std::FILE* file_ = nullptr;
    const std::string* mem_ = nullptr;
    std::string path_;
    std::uint64_t size_ = 0, pos_ = 0;
    md5 hash_;
};

std::string quoted_name(std::string_view name) {
    std::string s;
    for (char c : name)
        s += (c == '"' || c == '\r' || c == '\n' || c == '\\') ? '_' : c;
    return s;
}

std::string make_boundary(std::minstd_rand& rng) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string b = "----runninghub-cpp-";
    for (int i = 0; i < 24; ++i)
        b += digits[rng() & 15];
    return b;
}

std::string form_field(std::string_view boundary, std::string_view name, std::string_view value) {
    std::string s;
    s.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"").append(name);
    s.append("\"\r\n\r\n").append(value).append("\r\n");
    return s;
}

std::string mb(std::uint64_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / (1 << 20));
    return buf;
}

using upload_result = std::pair<error_code, uploaded_file>;
constexpr auto upload_error = detail::failure<uploaded_file>;

} // namespace

// --- uploads

namespace {

asio::awaitable<upload_result> put_lora(std::shared_ptr<client::impl> self, upload_source& src, uploaded_file out,
                                        std::string url) {
    detail::origin where;
    std::string target, why;
    if (detail::parse_url(url, where, target, &why))
        co_return upload_error(errc::protocol_error, "POST /api/openapi/getLoraUploadUrl", "upload " + why);
    detail::http_request req;
    req.method = detail::http_method::put;
    req.target = target;
    req.content_type = "application/octet-stream";
    req.authorize = false;  // a presigned storage URL: the API key must not go there
    req.source = &src;
    req.idempotent = true;
    auto started = clock::now();
    for (unsigned attempt = 1;; ++attempt) {
        auto res = co_await self->http.request(where, req, clock::now() + self->opts.timeout.transfer);
        detail::outcome o;
        o.ec = res.ec ? res.ec : (res.status / 100 == 2 ? error_code{} : detail::http_status_error(res.status));
        self->count_call("PUT {lora upload url}", o.ec);
        if (!o.ec) {
            out.size = src.size();
            co_return upload_result{error_code{}, std::move(out)};
        }
        auto delay = is_retryable(o.ec) ? self->next_retry(o, self->opts.retry.query, attempt, started) : std::nullopt;
        if (!delay || src.rewind()) {
            auto r = upload_error(o.ec, "PUT " + where.key(), res.detail);
            r.second.diag.http_status = res.status;
            r.second.diag.body_excerpt = detail::excerpt(res.body);
            co_return r;
        }
        if (auto ec = co_await self->sleep(*delay))
            co_return upload_error(ec, "PUT " + where.key(), "");
    }
}

asio::awaitable<upload_result> do_upload(std::shared_ptr<client::impl> self, client::upload_kind kind, upload_file file,
                                         std::string arg) {
    using kind_t = client::upload_kind;
    std::string endpoint = kind == kind_t::v2       ? "POST /openapi/v2/media/upload/binary"
                           : kind == kind_t::legacy ? "POST /task/openapi/upload"
                                                    : "POST /api/openapi/getLoraUploadUrl";
    upload_source src;
    std::string why;
    if (!src.open(file, why))
        co_return upload_error(errc::file_error, endpoint, why);
    std::string shown = file.in_memory() ? file.name : file.path.string();
    if (kind == kind_t::legacy && src.size() > legacy_upload_limit)
        co_return upload_error(errc::file_too_large, endpoint,
                               "\"" + shown + "\" is " + mb(src.size()) +
                                   "; /task/openapi/upload accepts at most 30 MB per file: use client.upload() (v2) "
                                   "or pass a public URL to the node");

    if (kind == kind_t::lora) {
        uploaded_file out;
        if (auto ec = src.hash_all(out.md5))
            co_return upload_error(errc::file_error, endpoint, "reading \"" + shown + "\" failed");
        detail::http_request req;
        req.target = "/api/openapi/getLoraUploadUrl";
        req.body = json::serialize(json::object{{"apiKey", self->opts.api_key}, {"loraName", arg}, {"md5Hex", out.md5}});
        req.idempotent = true;
        auto r = co_await self->call_json(std::move(req), endpoint);
        auto* o = r.data.if_object();
        if (!r.ec && (!o || detail::decode_uploaded(r.data, out) || !o->contains("url"))) {
            r.ec = make_error_code(errc::protocol_error);
            r.diag.server_message = "getLoraUploadUrl: data has no fileName and url";
        }
        if (r.ec) {
            out.diag = std::move(r.diag);
            co_return upload_result{r.ec, std::move(out)};
        }
        std::string url = detail::scalar_text(o->if_contains("url"));
        out.download_url.clear();
        co_return co_await put_lora(self, src, std::move(out), std::move(url));
    }

    std::string boundary = make_boundary(self->rng);
    std::string ct(file.content_type.empty() ? content_type_for(file.name) : std::string_view(file.content_type));
    std::string head;
    if (kind == kind_t::legacy) {
        head += form_field(boundary, "apiKey", self->opts.api_key);
        head += form_field(boundary, "fileType", arg);
    }
    head.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"file\"; filename=\"");
    head.append(quoted_name(file.name)).append("\"\r\nContent-Type: ").append(ct).append("\r\n\r\n");
    std::string tail = "\r\n--" + boundary + "--\r\n";
    std::string content_type = "multipart/form-data; boundary=" + boundary;

    detail::http_request req;
    req.target = kind == kind_t::v2 ? "/openapi/v2/media/upload/binary" : "/task/openapi/upload";
    req.body = std::move(head);
    req.content_type = content_type;
    req.source = &src;
    req.tail = tail;
    req.idempotent = true;  // the same bytes land under the same name: repeating costs nothing
    auto r = co_await self->call_json(std::move(req), endpoint, self->opts.timeout.transfer);
    uploaded_file out;
    if (!r.ec && detail::decode_uploaded(r.data, out)) {
        r.ec = make_error_code(errc::protocol_error);
        r.diag.server_message = "upload: data has no fileName";
    }
    if (!r.ec) {
        out.size = src.size();
        out.md5 = src.md5_hex();
    }
    out.diag = std::move(r.diag);
    co_return upload_result{r.ec, std::move(out)};
}

} // namespace

void client::start_upload(std::shared_ptr<impl> self, upload_kind kind, upload_file file, std::string arg,
                          handler<uploaded_file> h) {
    if (file.name.empty() || file.name.find_first_of("\r\n") != std::string::npos)
        return detail::fail_as<uploaded_file>(self, std::move(h), errc::invalid_options,
                                              "upload_file needs a file name without line breaks");
    if (kind == upload_kind::legacy && arg != "image" && arg != "video" && arg != "audio" && arg != "input")
        return detail::fail_as<uploaded_file>(self, std::move(h), errc::invalid_options,
                                              "legacy_upload: file_type \"" + detail::excerpt(arg, 32) +
                                                  "\" must be image, video, audio or input");
    if (kind == upload_kind::lora && (arg.empty() || arg.size() > 200))
        return detail::fail_as<uploaded_file>(self, std::move(h), errc::invalid_options,
                                              "upload_lora needs a lora_name of 1 to 200 characters");
    detail::launch(self, do_upload(self, kind, std::move(file), std::move(arg)), std::move(h));
}

// --- downloads

namespace {

/// Receives a file's bytes across transfers: the .part file or the user's
/// sink, the running MD5, the offset reached, what the server announced.
struct download_state final : detail::body_sink {
    std::FILE* file = nullptr;
    download_sink user;
    const download_options* opts = nullptr;
    md5 hash;
    std::uint64_t offset = 0;     // bytes of the file we have, in order
    std::uint64_t received = 0;
    std::optional<std::uint64_t> total;
    std::string content_md5;      // from a complete (200) answer
    std::string etag;
    std::string why;              // for a size mismatch
    bool local_failure = false;   // the file, the user's sink or a mismatch stopped the transfer: final

    ~download_state() override {
        if (file)
            std::fclose(file);
    }

    error_code restart() {
        offset = 0;
        hash.reset();
        if (file && (std::fflush(file) != 0 || ::ftruncate(fileno(file), 0) != 0 || std::fseek(file, 0, SEEK_SET) != 0))
            return make_error_code(errc::file_error);
        return {};
    }

    error_code on_head(const detail::response_head& h) override {
        auto ec = head(h);
        local_failure = local_failure || ec;
        return ec;
    }

    error_code on_data(const char* p, std::size_t n) override {
        auto ec = data(p, n);
        local_failure = local_failure || ec;
        return ec;
    }

    error_code head(const detail::response_head& h) {
        if (!h.etag.empty()) {
            if (!etag.empty() && etag != h.etag && h.status == 206) {
                why = "the file changed between transfers (ETag " + etag + " then " + h.etag + ")";
                return make_error_code(errc::size_mismatch);
            }
            etag = h.etag;
        }
        if (h.status == 206) {
            // "bytes first-last/total": it must continue exactly where we are.
            std::uint64_t first = 0, last = 0, whole = 0;
            if (std::sscanf(h.content_range.c_str(), "bytes %lu-%lu/%lu", &first, &last, &whole) != 3 || first != offset) {
                why = "Content-Range \"" + h.content_range + "\" does not continue at byte " + std::to_string(offset);
                return make_error_code(errc::size_mismatch);
            }
            total = whole;
        } else {
            // A complete answer (the server ignored Range, or the first transfer).
            if (offset != 0)
                if (auto ec = restart())
                    return ec;
            total = h.content_length;
            content_md5 = h.content_md5;
        }
        if (opts->progress)
            opts->progress(offset, total);
        return {};
    }

    error_code data(const char* p, std::size_t n) {
        if (total && offset + n > *total) {
            why = "more bytes than announced (" + std::to_string(*total) + ")";
            return make_error_code(errc::size_mismatch);
        }
        if (file) {
            if (std::fwrite(p, 1, n, file) != n)
                return make_error_code(errc::file_error);
        } else if (auto ec = user(p, n)) {
            return ec;
        }
        hash.update(p, n);
        offset += n;
        received += n;
        if (opts->progress)
            opts->progress(offset, total);
        return {};
    }
};

/// An ETag that is a plain MD5 (object stores such as COS and S3 for single-part uploads).
std::string etag_md5(std::string_view etag) {
    if (etag.starts_with("W/"))
        return {};
    if (etag.size() == 34 && etag.front() == '"' && etag.back() == '"')
        etag = etag.substr(1, 32);
    if (etag.size() != 32 || !std::all_of(etag.begin(), etag.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }))
        return {};
    std::string s(etag);
    for (auto& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string file_name_of(std::string_view target) {
    auto q = target.find('?');
    auto path = target.substr(0, q);
    auto name = path.substr(path.rfind('/') + 1);
    std::string s;
    for (char c : name)
        s += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
    if (s.empty() || s == "." || s == "..")
        s = "download";
    return s;
}

using download_return = std::pair<error_code, download_result>;
constexpr auto download_error = detail::failure<download_result>;

asio::awaitable<download_return> do_download(std::shared_ptr<client::impl> self, result_file file, fs::path dest,
                                             download_sink sink, download_options opts) {
    download_result out;
    // A text output: no request.
    if (file.text && file.url.empty()) {
        out.text = true;
        out.bytes = file.text->size();
        md5 h;
        h.update(file.text->data(), file.text->size());
        out.md5 = h.hex();
        if (sink) {
            if (auto ec = sink(file.text->data(), file.text->size()))
                co_return download_return{ec, std::move(out)};
        } else {
            std::error_code fec;
            if (fs::is_directory(dest, fec))
                dest /= "output-" + (file.node_id.empty() ? std::string("text") : file.node_id) + ".txt";
            std::FILE* f = std::fopen(dest.c_str(), "wb");
            bool ok = f && std::fwrite(file.text->data(), 1, file.text->size(), f) == file.text->size();
            if (f && std::fclose(f) != 0)
                ok = false;
            if (!ok)
                co_return download_error(errc::file_error, "", "cannot write \"" + dest.string() + "\": " + io_reason());
            out.path = dest;
        }
        co_return download_return{error_code{}, std::move(out)};
    }
    detail::origin where;
    std::string target, why;
    if (detail::parse_url(file.url, where, target, &why))
        co_return download_error(errc::invalid_options, "", "result " + why);
    std::string endpoint = "GET " + where.key();

    download_state st;
    st.opts = &opts;
    fs::path part;
    if (sink) {
        st.user = std::move(sink);
    } else {
        std::error_code fec;
        if (fs::is_directory(dest, fec))
            dest /= file_name_of(target);
        part = dest;
        part += ".part";
        if (opts.resume_part && fs::exists(part, fec)) {
            // Continue an earlier transfer: hash what is there first.
            st.file = std::fopen(part.c_str(), "r+b");
            if (st.file) {
                std::unique_ptr<char[]> buf(new char[64 * 1024]);
                std::size_t n;
                while ((n = std::fread(buf.get(), 1, 64 * 1024, st.file)) > 0) {
                    st.hash.update(buf.get(), n);
                    st.offset += n;
                }
                std::fseek(st.file, 0, SEEK_END);
            }
        }
        if (!st.file)
            st.file = std::fopen(part.c_str(), "wb");
        if (!st.file)
            co_return download_error(errc::file_error, endpoint,
                                     "cannot write \"" + part.string() + "\": " + io_reason());
    }

    auto deadline = clock::now() + std::min<duration>(opts.timeout, self->opts.timeout.transfer);
    std::string headers;
    detail::http_response res;
    error_code ec;
    for (unsigned attempt = 1;; ++attempt) {
        headers.clear();
        if (st.offset > 0) {
            headers = "Range: bytes=" + std::to_string(st.offset) + "-\r\n";
            if (!st.etag.empty() && !st.etag.starts_with("W/"))
                headers += "If-Range: " + st.etag + "\r\n";
            if (attempt > 1)
                ++out.resumes;
        }
        detail::http_request req;
        req.method = detail::http_method::get;
        req.target = target;
        req.authorize = false;  // result URLs are on storage hosts: never send them the key
        req.headers = headers;
        req.sink = &st;
        req.idempotent = true;
        res = co_await self->http.request(where, req, deadline);
        ec = res.ec;
        if (!ec && res.status == 416 && st.offset > 0) {
            // Range not satisfiable: what we have is not a prefix of this file.
            if ((ec = st.restart()))
                break;
            ec = make_error_code(errc::http_unexpected_status);
        } else if (!ec && res.status / 100 != 2) {
            ec = detail::http_status_error(res.status);
        } else if (!ec && st.total && st.offset != *st.total) {
            ec = make_error_code(errc::size_mismatch);
            st.why = "got " + std::to_string(st.offset) + " of " + std::to_string(*st.total) + " bytes";
        }
        self->count_call("GET {result file}", ec);
        if (!ec)
            break;
        // The file's, the sink's or a mismatch are final; a broken transfer resumes.
        bool transient = !st.local_failure && ec != errc::size_mismatch && ec != asio::error::operation_aborted &&
                         (is_retryable(ec) || (ec == errc::http_unexpected_status && res.status == 416));
        if (!transient || attempt >= opts.max_attempts || clock::now() >= deadline)
            break;
        auto delay = detail::backoff_delay(self->opts.retry.query, attempt, self->uniform());
        if (auto sec = co_await self->sleep(std::min<duration>(delay, deadline - clock::now()))) {
            ec = sec;
            break;
        }
    }
    out.bytes = st.offset;
    out.received = st.received;
    out.diag.endpoint = endpoint;
    if (ec) {
        out.diag.http_status = res.status;
        out.diag.server_message = st.why.empty() ? res.detail : st.why;
        if (!res.body.empty())
            out.diag.body_excerpt = detail::excerpt(res.body);
        if (st.file)
            std::fflush(st.file);  // keep the .part for a later resume
        co_return download_return{ec, std::move(out)};
    }
    out.md5 = st.hash.hex();
    std::string expected = !st.content_md5.empty() ? md5::base64_to_hex(st.content_md5) : etag_md5(st.etag);
    if (!expected.empty()) {
        if (expected != out.md5) {
            out.diag.server_message = "MD5 " + out.md5 + ", the server says " + expected;
            if (st.file) {
                std::fclose(std::exchange(st.file, nullptr));
                std::error_code fec;
                fs::remove(part, fec);  // a corrupt .part must not be resumed
            }
            co_return download_return{make_error_code(errc::checksum_mismatch), std::move(out)};
        }
        out.checksum_verified = true;
    }
    if (st.file) {
        if (std::fclose(std::exchange(st.file, nullptr)) != 0)
            co_return download_error(errc::file_error, endpoint, "cannot write \"" + part.string() + "\"");
        std::error_code fec;
        fs::rename(part, dest, fec);
        if (fec)
            co_return download_error(errc::file_error, endpoint,
                                     "cannot rename \"" + part.string() + "\": " + fec.message());
        out.path = dest;
    }
    co_return download_return{error_code{}, std::move(out)};
}

} // namespace

void client::start_download(std::shared_ptr<impl> self, result_file file, fs::path dest, download_sink sink,
                            download_options opts, handler<download_result> h) {
    if (file.url.empty() && !file.text)
        return detail::fail_as<download_result>(self, std::move(h), errc::invalid_options,
                                                "the result has neither a URL nor a text");
    if (!sink && dest.empty())
        return detail::fail_as<download_result>(self, std::move(h), errc::invalid_options,
                                                "download needs a destination path or a sink");
    if (opts.max_attempts == 0 || opts.timeout <= duration::zero())
        return detail::fail_as<download_result>(self, std::move(h), errc::invalid_options,
                                                "download_options: max_attempts >= 1 and a positive timeout");
    detail::launch(
        self, do_download(self, std::move(file), std::move(dest), std::move(sink), std::move(opts)), std::move(h));
}

} // namespace runninghub
