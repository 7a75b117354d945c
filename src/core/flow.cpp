// SPDX-License-Identifier: BSL-1.0
#include "core/flow.hpp"

#include <algorithm>
#include <cmath>

namespace runninghub::detail {

bool is_account_full(const error_code& ec) noexcept {
    if (ec.category() != category())
        return false;
    switch (static_cast<errc>(ec.value())) {
    case errc::task_queue_maxed:
    case errc::task_instance_maxed:
    case errc::apikey_task_is_running:
    case errc::personal_queue_count_limit:
    case errc::concurrency_full:
        return true;
    default:
        return false;
    }
}

duration probe_delay(const window_params& p, unsigned level, duration retry_after, double u) noexcept {
    if (retry_after >= duration::zero())  // "Retry-After: 0" must not become a busy loop
        return std::clamp<duration>(retry_after, std::chrono::milliseconds(100), p.max_retry_after);
    auto base = std::chrono::duration<double>(p.probe_delay).count() * std::pow(2.0, std::min(level, 30u) - 1.0);
    base = std::min(base, std::chrono::duration<double>(p.max_probe_delay).count());
    // Jittered in [base/2, base): processes sharing a key do not probe in step.
    return std::chrono::duration_cast<duration>(std::chrono::duration<double>(base * (0.5 + 0.5 * u)));
}

submit_window::submit_window(window_params p) : p_(p), window_(capped(static_cast<double>(std::max<std::size_t>(1, p.initial)))) {}

bool submit_window::may_send(time_point now) const noexcept {
    if (p_.cap && in_flight() >= p_.cap)
        return false;  // the user's cap is never probed past
    if (!blocked_ && in_flight() < limit())
        return true;
    // A probe may exceed the window: its tasks may have ended unseen, or others left the key.
    auto at = probe_at();
    return at && now >= *at;
}

window_ticket submit_window::take(time_point now) noexcept {
    window_ticket t{epoch_, blocked_ || in_flight() >= limit()};
    if (t.probe) {
        probing_ = true;
        ++probes_;
    }
    ++submissions_;
    moved_ = now;
    return t;
}

void submit_window::grow() noexcept {
    window_ = capped(window_ + (discovering() ? 1.0 : 1.0 / std::max(1.0, window_)));
}

void submit_window::on_accepted(const window_ticket& t, time_point now) noexcept {
    moved_ = now;
    if (submissions_ > 0)
        --submissions_;
    ++tasks_;
    if (t.probe)
        probing_ = false;
    if (t.epoch == epoch_)  // the account had room after the last back-pressure
        blocked_ = false;
    if (t.probe)
        level_ = 0;  // a probe found room: probing starts over from probe_delay
    grow();
    window_ = std::max(window_, capped(static_cast<double>(tasks_)));  // proven room (a probe may exceed it)
}

void submit_window::give_back(const window_ticket& t, time_point now) noexcept {
    moved_ = now;
    if (submissions_ > 0)
        --submissions_;
    if (t.probe)
        probing_ = false;
}

void submit_window::on_backpressure(const window_ticket& t, time_point now, duration retry_after, double u) noexcept {
    moved_ = now;
    if (submissions_ > 0)
        --submissions_;
    ++answers_;
    if (t.probe)
        probing_ = false;
    if (t.epoch != epoch_)
        return;  // sent before the last back-pressure: that episode counted it
    ++epoch_;
    window_ = std::max({1.0, static_cast<double>(tasks_), window_ / 2});
    ssthresh_ = window_;
    blocked_ = true;
    ++level_;
    jitter_ = u;
    probe_at_ = now + probe_delay(p_, level_, retry_after, u);
}

void submit_window::on_task_end(time_point now) noexcept {
    moved_ = now;
    if (tasks_ > 0)
        --tasks_;
    blocked_ = false;  // a slot of the account freed
}

void submit_window::seed(std::size_t limit) noexcept {
    seed_ = limit;
    if (limit == 0 || epoch_ > 0)
        return;  // back-pressure already taught more than the seed can
    window_ = std::max(window_, capped(static_cast<double>(limit)));
    ssthresh_ = static_cast<double>(limit);
}

std::optional<time_point> submit_window::probe_at() const noexcept {
    if (probing_ || (p_.cap && in_flight() >= p_.cap))
        return std::nullopt;  // one probe at a time, and never past the user's cap
    if (blocked_)
        return probe_at_;
    if (in_flight() >= limit())
        return moved_ + probe_delay(p_, level_ + 1, duration(-1), jitter_);  // full, and nothing moved
    return std::nullopt;
}

} // namespace runninghub::detail
