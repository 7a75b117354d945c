// SPDX-License-Identifier: BSL-1.0
// Uploads (v2 binary, legacy, LoRA): files stream through a 64 KiB buffer,
// never whole in memory. File reads are synchronous on the client's
// executor, one chunk at a time.

#include "client/client_impl.hpp"
#include "client/file_io.hpp"
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

using detail::io_reason;
using detail::md5;

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

asio::awaitable<upload_result> put_lora(std::shared_ptr<detail::client_impl> self, upload_source& src, uploaded_file out,
                                        std::string url) {
    detail::origin where;
    std::string target, why;
    if (detail::parse_url(url, where, target, &why))
        co_return upload_error(errc::protocol_error, std::string(detail::row(detail::endpoint_id::lora_upload_url).name),
                               "upload " + why);
    // A presigned storage URL: row lora_put carries no key (key_place::none).
    auto req = detail::client_impl::request_for(detail::endpoint_id::lora_put, target);
    req.content_type = "application/octet-stream";
    req.source = &src;
    auto started = clock::now();
    for (unsigned attempt = 1;; ++attempt) {
        auto res = co_await self->http.request(where, req, clock::now() + self->opts.timeout.transfer);
        error_code ec = res.ec ? res.ec : (res.status / 100 == 2 ? error_code{} : detail::http_status_error(res.status));
        self->count_call(detail::endpoint_id::lora_put, ec);
        if (!ec) {
            out.size = src.size();
            co_return upload_result{error_code{}, std::move(out)};
        }
        auto delay = self->repeat_after(detail::call_kind::read, res.request_written, self->opts.retry.query, ec,
                                        attempt, started);
        if (!delay || src.rewind()) {
            auto r = upload_error(ec, "PUT " + where.key(), res.detail);
            r.second.diag.http_status = res.status;
            r.second.diag.body_excerpt = detail::excerpt(res.body);
            co_return r;
        }
        if (auto ec = co_await self->sleep(*delay))
            co_return upload_error(ec, "PUT " + where.key(), "");
    }
}

asio::awaitable<upload_result> do_upload(std::shared_ptr<detail::client_impl> self, detail::upload_kind kind, upload_file file,
                                         std::string arg) {
    using kind_t = detail::upload_kind;
    using detail::endpoint_id;
    auto which = kind == kind_t::v2 ? endpoint_id::upload
                 : kind == kind_t::legacy ? endpoint_id::legacy_upload : endpoint_id::lora_upload_url;
    std::string endpoint(detail::row(which).name);
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
        auto req = detail::client_impl::request_for(which);
        req.body = self->body_for(which, json::object{{"loraName", arg}, {"md5Hex", out.md5}});
        auto r = co_await self->call(which, std::move(req));
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
    if (detail::row(which).key == detail::key_place::form_apiKey)
        head += form_field(boundary, "apiKey", self->opts.api_key);
    if (kind == kind_t::legacy)
        head += form_field(boundary, "fileType", arg);
    head.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"file\"; filename=\"");
    head.append(quoted_name(file.name)).append("\"\r\nContent-Type: ").append(ct).append("\r\n\r\n");
    std::string tail = "\r\n--" + boundary + "--\r\n";
    std::string content_type = "multipart/form-data; boundary=" + boundary;

    auto req = detail::client_impl::request_for(which);  // `read`: the same bytes land under the same name
    req.body = std::move(head);
    req.content_type = content_type;
    req.source = &src;
    req.tail = tail;
    auto r = co_await self->call(which, std::move(req), self->opts.timeout.transfer);
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

} // namespace runninghub
