// SPDX-License-Identifier: BSL-1.0
#include "core/resume.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace runninghub::detail {

head_verdict on_head(resume_point& at, const file_head& h, std::string& why) {
    if (!h.etag.empty()) {
        if (!at.etag.empty() && at.etag != h.etag && h.status == 206) {
            why = "the file changed between transfers (ETag " + at.etag + " then " + std::string(h.etag) + ")";
            return head_verdict::mismatch;
        }
        at.etag = h.etag;
    }
    if (h.status == 206) {
        // "bytes first-last/total": it must continue exactly where we are.
        unsigned long long first = 0, last = 0, whole = 0;
        std::string range(h.content_range);
        if (std::sscanf(range.c_str(), "bytes %llu-%llu/%llu", &first, &last, &whole) != 3 || first != at.offset) {
            why = "Content-Range \"" + range + "\" does not continue at byte " + std::to_string(at.offset);
            return head_verdict::mismatch;
        }
        at.total = whole;
        return head_verdict::append;
    }
    // A complete answer (the server ignored Range, or the first transfer).
    at.total = h.content_length;
    at.content_md5 = h.content_md5;
    if (at.offset == 0)
        return head_verdict::append;
    at.offset = 0;
    return head_verdict::restart;
}

error_code check_more(const resume_point& at, std::uint64_t n, std::string& why) {
    if (at.total && at.offset + n > *at.total) {
        why = "more bytes than announced (" + std::to_string(*at.total) + ")";
        return make_error_code(errc::size_mismatch);
    }
    return {};
}

std::string range_headers(const resume_point& at) {
    if (at.offset == 0)
        return {};
    std::string h = "Range: bytes=" + std::to_string(at.offset) + "-\r\n";
    if (!at.etag.empty() && !at.etag.starts_with("W/"))
        h += "If-Range: " + at.etag + "\r\n";
    return h;
}

after_failure after_failed_transfer(const error_code& ec, unsigned status, std::uint64_t offset, bool local) noexcept {
    if (local || ec == errc::size_mismatch)
        return after_failure::give_up;
    if (ec == errc::http_unexpected_status && status == 416)
        return offset > 0 ? after_failure::restart : after_failure::resume;
    return is_retryable(ec) ? after_failure::resume : after_failure::give_up;
}

std::string etag_md5(std::string_view etag) {
    if (etag.starts_with("W/"))
        return {};
    if (etag.size() == 34 && etag.front() == '"' && etag.back() == '"')
        etag = etag.substr(1, 32);
    if (etag.size() != 32 ||
        !std::all_of(etag.begin(), etag.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }))
        return {};
    std::string s(etag);
    for (auto& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

} // namespace runninghub::detail
