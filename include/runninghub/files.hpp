// SPDX-License-Identifier: BSL-1.0
#pragma once
// Files: what to upload, what an upload returns, and how a result file is downloaded.

#include <runninghub/error.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace runninghub {
// --- uploads

/// A file to upload: a path streamed from disk in bounded memory, or bytes in memory.
struct upload_file {
    explicit upload_file(std::filesystem::path file) : path(std::move(file)), name(path.filename().string()) {}
    upload_file(std::string file_name, std::string bytes) : name(std::move(file_name)), content(std::move(bytes)) {}
    std::filesystem::path path;  // empty: in memory
    std::string name;            // the file name sent (default: the path's)
    std::string content;         // in memory only
    std::string content_type;    // empty: from the name's extension
    bool in_memory() const noexcept { return path.empty(); }
};

/// The MIME type for a file name's extension (png, mp4, safetensors …);
/// application/octet-stream when unknown.
RUNNINGHUB_EXPORT std::string_view content_type_for(std::string_view file_name) noexcept;

/// What an upload returns.
struct uploaded_file {
    std::string file_name;     // the fieldValue for ComfyUI load nodes ("openapi/<sha>.png", "api/…")
    std::string download_url;  // v2 only: for Standard Model API fields (valid one day)
    std::string type;          // image, video, audio, input …
    std::uint64_t size = 0;    // bytes sent
    std::string md5;           // hex MD5 of the bytes (computed while sending)
    diagnostics diag;
};

// --- downloads

struct download_options {
    /// Called as bytes arrive: (bytes of the file so far, total when known).
    std::function<void(std::uint64_t done, std::optional<std::uint64_t> total)> progress;
    unsigned max_attempts = 5;      // transfers, including resumes with Range after a break
    bool resume_part = true;        // continue an existing "<file>.part" left by an earlier call
    std::chrono::steady_clock::duration timeout = std::chrono::minutes(30);
};

/// A download's outcome.
struct download_result {
    std::filesystem::path path;     // the complete file (empty when streamed to a sink)
    std::uint64_t bytes = 0;        // the file's size
    std::uint64_t received = 0;     // bytes received over the network (less when resumed)
    unsigned resumes = 0;           // transfers continued with Range
    std::string md5;                // hex
    bool checksum_verified = false; // the server gave a checksum and it matched
    bool text = false;              // a text output, written without a request
    diagnostics diag;
};

/// Receives a download's bytes in order, each byte once (also across resumes).
/// An error stops the transfer and completes the download with it.
using download_sink = std::function<error_code(const char* data, std::size_t size)>;

} // namespace runninghub
