// SPDX-License-Identifier: BSL-1.0
#pragma once
// Resumable downloads: what a response head means for the bytes already
// received, which Range to ask for, and whether a failed transfer resumes.
// Pure; the file and the socket stay in client/ and net/.

#include <runninghub/error.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace runninghub::detail {

/// How far a download got, and what the server said about the file.
struct resume_point {
    std::uint64_t offset = 0;             // bytes of the file we have, in order
    std::optional<std::uint64_t> total;   // the file's size, when announced
    std::string content_md5;              // base64, from a complete (200) answer
    std::string etag;
};

/// What a 2xx head says about the file.
struct file_head {
    unsigned status = 0;
    std::optional<std::uint64_t> content_length;
    std::string_view content_range;  // "bytes 100-199/1000"
    std::string_view content_md5;
    std::string_view etag;
};

enum class head_verdict {
    append,    // the answer continues exactly at `offset`
    restart,   // a complete answer: drop what we have, start at zero
    mismatch,  // it cannot continue what we have (errc::size_mismatch, `why` says how)
};

/// Updates `at` with the head and says what to do with the bytes we have.
head_verdict on_head(resume_point& at, const file_head& h, std::string& why);

/// errc::size_mismatch (with `why`) when n more bytes would pass the announced total.
error_code check_more(const resume_point& at, std::uint64_t n, std::string& why);

/// The header lines that continue a transfer at `at.offset` (none at zero).
std::string range_headers(const resume_point& at);

/// What to do after a transfer failed with `ec` (status: the HTTP status, if any).
enum class after_failure { give_up, resume, restart };
/// Only transport faults resume; the file's, the sink's (`local`) or a
/// mismatch are final; a 416 with bytes in hand restarts from zero (without:
/// tried again, as any transient answer).
after_failure after_failed_transfer(const error_code& ec, unsigned status, std::uint64_t offset, bool local) noexcept;

/// An ETag that is a plain MD5 (object stores such as COS and S3 for
/// single-part uploads), in lower-case hex; empty otherwise.
std::string etag_md5(std::string_view etag);

} // namespace runninghub::detail
