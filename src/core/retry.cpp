// SPDX-License-Identifier: BSL-1.0
#include "core/retry.hpp"

#include <algorithm>
#include <cmath>

namespace runninghub::detail {

bool may_repeat(call_kind kind, const error_code& ec, bool written) noexcept {
    if (!ec)
        return false;
    switch (kind) {
    case call_kind::read:
        return is_retryable(ec);
    case call_kind::write:
        return !written && is_retryable(ec);
    case call_kind::submit:
        // Sent: only "the account is full" proves no task was created (docs/design.md).
        return written ? is_account_full(ec) : is_retryable(ec);
    }
    return false;
}

bool may_have_created(const error_code& ec, unsigned http_status) noexcept {
    // Unreadable (5xx, malformed), busy (429, 1003, 1010, 1011) or a server fault (500, 1000, 1005, 1012).
    if (http_status >= 500 || ec == errc::protocol_error || ec == errc::http_server_error ||
        ec == errc::http_unexpected_status)
        return true;
    if (is_backpressure(ec))
        return !is_account_full(ec);
    return ec == errc::server_unknown_error || ec == errc::unknown_error || ec == errc::internal_server_error ||
           ec == errc::upstream_exception;
}

bool valid_policy(const retry_policy& p) noexcept {
    return p.max_attempts > 0 && p.base_delay >= duration::zero() && p.max_delay >= p.base_delay &&
           p.max_retry_after >= duration::zero() && p.max_elapsed >= duration::zero();
}

duration backoff_delay(const retry_policy& p, unsigned n, double u) noexcept {
    double cap = static_cast<double>(p.base_delay.count()) * std::pow(2.0, std::min(n, 30u) - 1.0);
    cap = std::min(cap, static_cast<double>(p.max_delay.count()));
    return duration(static_cast<duration::rep>(cap * u));
}

std::optional<duration> retry_decider::next(const retry_policy& p, const attempt_facts& f, double u) {
    if (f.attempt >= p.max_attempts)
        return std::nullopt;
    auto delay = backoff_delay(p, f.attempt, u);
    if (f.retry_after >= duration::zero())
        delay = std::max(delay, std::min(f.retry_after, p.max_retry_after));
    if (f.now + delay - f.started > p.max_elapsed)
        return std::nullopt;
    if (f.budgeted && !budget_.try_spend()) {
        ++counts_.budget_exhausted;
        return std::nullopt;
    }
    count(f.ec);
    return delay;
}

void retry_decider::count(const error_code& ec) noexcept {
    auto& r = counts_;
    if (is_backpressure(ec))
        ++r.backpressure;
    else if (ec == errc::protocol_error)
        ++r.protocol;
    else if (ec == errc::http_server_error || ec == errc::server_unknown_error || ec == errc::unknown_error ||
             ec == errc::internal_server_error || ec == errc::upstream_exception || ec == errc::apikey_upload_failed)
        ++r.server_error;
    else if (ec == errc::resolve_timeout || ec == errc::connect_timeout || ec == errc::tls_handshake_timeout ||
             ec == errc::write_timeout || ec == errc::read_timeout || ec == errc::pool_wait_timeout)
        ++r.timeout;
    else
        ++r.transport;
}

} // namespace runninghub::detail
