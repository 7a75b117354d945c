// SPDX-License-Identifier: BSL-1.0
#pragma once
// Repeat or give up: the one decision every loop of the client asks (queries,
// submits, generic calls, uploads, downloads). Two questions, answered apart:
//   may_repeat  — may this failure be repeated at all? The money rule lives
//                 here: a submit is repeated only when it certainly created no task.
//   retry_decider::next — when: attempts, backoff, Retry-After, the policy's
//                 overall time and the client-wide budget; it counts the cause.
// Pure: the caller passes `now` and the random draw.

#include "core/flow.hpp"

#include <runninghub/error.hpp>
#include <runninghub/options.hpp>
#include <runninghub/stats.hpp>

#include <optional>

namespace runninghub::detail {

/// What a repeat could cost.
enum class call_kind : std::uint8_t {
    read,    // idempotent (queries, cancels, uploads of the same bytes, downloads): repeat transient faults
    write,   // not idempotent, creates nothing billable: repeat only what was not completely written
    submit,  // may create a paid task: repeat only what certainly created none
};

/// May a failure of this kind be repeated at all? `written`: the whole
/// request reached the kernel (after that, only an answer proves anything).
bool may_repeat(call_kind kind, const error_code& ec, bool written) noexcept;

/// An error answer to a submit the service received: may a task exist behind
/// it? Yes unless it says the account is full or refuses the request for what
/// it is (docs/design.md: which answers may be resubmitted and why).
bool may_have_created(const error_code& ec, unsigned http_status) noexcept;

/// Full-jitter exponential backoff before retry number `n` (1 = first retry).
duration backoff_delay(const retry_policy& p, unsigned n, double u) noexcept;

/// What a retry policy needs to make sense: max_attempts >= 1,
/// 0 <= base_delay <= max_delay, max_retry_after and max_elapsed >= 0.
bool valid_policy(const retry_policy& p) noexcept;
inline constexpr const char* retry_policy_rule =
    "max_attempts >= 1, 0 <= base_delay <= max_delay, max_retry_after and max_elapsed >= 0";

/// The facts of one failed attempt.
struct attempt_facts {
    error_code ec;
    unsigned attempt = 1;         // 1 = the first try
    time_point started{};         // when the first try began
    time_point now{};
    duration retry_after{-1};     // the server's Retry-After; negative: none
    bool budgeted = true;         // spends the client-wide budget (a download's resume does not)
};

class retry_decider {
public:
    retry_decider(double budget_tokens, double budget_refill) : budget_(budget_tokens, budget_refill) {}

    /// The delay before repeating, or nullopt when the attempts, the policy's
    /// overall time or the client's budget are spent. A repeat spends one
    /// budget token (when `budgeted`) and is counted by cause; a refusal by
    /// the budget is counted too.
    std::optional<duration> next(const retry_policy& p, const attempt_facts& f, double u);

    /// may_repeat() and next() together.
    std::optional<duration> decide(call_kind kind, bool written, const retry_policy& p, const attempt_facts& f,
                                   double u) {
        if (!may_repeat(kind, f.ec, written))
            return std::nullopt;
        return next(p, f, u);
    }

    /// A call succeeded: the budget earns a fraction of a token back.
    void on_success() noexcept { budget_.on_success(); }
    const retry_stats& stats() const noexcept { return counts_; }
    double tokens() const noexcept { return budget_.tokens(); }

private:
    void count(const error_code& ec) noexcept;

    retry_budget budget_;
    retry_stats counts_;
};

} // namespace runninghub::detail
