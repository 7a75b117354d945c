// SPDX-License-Identifier: BSL-1.0
// Downloads of result files: resumable with Range, verified by length and
// MD5 (the rules are core/resume's). Bytes stream through a 64 KiB buffer;
// file writes are synchronous on the client's executor, one chunk at a time.

#include "client/client_impl.hpp"
#include "client/file_io.hpp"
#include "codec/md5.hpp"
#include "core/resume.hpp"

#include <cstdio>
#include <filesystem>
#include <unistd.h>

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace runninghub {
namespace {

using detail::io_reason;
using detail::md5;

/// Receives a file's bytes across transfers: the .part file or the user's
/// sink and the running MD5; where it got and what the server said is a
/// core/resume point, whose rules decide what each answer means.
struct download_state final : detail::body_sink {
    std::FILE* file = nullptr;
    download_sink user;
    const download_options* opts = nullptr;
    md5 hash;
    detail::resume_point at;
    std::uint64_t received = 0;
    std::string why;              // for a size mismatch
    bool local_failure = false;   // the file, the user's sink or a mismatch stopped the transfer: final

    ~download_state() override {
        if (file)
            std::fclose(file);
    }

    error_code restart() {
        at.offset = 0;
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
        switch (detail::on_head(at, {h.status, h.content_length, h.content_range, h.content_md5, h.etag}, why)) {
        case detail::head_verdict::mismatch:
            return make_error_code(errc::size_mismatch);
        case detail::head_verdict::restart:
            if (auto ec = restart())
                return ec;
            break;
        case detail::head_verdict::append:
            break;
        }
        if (opts->progress)
            opts->progress(at.offset, at.total);
        return {};
    }

    error_code data(const char* p, std::size_t n) {
        if (auto ec = detail::check_more(at, n, why))
            return ec;
        if (file) {
            if (std::fwrite(p, 1, n, file) != n)
                return make_error_code(errc::file_error);
        } else if (auto ec = user(p, n)) {
            return ec;
        }
        hash.update(p, n);
        at.offset += n;
        received += n;
        if (opts->progress)
            opts->progress(at.offset, at.total);
        return {};
    }
};

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

// A text output: written without a request.
download_return write_text(const result_file& file, fs::path dest, const download_sink& sink) {
    download_result out;
    out.text = true;
    out.bytes = file.text->size();
    md5 h;
    h.update(file.text->data(), file.text->size());
    out.md5 = h.hex();
    if (sink) {
        auto ec = sink(file.text->data(), file.text->size());
        return download_return{ec, std::move(out)};
    }
    std::error_code fec;
    if (fs::is_directory(dest, fec))
        dest /= "output-" + (file.node_id.empty() ? std::string("text") : file.node_id) + ".txt";
    std::FILE* f = std::fopen(dest.c_str(), "wb");
    bool ok = f && std::fwrite(file.text->data(), 1, file.text->size(), f) == file.text->size();
    if (f && std::fclose(f) != 0)
        ok = false;
    if (!ok)
        return download_error(errc::file_error, "", "cannot write \"" + dest.string() + "\": " + io_reason());
    out.path = dest;
    return download_return{error_code{}, std::move(out)};
}

// Where the bytes go: the user's sink, or "<dest>.part" (continued when an
// earlier call left one: what is there is hashed first). Empty: ready.
std::string open_destination(download_state& st, fs::path& dest, fs::path& part, std::string_view target) {
    std::error_code fec;
    if (fs::is_directory(dest, fec))
        dest /= file_name_of(target);
    part = dest;
    part += ".part";
    if (st.opts->resume_part && fs::exists(part, fec)) {
        st.file = std::fopen(part.c_str(), "r+b");
        if (st.file) {
            std::unique_ptr<char[]> buf(new char[64 * 1024]);
            std::size_t n;
            while ((n = std::fread(buf.get(), 1, 64 * 1024, st.file)) > 0) {
                st.hash.update(buf.get(), n);
                st.at.offset += n;
            }
            std::fseek(st.file, 0, SEEK_END);
        }
    }
    if (!st.file)
        st.file = std::fopen(part.c_str(), "wb");
    if (!st.file)
        return "cannot write \"" + part.string() + "\": " + io_reason();
    return {};
}

// The transfer is complete: check the MD5 when the server gave one, then the
// .part becomes the file (a corrupt .part is removed, never resumed).
download_return verify_and_keep(download_state& st, download_result out, const fs::path& part, const fs::path& dest,
                                const std::string& endpoint) {
    out.md5 = st.hash.hex();
    std::string expected =
        !st.at.content_md5.empty() ? md5::base64_to_hex(st.at.content_md5) : detail::etag_md5(st.at.etag);
    if (!expected.empty()) {
        if (expected != out.md5) {
            out.diag.server_message = "MD5 " + out.md5 + ", the server says " + expected;
            if (st.file) {
                std::fclose(std::exchange(st.file, nullptr));
                std::error_code fec;
                fs::remove(part, fec);  // a corrupt .part must not be resumed
            }
            return download_return{make_error_code(errc::checksum_mismatch), std::move(out)};
        }
        out.checksum_verified = true;
    }
    if (st.file) {
        if (std::fclose(std::exchange(st.file, nullptr)) != 0)
            return download_error(errc::file_error, endpoint, "cannot write \"" + part.string() + "\"");
        std::error_code fec;
        fs::rename(part, dest, fec);
        if (fec)
            return download_error(errc::file_error, endpoint,
                                  "cannot rename \"" + part.string() + "\": " + fec.message());
        out.path = dest;
    }
    return download_return{error_code{}, std::move(out)};
}

asio::awaitable<download_return> do_download(std::shared_ptr<detail::client_impl> self, result_file file, fs::path dest,
                                             download_sink sink, download_options opts) {
    if (file.text && file.url.empty())
        co_return write_text(file, std::move(dest), sink);
    detail::origin where;
    std::string target, why;
    if (detail::parse_url(file.url, where, target, &why))
        co_return download_error(errc::invalid_options, "", "result " + why);
    std::string endpoint = "GET " + where.key();

    download_result out;
    download_state st;
    st.opts = &opts;
    fs::path part;
    if (sink)
        st.user = std::move(sink);
    else if (auto problem = open_destination(st, dest, part, target); !problem.empty())
        co_return download_error(errc::file_error, endpoint, std::move(problem));

    auto started = clock::now();
    auto deadline = started + std::min<duration>(opts.timeout, self->opts.timeout.transfer);
    // The query policy's backoff, within this download's attempts; the loop
    // keeps the deadline (the last sleep is cut short to it).
    retry_policy policy = self->opts.retry.query;
    policy.max_attempts = opts.max_attempts;
    policy.max_elapsed = duration::max();
    std::string headers;
    detail::http_response res;
    error_code ec;
    for (unsigned attempt = 1;; ++attempt) {
        headers = detail::range_headers(st.at);
        if (st.at.offset > 0 && attempt > 1)
            ++out.resumes;
        auto req = detail::client_impl::request_for(detail::endpoint_id::result_file, target);  // a storage host: no key
        req.headers = headers;
        req.sink = &st;
        res = co_await self->http.request(where, req, deadline);
        ec = res.ec;
        if (!ec && res.status / 100 != 2) {
            ec = detail::http_status_error(res.status);
        } else if (!ec && st.at.total && st.at.offset != *st.at.total) {
            ec = make_error_code(errc::size_mismatch);
            st.why = "got " + std::to_string(st.at.offset) + " of " + std::to_string(*st.at.total) + " bytes";
        }
        self->count_call(detail::endpoint_id::result_file, ec);
        if (!ec || ec == asio::error::operation_aborted)
            break;
        auto next = detail::after_failed_transfer(ec, res.status, st.at.offset, st.local_failure);
        if (next == detail::after_failure::give_up)
            break;
        if (next == detail::after_failure::restart) {
            // Range not satisfiable: what we have is not a prefix of this file.
            if (auto rec = st.restart()) {
                ec = rec;
                break;
            }
        }
        // core/resume said it may go on; the decider says when (not budgeted:
        // a resume continues bytes already on their way, within opts.max_attempts).
        detail::attempt_facts facts{ec, attempt, started, clock::now(), duration(-1), false};
        auto delay = self->retry.next(policy, facts, self->uniform());
        if (!delay || clock::now() >= deadline)
            break;
        if (auto sec = co_await self->sleep(std::min<duration>(*delay, deadline - clock::now()))) {
            ec = sec;
            break;
        }
    }
    out.bytes = st.at.offset;
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
    co_return verify_and_keep(st, std::move(out), part, dest, endpoint);
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
