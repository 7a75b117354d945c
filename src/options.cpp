#include <runninghub/options.hpp>

#include "core/origin.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>

#include <cstdlib>

namespace runninghub {
namespace detail {

bool origin::host_is_ip() const {
    error_code ec;
    boost::asio::ip::make_address(host, ec);
    return !ec;
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
        if (u.port_number() == 0)
            return fail("bad port");
        o.port = std::to_string(u.port_number());
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

} // namespace detail

client_options client_options::from_env() {
    client_options o;
    if (const char* k = std::getenv("RUNNINGHUB_API_KEY"); k && *k)
        o.api_key = k;
    else
        throw error(make_error_code(errc::missing_api_key), "RUNNINGHUB_API_KEY is not set");
    if (const char* u = std::getenv("RUNNINGHUB_BASE_URL"); u && *u)
        o.base_url = u;
    if (const char* c = std::getenv("RUNNINGHUB_CA_FILE"); c && *c)
        o.ca_file = c;
    std::string why;
    if (auto ec = o.validate(&why))
        throw error(ec, why);
    return o;
}

error_code client_options::validate(std::string* why) const {
    auto fail = [&](errc e, std::string reason) {
        if (why)
            *why = std::move(reason);
        return make_error_code(e);
    };
    if (api_key.empty())
        return fail(errc::missing_api_key, "no API key: set RUNNINGHUB_API_KEY or client_options::api_key");
    for (unsigned char c : api_key)
        if (c <= 0x20 || c >= 0x7f)
            return fail(errc::invalid_options, "API key contains whitespace or non-printable characters");
    detail::origin o;
    if (auto ec = detail::parse_origin(base_url, o, why))
        return ec;
    if (pool.max_connections == 0)
        return fail(errc::invalid_options, "pool.max_connections must be at least 1");
    if (pool.max_response_body < 1024)
        return fail(errc::invalid_options, "pool.max_response_body must be at least 1024 bytes");
    if (timeout.request <= duration::zero() || timeout.transfer <= duration::zero())
        return fail(errc::invalid_options, "timeout.request and timeout.transfer must be positive");
    if (timeout.resolve < duration::zero() || timeout.connect < duration::zero() ||
        timeout.tls_handshake < duration::zero() || timeout.write < duration::zero() || timeout.read < duration::zero())
        return fail(errc::invalid_options, "phase timeouts must not be negative (0 disables one)");
    if (poll.interval <= duration::zero() || poll.first_delay < duration::zero() || poll.cap < poll.interval)
        return fail(errc::invalid_options, "poll policy: interval must be positive, first_delay not negative, cap >= interval");
    if (poll.learn && poll.min_interval <= duration::zero())
        return fail(errc::invalid_options, "poll policy: min_interval must be positive when learn is on");
    if (!(poll.growth >= 1.0) || !(poll.jitter >= 0.0 && poll.jitter <= 1.0))
        return fail(errc::invalid_options, "poll policy: growth must be >= 1 and jitter within 0..1");
    for (auto* rp : {&retry.query, &retry.submit})
        if (rp->max_attempts == 0 || rp->base_delay < duration::zero() || rp->max_delay < rp->base_delay ||
            rp->max_retry_after < duration::zero() || rp->max_elapsed < duration::zero())
            return fail(errc::invalid_options,
                        "retry policy: max_attempts >= 1, 0 <= base_delay <= max_delay, max_retry_after and max_elapsed >= 0");
    if (!(retry.budget_tokens >= 0) || !(retry.budget_refill >= 0))
        return fail(errc::invalid_options, "retry budget: budget_tokens and budget_refill must not be negative");
    if (!(throttle.requests_per_second >= 0) || (throttle.requests_per_second > 0 && throttle.burst == 0))
        return fail(errc::invalid_options, "throttle: requests_per_second >= 0, and burst >= 1 when it is set");
    if (max_concurrent_polls == 0)
        return fail(errc::invalid_options, "max_concurrent_polls must be at least 1");
    if (!ca_file.empty()) {
        if (std::FILE* f = std::fopen(ca_file.c_str(), "rb"))
            std::fclose(f);
        else
            return fail(errc::invalid_options, "CA file \"" + ca_file + "\" cannot be read");
    }
    return {};
}

} // namespace runninghub
