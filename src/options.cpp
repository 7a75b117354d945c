// SPDX-License-Identifier: BSL-1.0
#include <runninghub/options.hpp>

#include "codec/scrub.hpp"
#include "core/origin.hpp"
#include "core/retry.hpp"


#include <cstdlib>

namespace runninghub {

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
    if (const char* h = std::getenv("RUNNINGHUB_ALLOW_INSECURE_HTTP"); h && (std::string_view(h) == "1"))
        o.allow_insecure_http = true;
    std::string why;
    if (auto ec = o.validate(&why))
        throw error(ec, why);
    return o;
}

error_code client_options::validate(std::string* why) const {
    // A URL or path the user wrote may hold the key: the reason never shows it.
    auto fail = [&](errc e, std::string reason) {
        if (why) {
            *why = std::move(reason);
            detail::scrub_secrets(*why, api_key);
        }
        return make_error_code(e);
    };
    if (api_key.empty())
        return fail(errc::missing_api_key, "no API key: set RUNNINGHUB_API_KEY or client_options::api_key");
    for (unsigned char c : api_key)
        if (c <= 0x20 || c >= 0x7f)
            return fail(errc::invalid_options, "API key contains whitespace or non-printable characters");
    // A JSON echo would spell these escaped (\" \\), which the scrubber could not find whole.
    if (api_key.find_first_of("\"\\") != std::string::npos)
        return fail(errc::invalid_options, "API key contains a quote or a backslash");
    detail::origin o;
    if (std::string reason; auto ec = detail::parse_origin(base_url, o, &reason))
        return fail(static_cast<errc>(ec.value()), std::move(reason));
    if (!o.tls && !o.is_loopback() && !allow_insecure_http)
        return fail(errc::invalid_base_url,
                    "base URL \"" + base_url + "\": http:// would send the API key in cleartext; use https:// "
                    "(http:// is allowed for loopback hosts, or with client_options::allow_insecure_http, "
                    "RUNNINGHUB_ALLOW_INSECURE_HTTP=1)");
    if (pool.max_connections == 0)
        return fail(errc::invalid_options, "pool.max_connections must be at least 1");
    if (pool.idle_buffer_release < duration::zero())
        return fail(errc::invalid_options, "pool.idle_buffer_release must not be negative");
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
        if (!detail::valid_policy(*rp))
            return fail(errc::invalid_options, std::string("retry policy: ") + detail::retry_policy_rule);
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
