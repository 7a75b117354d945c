// SPDX-License-Identifier: BSL-1.0
#pragma once
// An incremental multipart/form-data reader (RFC 7578): fed the body in
// chunks of any size, it reports each part's headers and streams its data,
// keeping no more than one chunk plus the delimiter in memory.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace runninghub::detail {

struct multipart_part {
    std::string name;          // Content-Disposition name
    std::string filename;      // empty for plain fields
    std::string content_type;
};

class multipart_reader {
public:
    struct handlers {
        std::function<bool(const multipart_part&)> begin;            // false: stop
        std::function<bool(const char*, std::size_t)> data;         // false: stop
        std::function<bool()> end;                                   // false: stop
    };

    /// `content_type` is the request's header value, which carries the boundary.
    multipart_reader(std::string_view content_type, handlers h);

    /// False when the body is malformed or a handler stopped; error() says why.
    bool feed(const char* p, std::size_t n);
    /// True once the closing delimiter was read.
    bool done() const noexcept { return state_ == state::done; }
    const std::string& error() const noexcept { return error_; }

    /// The boundary parameter of a multipart/form-data content type; empty when absent.
    static std::string boundary_of(std::string_view content_type);

private:
    enum class state { preamble, after_delimiter, headers, body, done, failed };
    bool fail(std::string why);
    bool parse_headers(std::string_view block);

    std::string delimiter_;    // "\r\n--" + boundary
    handlers h_;
    std::string buf_;
    state state_ = state::preamble;
    multipart_part part_;
    std::string error_;
};

} // namespace runninghub::detail
