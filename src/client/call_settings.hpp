// SPDX-License-Identifier: BSL-1.0
#pragma once
// A call's call_overrides, checked: what the client's requests use instead of
// its options.

#include <runninghub/policies.hpp>

#include <optional>
#include <string>

namespace runninghub::detail {

struct call_settings {
    duration timeout = duration::zero();  // zero: timeouts::request
    std::optional<retry_policy> retry;    // empty: the client's for the call's kind
    std::string header_lines;             // "Name: value\r\n" each

    /// Whether a request is sent as without overrides (retry aside).
    bool plain() const noexcept { return timeout == duration::zero() && header_lines.empty(); }
};

/// nullopt and `why` when an override is refused (core/headers; a timeout or
/// max_attempts that is not positive).
std::optional<call_settings> settings_of(const call_overrides& o, std::string& why);

} // namespace runninghub::detail
