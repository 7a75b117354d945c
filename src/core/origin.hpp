// SPDX-License-Identifier: BSL-1.0
#pragma once
// A parsed http(s) base URL: the pool key (scheme, host, port) plus a path prefix.

#include <runninghub/error.hpp>

#include <string>
#include <string_view>

namespace runninghub::detail {

struct origin {
    bool tls = true;
    std::string host;         // without brackets for IPv6
    std::string port;         // always set: "443", "80" or explicit
    std::string path_prefix;  // without trailing slash, e.g. "" or "/proxy"

    bool host_is_ip() const;
    bool is_loopback() const;  // 127.0.0.0/8, ::1 or localhost: cleartext never leaves the machine
    std::string host_header() const;  // host[:port], port omitted when default
    std::string key() const { return (tls ? "https://" : "http://") + host + ":" + port; }
    friend bool operator==(const origin&, const origin&) = default;
};

/// Parses "https://host[:port][/prefix]"; errc::invalid_base_url with a reason otherwise.
error_code parse_origin(std::string_view url, origin& out, std::string* why = nullptr);

/// Splits an absolute http(s) URL (a result file, a presigned upload URL)
/// into its origin and target (path and query, still encoded).
error_code parse_url(std::string_view url, origin& out, std::string& target, std::string* why = nullptr);

} // namespace runninghub::detail
