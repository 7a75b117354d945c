// SPDX-License-Identifier: BSL-1.0
#include "core/origin.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>

namespace runninghub::detail {

bool origin::is_loopback() const {
    std::string h = host;
    for (auto& c : h)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (h == "localhost" || h == "localhost." || h == "::1")
        return true;
    unsigned char addr[16];
    if (::inet_pton(AF_INET6, h.c_str(), addr) == 1)  // ::1 spelled otherwise (0:0:…:1)
        return std::all_of(addr, addr + 15, [](unsigned char b) { return b == 0; }) && addr[15] == 1;
    return ::inet_pton(AF_INET, h.c_str(), addr) == 1 && addr[0] == 127;
}

bool origin::host_is_ip() const {
    unsigned char addr[16];
    std::string bare = host.substr(0, host.find('%'));  // an IPv6 zone ("fe80::1%eth0") is still an address
    return ::inet_pton(AF_INET, bare.c_str(), addr) == 1 || ::inet_pton(AF_INET6, bare.c_str(), addr) == 1;
}

std::string origin::host_header() const {
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    if (port != (tls ? "443" : "80"))
        h += ":" + port;
    return h;
}

error_code parse_origin(std::string_view url, origin& out, std::string* why) {
    auto fail = [&](std::string reason) {
        if (why)
            *why = "base URL \"" + std::string(url) + "\": " + reason;
        return make_error_code(errc::invalid_base_url);
    };
    auto r = boost::urls::parse_absolute_uri(url);
    if (!r)
        return fail("not an absolute URL (" + r.error().message() + ")");
    auto u = *r;
    std::string scheme(u.scheme());
    for (auto& c : scheme)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (scheme != "https" && scheme != "http")
        return fail("scheme must be http or https");
    if (u.host().empty())
        return fail("no host");
    if (u.has_query() || u.has_fragment())
        return fail("must not have a query or fragment");
    if (u.has_userinfo())
        return fail("must not carry credentials");
    origin o;
    o.tls = scheme == "https";
    o.host = u.host_type() == boost::urls::host_type::ipv6 ? std::string(u.encoded_host_address())
                                                          : std::string(u.host());
    if (o.host.size() > 2 && o.host.front() == '[')
        o.host = o.host.substr(1, o.host.size() - 2);
    if (u.has_port()) {
        // port_number() wraps above 65535 ("99999" would be 34463): read the digits ourselves.
        auto port_text = u.port();
        std::string_view p(port_text.data(), port_text.size());
        unsigned long n = 0;
        bool digits = !p.empty() && p.size() <= 5;
        for (char c : p)
            digits = digits && c >= '0' && c <= '9';
        if (digits)
            n = std::stoul(std::string(p));
        if (!digits || n < 1 || n > 65535)
            return fail("port \"" + std::string(p) + "\" is not a port number (1 to 65535)");
        o.port = std::to_string(n);
    } else {
        o.port = o.tls ? "443" : "80";
    }
    std::string path(u.encoded_path());
    while (!path.empty() && path.back() == '/')
        path.pop_back();
    o.path_prefix = std::move(path);
    out = std::move(o);
    return {};
}

error_code parse_url(std::string_view url, origin& out, std::string& target, std::string* why) {
    auto r = boost::urls::parse_absolute_uri(url);
    if (!r) {
        if (why)
            *why = "URL \"" + std::string(url.substr(0, 200)) + "\" is not absolute (" + r.error().message() + ")";
        return make_error_code(errc::invalid_options);
    }
    auto u = *r;
    std::string base = std::string(u.scheme()) + "://" + std::string(u.encoded_authority());
    if (auto ec = parse_origin(base, out, why))
        return make_error_code(errc::invalid_options);
    target = std::string(u.encoded_path());
    if (target.empty())
        target = "/";
    if (u.has_query())
        target.append("?").append(u.encoded_query());
    return {};
}

} // namespace runninghub::detail
